package train

import (
	"testing"

	"osr/internal/cputime"
)

// BenchmarkSegStep is one training step (forward, backward, Adam) of the
// default CPU segmenter at batch 4 on 480x360 crops. `osr bench train`
// runs it beside the PyTorch reference. cpu-ms/op is the process's CPU
// time per step, which a shared machine's load inflates less than the
// wall time.
func BenchmarkSegStep(b *testing.B) {
	st, err := benchStep(SmallLDN(11), 4, 360, 480)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Run(); err != nil {
		b.Fatal(err)
	}
	cpu := cputime.Process()
	for b.Loop() {
		if _, err := st.Run(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((cputime.Process()-cpu).Milliseconds())/float64(b.N), "cpu-ms/op")
	b.ReportMetric(st.FLOPs()*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
