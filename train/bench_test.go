package train

import (
	"syscall"
	"testing"
	"time"
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
	cpu := processCPU(b)
	for b.Loop() {
		if _, err := st.Run(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((processCPU(b)-cpu).Milliseconds())/float64(b.N), "cpu-ms/op")
	b.ReportMetric(st.FLOPs()*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// processCPU is the CPU time this process has used, all threads.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
