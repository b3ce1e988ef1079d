package train

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"osr/train/nn"
)

// trainTiny runs three Adam steps of a tiny segmenter on a fixed batch of
// four with the given replicas and cores, and returns every weight.
func trainTiny(t *testing.T, replicas, cores int) []float32 {
	t.Helper()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(cores))
	net := tinyLDN(t)
	st, err := newSegStep(net, nil, 4, 32, 32, replicas, false)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.opt = nn.NewAdam([]nn.Group{{Params: net.Store.Params, LR: 1e-2}}, 3, 1e-4)
	rng := rand.New(rand.NewPCG(3, 3))
	for i := range st.Input {
		st.Input[i] = float32(rng.NormFloat64())
	}
	for i := range st.Labels {
		st.Labels[i] = uint8(rng.IntN(5))
	}
	for range 3 {
		if _, err := st.Run(); err != nil {
			t.Fatal(err)
		}
	}
	var w []float32
	for _, p := range net.Store.Params {
		w = append(w, p.W...)
	}
	return w
}

// maxDiff is the largest absolute difference between two weight lists.
func maxDiff(a, b []float32) float64 {
	var d float64
	for i := range a {
		d = max(d, math.Abs(float64(a[i]-b[i])))
	}
	return d
}

// The batch-norm groups come from the config, not the machine: one core
// and four train the same weights, bit for bit (no sum depends on how the
// work is split), and the replica count is what changes them.
func TestReplicasNotCoreCount(t *testing.T) {
	one, four := trainTiny(t, 2, 1), trainTiny(t, 2, 4)
	if d := maxDiff(one, four); d > 0 {
		t.Errorf("replicas 2 on 1 core vs 4 cores: weights differ by %g", d)
	}
	if d := maxDiff(one, trainTiny(t, 1, 4)); d < 1e-3 {
		t.Errorf("replicas 1 vs 2 changed the weights by only %g: the batch-norm groups have no effect", d)
	}
}
