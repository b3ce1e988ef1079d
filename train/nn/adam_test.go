package nn

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// The paper's schedule: backbone 1e-4 and upsampling 4e-4, cosine-annealed
// to 1e-7, each group on its own peak.
func TestAdamCosineScheduleByGroup(t *testing.T) {
	enc, up := NewParam("enc", 1), NewParam("up", 1)
	a := NewAdam([]Group{{Params: []*Param{enc}, LR: 1e-4}, {Params: []*Param{up}, LR: 4e-4}}, 100, 1e-7)
	want := func(peak float64, step int) float64 {
		f := math.Min(1, float64(step)/100)
		return 1e-7 + (peak-1e-7)*0.5*(1+math.Cos(math.Pi*f))
	}
	for step := 0; step <= 120; step++ {
		for _, peak := range []float64{1e-4, 4e-4} {
			if got := a.LR(peak); math.Abs(got-want(peak, step)) > 1e-15 {
				t.Fatalf("step %d, peak %g: LR %g, want %g", step, peak, got, want(peak, step))
			}
		}
		a.Step(1)
	}
	if lr := a.LR(4e-4); lr != 1e-7 {
		t.Errorf("past the end the LR is %g, want the floor", lr)
	}
	// Halfway, each group is at half its peak (plus half the floor).
	b := NewAdam(a.Groups, 100, 1e-7)
	for range 50 {
		b.Step(0)
	}
	if got := b.LR(4e-4); math.Abs(got-(4e-4+1e-7)/2) > 1e-12 {
		t.Errorf("halfway LR %g", got)
	}
}

func TestCheckpointRoundTripIsBitIdentical(t *testing.T) {
	s := NewStore(3)
	g := NewGraph(s)
	x, _ := g.Input("x", 2, 3, 6, 5)
	y := g.BNReLU("bn", g.Conv("conv", x, 4, ConvSpec{K: 3, Stride: 1, Pad: 1}, true))
	if g.Err() != nil || y == nil {
		t.Fatal(g.Err())
	}
	s.Norms[0].RunMean[1], s.Norms[0].RunVar[2] = 0.25, 1.5
	s.Params[0].W[0] = float32(math.Inf(1)) // odd values survive too
	a := NewAdam([]Group{{Params: s.Params, LR: 1e-3}}, 10, 0)
	for _, p := range s.Params {
		for i := range p.G {
			p.G[i] = float32(i) - 1.5
		}
	}
	a.Step(1)

	c := NewCheckpoint(7)
	c.Config, c.RNG = []byte("seed: 1\n"), []byte{1, 2, 3}
	c.Capture("seg/", s)
	c.Optim["seg"] = a.State()
	path := filepath.Join(t.TempDir(), "ckpt")
	if err := c.Save(path); err != nil {
		t.Fatal(err)
	}
	back, err := LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	s2 := NewStore(99) // different initial values
	g2 := NewGraph(s2)
	x2, _ := g2.Input("x", 2, 3, 6, 5)
	g2.BNReLU("bn", g2.Conv("conv", x2, 4, ConvSpec{K: 3, Stride: 1, Pad: 1}, true))
	if err := back.Restore("seg/", s2); err != nil {
		t.Fatal(err)
	}
	a2 := NewAdam([]Group{{Params: s2.Params, LR: 1e-3}}, 10, 0)
	if err := a2.SetState(back.Optim["seg"]); err != nil {
		t.Fatal(err)
	}
	for i, p := range s.Params {
		if !slices.Equal(bits(p.W), bits(s2.Params[i].W)) {
			t.Errorf("%s differs after the round trip", p.Name)
		}
		if !slices.Equal(bits(a.m[p]), bits(a2.m[s2.Params[i]])) || !slices.Equal(bits(a.v[p]), bits(a2.v[s2.Params[i]])) {
			t.Errorf("Adam moments of %s differ", p.Name)
		}
	}
	if !slices.Equal(s.Norms[0].RunMean, s2.Norms[0].RunMean) || !slices.Equal(s.Norms[0].RunVar, s2.Norms[0].RunVar) {
		t.Error("batch-norm statistics differ")
	}
	if back.Step != 7 || string(back.Config) != "seed: 1\n" || a2.StepCount() != 1 {
		t.Errorf("step %d, config %q, Adam step %d", back.Step, back.Config, a2.StepCount())
	}
	// A store with another shape is refused by name.
	s3 := NewStore(1)
	g3 := NewGraph(s3)
	x3, _ := g3.Input("x", 1, 3, 6, 5)
	g3.Conv("conv", x3, 5, ConvSpec{K: 3, Stride: 1, Pad: 1}, true)
	if err := back.Restore("seg/", s3); err == nil {
		t.Error("restoring into a wider conv succeeded")
	}
}

func TestLoadCheckpointErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadCheckpoint(filepath.Join(dir, "none")); err == nil {
		t.Error("missing checkpoint loaded")
	}
	bad := filepath.Join(dir, "bad")
	if err := writeFile(bad, []byte("not a checkpoint")); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCheckpoint(bad); err == nil {
		t.Error("garbage loaded as a checkpoint")
	}
}

func bits(f []float32) []uint32 {
	out := make([]uint32, len(f))
	for i, v := range f {
		out[i] = math.Float32bits(v)
	}
	return out
}

func writeFile(path string, data []byte) error { return os.WriteFile(path, data, 0o644) }

func TestAdamMinimisesAndAnneals(t *testing.T) {
	p := NewParam("x", 2)
	p.W[0], p.W[1] = 3, -2
	a := NewAdam([]Group{{Params: []*Param{p}, LR: 0.1}}, 500, 1e-4)
	for range 500 {
		// f = (x0-1)^2 + (x1+1)^2
		p.G[0] = 2 * (p.W[0] - 1)
		p.G[1] = 2 * (p.W[1] + 1)
		a.Step(1)
	}
	if math.Abs(float64(p.W[0]-1)) > 0.05 || math.Abs(float64(p.W[1]+1)) > 0.05 {
		t.Fatalf("Adam ended at %v, want [1 -1]", p.W)
	}
	if lr := a.LR(0.1); math.Abs(lr-1e-4) > 1e-9 {
		t.Fatalf("final LR %g, want the floor 1e-4", lr)
	}
}
