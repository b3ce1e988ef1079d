package calibration

import (
	"context"
	"math"
	"strings"
	"testing"

	"osr/dataset"
	"osr/model"
)

// An engine that gives no logits is refused with the fix, not a panic.
func TestCalibrateNeedsLogits(t *testing.T) {
	_, ds := openMini(t, mini)
	eng := openShipped(t, func(o *model.Options) { o.Overrides.Temperature = 1 })
	_, err := Calibrate(context.Background(), eng, ds, CalibrateOptions{Split: "test", Limit: 1})
	if err == nil || !strings.Contains(err.Error(), "no logits") {
		t.Fatalf("calibrate without logits: %v", err)
	}
}

// openLogits opens the bundled model as osr calibrate does: logits on, at
// temperature 1.
func openLogits(t *testing.T) (*model.Engine, *dataset.Dataset) {
	t.Helper()
	_, ds := openMini(t, mini)
	return openShipped(t, func(o *model.Options) { o.Logits, o.Overrides.Temperature = true, 1 }), ds
}

// The paper's rule scores MSP at T = 10 and entropy at T = 2, with the
// thresholds that a fixed-temperature calibration at those T gives.
func TestCalibratePaperRule(t *testing.T) {
	eng, ds := openLogits(t)
	ctx := context.Background()
	paper, err := Calibrate(ctx, eng, ds, CalibrateOptions{Split: "test", Protocol: true, Rule: RulePaper})
	if err != nil {
		t.Fatal(err)
	}
	if paper.Kinds["msp"].Temperature != 10 || paper.Kinds["entropy"].Temperature != 2 {
		t.Fatalf("paper rule chose %+v", paper.Kinds)
	}
	for kind, temp := range PaperTemperatures {
		fixed, err := Calibrate(ctx, eng, ds, CalibrateOptions{Split: "test", Protocol: true, Temperatures: []float64{temp}})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := paper.Kinds[kind].Threshold, fixed.Kinds[kind].Threshold; got != want {
			t.Errorf("%s: paper threshold %g, fixed T = %g gives %g", kind, got, temp, want)
		}
	}
	if !strings.Contains(paper.Rule, "paper") {
		t.Errorf("rule %q does not say it is the paper's", paper.Rule)
	}
}

// The outliers rule picks, per score, the temperature with the best AP on
// the split's outlier pixels, and that AP is what osr eval measures at it.
func TestCalibrateOutliersRule(t *testing.T) {
	eng, ds := openLogits(t)
	ctx := context.Background()
	temps := []float64{1, 2, 10}
	cal, err := Calibrate(ctx, eng, ds, CalibrateOptions{Split: "test", Protocol: true, Rule: RuleOutliers, Temperatures: temps})
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"msp", "entropy"} {
		aps, chosen := cal.AP[kind], cal.Kinds[kind].Temperature
		if len(aps) != len(temps) {
			t.Fatalf("%s: AP per temperature %v", kind, aps)
		}
		for temp, ap := range aps {
			if ap > aps[chosen] {
				t.Errorf("%s: chose T = %g (AP %.4f) over T = %g (AP %.4f)", kind, chosen, aps[chosen], temp, ap)
			}
		}
		ev := openShipped(t, func(o *model.Options) {
			o.Overrides = model.Overrides{Kind: kind, Temperature: chosen, Threshold: cal.Kinds[kind].Threshold}
		})
		rep, err := Evaluate(ctx, ev, ds, EvalOptions{Split: "test", Protocol: true})
		if err != nil {
			t.Fatal(err)
		}
		if rep.AP == nil || math.Abs(*rep.AP-aps[chosen]) > 2e-3 {
			t.Errorf("%s at T = %g: calibrate's AP %.4f, osr eval's %.4f", kind, chosen, aps[chosen], *rep.AP)
		}
		t.Logf("%s: AP per T %v, chose %g", kind, aps, chosen)
	}
}

func TestCalibrateRuleErrors(t *testing.T) {
	eng, ds := openLogits(t)
	ctx := context.Background()
	if _, err := Calibrate(ctx, eng, ds, CalibrateOptions{Split: "test", Rule: RuleOutliers}); err == nil || !strings.Contains(err.Error(), "--protocol") {
		t.Errorf("outliers rule without a protocol: %v", err)
	}
	if _, err := Calibrate(ctx, eng, ds, CalibrateOptions{Split: "test", Rule: "bogus"}); err == nil || !strings.Contains(err.Error(), `rule "bogus"`) {
		t.Errorf("bogus rule: %v", err)
	}
}
