package calibration

import (
	"context"
	"testing"

	"osr/dataset"
	"osr/model"
)

// BenchmarkEvaluate is osr eval's path (decode, run, metrics, extremes) on
// the bundled mini split; osr bench all reports the same as pixels/s.
func BenchmarkEvaluate(b *testing.B) {
	ds, err := dataset.Open("../testdata/camvid-mini")
	if err != nil {
		b.Fatal(err)
	}
	pkg, err := model.Load("../models/camvid-so")
	if err != nil {
		b.Fatal(err)
	}
	opts := model.DefaultOptions()
	opts.Overrides.OpenSet, opts.Spin = false, false
	eng, err := model.NewEngine(pkg, opts)
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	b.ResetTimer()
	for b.Loop() {
		rep, err := Evaluate(context.Background(), eng, ds, EvalOptions{Split: "test", Protocol: true})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(rep.PixelsPerSecond/1e6, "Mpixel/s")
	}
}
