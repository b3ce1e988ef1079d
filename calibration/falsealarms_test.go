package calibration

import (
	"strings"
	"testing"
)

func TestFalseAlarmsByClass(t *testing.T) {
	e := NewEvaluator([]string{"road", "car", "sky"})
	o, x := uint8(GTOutlier), uint8(GTIgnore)
	var gt []uint8
	var score []float32
	add := func(g uint8, s float32, n int) {
		for range n {
			gt, score = append(gt, g), append(score, s)
		}
	}
	// 19 of 20 outliers score 0.9: the 95 % TPR threshold is 0.9.
	add(o, 0.9, 19)
	add(o, 0.1, 1)
	add(0, 0.95, 2) // road: 2 of 10 above
	add(0, 0.5, 8)
	add(1, 0.9, 1) // car: 1 of 10 at the threshold (flagged: score >= it)
	add(1, 0.2, 9)
	add(2, 0.1, 5)  // sky: never flagged
	add(x, 0.99, 7) // ignored pixels count nowhere
	zeros := make([]uint8, len(gt))
	if _, err := e.Add("a", gt, zeros, score, zeros); err != nil {
		t.Fatal(err)
	}
	fa := e.FalseAlarms()
	if fa == nil {
		t.Fatal("no false-alarm breakdown")
	}
	if fa.Threshold > 0.9 || fa.Threshold < 0.9-1.0/classBins {
		t.Errorf("threshold %g, want 0.9 to 1/%d", fa.Threshold, classBins)
	}
	near(t, "outlier TPR", fa.OutlierTPR, 0.95)
	near(t, "FPR", fa.FPR, 3.0/25)
	want := map[string]ClassFalseAlarms{"road": {0.2, 2.0 / 3}, "car": {0.1, 1.0 / 3}, "sky": {0, 0}}
	for name, w := range want {
		got, ok := fa.Classes[name]
		if !ok {
			t.Fatalf("no %s in %+v", name, fa.Classes)
		}
		near(t, name+" flagged", got.Flagged, w.Flagged)
		near(t, name+" share", got.Share, w.Share)
	}

	rep := &Report{Model: "m", Dataset: "d", Split: "s"}
	rep.Finish(e)
	if rep.FalseAlarms == nil || !strings.Contains(rep.Markdown(), "| road | ") || !strings.Contains(rep.Markdown(), "20.00 | 66.67") {
		t.Errorf("report lacks the road row's false alarms:\n%s", rep.Markdown())
	}
}

func TestFalseAlarmsNeedOutliers(t *testing.T) {
	e := NewEvaluator([]string{"road"})
	if _, err := e.Add("clean", []uint8{0, 0}, []uint8{0, 0}, []float32{0.3, 0.9}, []uint8{0, 0}); err != nil {
		t.Fatal(err)
	}
	if fa := e.FalseAlarms(); fa != nil {
		t.Errorf("a split without outliers has false alarms %+v", fa)
	}
	rep := &Report{}
	rep.Finish(e)
	if md := rep.Markdown(); strings.Contains(md, "False alarms:") || !strings.Contains(md, "| road | ") {
		t.Errorf("report without outliers:\n%s", md)
	}
}
