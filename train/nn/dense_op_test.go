package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
)

// denseStep runs one training step of a dense block over store, its
// output projected to a scalar, and returns the loss, the gradient of the
// block's input, every parameter's gradient by name and the running
// statistics after the step.
func denseStep(t *testing.T, store *Store, x []float32, shape []int, width int, checkpoint bool) (float64, []float32, map[string][]float32, map[string][]float32) {
	t.Helper()
	g := NewGraph(store)
	in, xv := g.Input("x", shape...)
	copy(xv.Float32s(), x)
	var layers []DenseLayer
	for l := range 3 {
		p := fmt.Sprintf("b.l%d", l)
		layers = append(layers, DenseLayer{p + ".n1", p + ".c1", p + ".n2", p + ".c2"})
	}
	y := g.DenseBlock(in, 3, width, layers, checkpoint)
	loss := g.Apply(func() (*G.Node, error) { return project(rand.New(rand.NewPCG(9, 9)), y) })
	prog, err := CompileLoss(g, loss, G.Nodes{in})
	if err != nil {
		t.Fatal(err)
	}
	defer prog.Close()
	for _, p := range store.Params {
		p.ZeroGrad()
	}
	l, err := prog.Run()
	if err != nil {
		t.Fatal(err)
	}
	grads, stats := map[string][]float32{}, map[string][]float32{}
	for _, p := range prog.Params() {
		grads[p.Name] = append([]float32(nil), p.G...)
	}
	for _, bn := range store.Norms {
		stats[bn.Name] = append(append([]float32(nil), bn.RunMean...), bn.RunVar...)
	}
	return l, append([]float32(nil), prog.ExtraGrad(0)...), grads, stats
}

// A checkpointed dense block, which recomputes its layers in the backward
// pass, gives the loss, gradients and running statistics of the same
// block built from separate ops, in training and in evaluation mode, with
// and without a bottleneck.
func TestDenseBlockCheckpointMatches(t *testing.T) {
	shape := []int{2, 5, 7, 6}
	r := rand.New(rand.NewPCG(1, 2))
	x := randTensor(r, 1, shape...).Float32s()
	for _, width := range []int{4, 0} {
		for _, train := range []bool{true, false} {
			t.Run(fmt.Sprintf("width%d/train=%v", width, train), func(t *testing.T) {
				var stores [2]*Store
				for i := range stores {
					stores[i] = NewStore(3)
				}
				l0, dx0, g0, s0 := denseRun(t, stores[0], x, shape, width, false, train)
				l1, dx1, g1, s1 := denseRun(t, stores[1], x, shape, width, true, train)
				if len(g0) != len(g1) || len(g0) != 3*(map[bool]int{true: 6, false: 3}[width > 0]) {
					t.Fatalf("parameters: %d separate, %d checkpointed", len(g0), len(g1))
				}
				if math.Abs(l0-l1) > 1e-5*math.Max(1, math.Abs(l0)) {
					t.Fatalf("loss %v separate, %v checkpointed", l0, l1)
				}
				agree(t, "input gradient", dx0, dx1)
				for name, g := range g0 {
					agree(t, name, g, g1[name])
				}
				for name, s := range s0 {
					agree(t, name+" running statistics", s, s1[name])
				}
			})
		}
	}
}

func denseRun(t *testing.T, store *Store, x []float32, shape []int, width int, checkpoint, train bool) (float64, []float32, map[string][]float32, map[string][]float32) {
	if !train {
		// Build once to create the norms, give them statistics, then
		// evaluate with them.
		denseStep(t, store, x, shape, width, checkpoint)
		store.SetTrain(false)
	}
	return denseStep(t, store, x, shape, width, checkpoint)
}

// agree fails unless a and b agree to float32 round-off relative to a's
// largest magnitude.
func agree(t *testing.T, what string, a, b []float32) {
	t.Helper()
	if len(a) != len(b) || len(a) == 0 {
		t.Fatalf("%s: %d values vs %d", what, len(a), len(b))
	}
	scale := 0.0
	for _, v := range a {
		scale = math.Max(scale, math.Abs(float64(v)))
	}
	for i := range a {
		if d := math.Abs(float64(a[i] - b[i])); d > 1e-5*math.Max(scale, 1e-6) {
			t.Fatalf("%s[%d]: %v separate, %v checkpointed (scale %v)", what, i, a[i], b[i], scale)
		}
	}
}
