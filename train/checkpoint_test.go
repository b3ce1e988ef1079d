package train

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"

	"osr/train/nn"
)

// ldnGradients runs one training step of m on a fixed random batch and
// returns the loss, the input's gradient, every parameter's gradient and
// the number of ops in the compiled graph.
func ldnGradients(t *testing.T, m *LDN, n, h, w int) (float64, []float32, map[string][]float32, int) {
	t.Helper()
	g := nn.NewGraph(m.Store)
	x, xv := g.Input("image", n, 3, h, w)
	r := rand.New(rand.NewPCG(4, 4))
	for i, d := 0, xv.Float32s(); i < len(d); i++ {
		d[i] = float32(r.NormFloat64())
	}
	tg := &nn.Targets{Labels: make([]uint8, n*h*w)}
	for i := range tg.Labels {
		tg.Labels[i] = uint8(r.IntN(m.Config.Classes))
	}
	loss := g.Apply(func() (*G.Node, error) { return nn.SegLoss(m.Forward(g, x, true), tg) })
	p, err := nn.CompileLoss(g, loss, G.Nodes{x})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	l, err := p.Run()
	if err != nil {
		t.Fatal(err)
	}
	grads := map[string][]float32{}
	for _, prm := range p.Params() {
		grads[prm.Name] = append([]float32(nil), prm.G...)
	}
	ops := 0
	for _, nd := range g.G.AllNodes() {
		if nd.Op() != nil {
			ops++
		}
	}
	return l, append([]float32(nil), p.ExtraGrad(0)...), grads, ops
}

// A segmenter whose dense blocks are checkpointed (recomputed in the
// backward pass) has the loss and gradients of the same segmenter built
// from separate layers, to float32 round-off: the parameters, in the same
// order, and their gradients, the input's included.
func TestLDNCheckpointGivesTheSameGradients(t *testing.T) {
	cfg := LDNConfig{Classes: 5, Layout: LayoutTorchvision, Stem: 8, Growth: 4, Blocks: []int{2, 3, 2},
		Bottleneck: 2, Compression: 0.5, Up: 8, SPP: []int{2, 1}, Ladder: []int{8, 4}}
	var loss [2]float64
	var dx [2][]float32
	var grads [2]map[string][]float32
	var names [2][]string
	var ops [2]int
	for i, ckpt := range []bool{false, true} {
		cfg.Checkpoint = ckpt
		m, err := NewLDN(cfg, 1)
		if err != nil {
			t.Fatal(err)
		}
		loss[i], dx[i], grads[i], ops[i] = ldnGradients(t, m, 2, 64, 96)
		for _, p := range m.Store.Params {
			names[i] = append(names[i], p.Name)
		}
	}
	if ops[1] >= ops[0] {
		t.Fatalf("%d ops without checkpointing, %d with: the blocks were not fused", ops[0], ops[1])
	}
	if len(names[0]) != len(names[1]) {
		t.Fatalf("%d parameters without checkpointing, %d with", len(names[0]), len(names[1]))
	}
	for j := range names[0] {
		if names[0][j] != names[1][j] {
			t.Fatalf("parameter %d is %s without checkpointing, %s with", j, names[0][j], names[1][j])
		}
	}
	if math.Abs(loss[0]-loss[1]) > 1e-6*loss[0] {
		t.Fatalf("loss %v without checkpointing, %v with", loss[0], loss[1])
	}
	worst := 0.0
	check := func(name string, a, b []float32) {
		scale := 0.0
		for _, v := range a {
			scale = math.Max(scale, math.Abs(float64(v)))
		}
		if scale == 0 {
			t.Fatalf("%s: gradient is zero", name)
		}
		for k := range a {
			e := math.Abs(float64(a[k]-b[k])) / scale
			worst = math.Max(worst, e)
			if e > 1e-4 {
				t.Fatalf("%s[%d]: %v without checkpointing, %v with (largest %v)", name, k, a[k], b[k], scale)
			}
		}
	}
	check("input", dx[0], dx[1])
	for _, name := range names[0] {
		check(name, grads[0][name], grads[1][name])
	}
	t.Logf("%d parameter gradients and the input's agree (%d ops, %d checkpointed); largest difference %.2g of each tensor's largest value",
		len(names[0]), ops[0], ops[1], worst)
}
