package model

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// A score kind other than the model's takes that kind's calibrated
// temperature and threshold; a threshold that no longer matches its score
// is kept but named in a warning.
func TestScoringTakesTheKindsCalibration(t *testing.T) {
	spec := Spec{Scoring: ScoreSpec{Kind: "entropy", Temperature: 1.5, Threshold: 0.63, Calibration: map[string]any{
		"kinds": map[string]any{
			"entropy": map[string]any{"temperature": 1.5, "threshold": 0.63},
			"msp":     map[string]any{"temperature": 2, "threshold": 0.58},
		}}}}
	cases := []struct {
		name      string
		over      Overrides
		kind      string
		t, thr    float32
		warnsWith string
	}{
		{"the model's", Overrides{Threshold: -1}, "entropy", 1.5, 0.63, ""},
		{"the other kind", Overrides{Kind: "msp", Threshold: -1}, "msp", 2, 0.58, ""},
		{"the other kind, its T", Overrides{Kind: "msp", Temperature: 2, Threshold: -1}, "msp", 2, 0.58, ""},
		{"another T", Overrides{Kind: "msp", Temperature: 1, Threshold: -1}, "msp", 1, 0.58, "calibrated at another temperature"},
		{"a threshold given", Overrides{Kind: "msp", Temperature: 1, Threshold: 0.7}, "msp", 1, 0.7, ""},
	}
	for _, c := range cases {
		var buf bytes.Buffer
		sc, err := resolveScoring(spec, c.over, slog.New(slog.NewTextHandler(&buf, nil)))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if sc.Kind != c.kind || sc.Temperature != c.t || sc.Threshold != c.thr {
			t.Errorf("%s: got %s T %g threshold %g, want %s T %g threshold %g", c.name, sc.Kind, sc.Temperature, sc.Threshold, c.kind, c.t, c.thr)
		}
		if got := buf.String(); (c.warnsWith == "") != (got == "") || !strings.Contains(got, c.warnsWith) {
			t.Errorf("%s: logged %q, want a warning with %q", c.name, got, c.warnsWith)
		}
	}

	// Without a calibration of the kind asked for, the threshold stays and
	// the warning says how to get one.
	spec.Scoring.Calibration = map[string]any{"rule": "threshold keeps 95% of val inlier pixels"}
	var buf bytes.Buffer
	sc, err := resolveScoring(spec, Overrides{Kind: "msp", Threshold: -1}, slog.New(slog.NewTextHandler(&buf, nil)))
	if err != nil || sc.Threshold != 0.63 || sc.Temperature != 1.5 || !strings.Contains(buf.String(), "osr calibrate --kind msp") {
		t.Errorf("uncalibrated kind: %+v, %v, logged %q", sc, err, buf.String())
	}
}

// The shipped model's model.yaml, as osr calibrate wrote it, has both kinds.
func TestShippedModelCalibratesBothKinds(t *testing.T) {
	pkg, err := Load("../models/camvid-so")
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"msp", "entropy"} {
		if temp, thr, ok := pkg.Spec.Scoring.CalibratedKind(kind); !ok || temp <= 0 || thr <= 0 || thr >= 1 {
			t.Errorf("%s: T %g threshold %g, %v", kind, temp, thr, ok)
		}
	}
}
