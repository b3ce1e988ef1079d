package calibration

import (
	"context"
	"strings"
	"testing"

	"osr/dataset"
	"osr/model"
)

// An engine that gives no logits is refused with the fix, not a panic.
func TestCalibrateNeedsLogits(t *testing.T) {
	ds, err := dataset.Open(mini)
	if err != nil {
		t.Fatal(err)
	}
	pkg, err := model.Load("../models/camvid-so")
	if err != nil {
		t.Fatal(err)
	}
	opts := model.DefaultOptions()
	opts.Overrides.Temperature, opts.Overrides.OpenSet = 1, false
	eng, err := model.NewEngine(pkg, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	_, err = Calibrate(context.Background(), eng, ds, CalibrateOptions{Split: "test", Limit: 1})
	if err == nil || !strings.Contains(err.Error(), "no logits") {
		t.Fatalf("calibrate without logits: %v", err)
	}
}
