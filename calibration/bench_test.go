package calibration

import (
	"context"
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
