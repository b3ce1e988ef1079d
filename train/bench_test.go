package train

import (
	"math/rand/v2"
	"testing"

	"osr/train/nn"
)

// BenchmarkSegStep is one training step (forward, backward, Adam) of the
// default CPU segmenter at batch 4 on 480x360 crops. `osr bench train`
// runs it beside the PyTorch reference.
func BenchmarkSegStep(b *testing.B) {
	net, err := NewLDN(SmallLDN(11), 1)
	if err != nil {
		b.Fatal(err)
	}
	st, err := newSegStep(net, nil, 4, 360, 480, false)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	enc, up := net.Groups()
	st.opt = nn.NewAdam([]nn.Group{{Params: enc, LR: 1e-4}, {Params: up, LR: 4e-4}}, 1000, 1e-7)
	r := rand.New(rand.NewPCG(1, 1))
	for i, d := 0, st.Input; i < len(d); i++ {
		d[i] = float32(r.NormFloat64())
	}
	for i := range st.Labels {
		st.Labels[i] = uint8(r.IntN(11))
	}
	if _, err := st.Run(); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := st.Run(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(st.FLOPs()*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
