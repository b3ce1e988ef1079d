package calibration

import (
	"context"
	"os"
	"testing"
)

// BenchmarkEvaluate is osr eval's path (decode, run, metrics, extremes) on
// the bundled mini split; osr bench all reports the same as pixels/s.
func BenchmarkEvaluate(b *testing.B) {
	eng, ds := openMini(b, mini)
	b.ResetTimer()
	for b.Loop() {
		rep, err := Evaluate(context.Background(), eng, ds, EvalOptions{Split: "test", Protocol: true})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(rep.PixelsPerSecond/1e6, "Mpixel/s")
	}
}

// BenchmarkEvaluateVal is the same over the camvid val split (101 images)
// beside the checkout, or at $OSR_CAMVID.
func BenchmarkEvaluateVal(b *testing.B) {
	dir := camvid
	if d := os.Getenv("OSR_CAMVID"); d != "" {
		dir = d
	}
	if _, err := os.Stat(dir); err != nil {
		b.Skip("no camvid dataset at " + dir + " (set OSR_CAMVID)")
	}
	eng, ds := openMini(b, dir)
	for b.Loop() {
		rep, err := Evaluate(context.Background(), eng, ds, EvalOptions{Split: "val", Protocol: true})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(rep.PixelsPerSecond/1e6, "Mpixel/s")
	}
}
