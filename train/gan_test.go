package train

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"osr/train/nn"
)

// tinyGAN is a classifier step with GAN samples in its odd places, and the
// GAN that draws them, small enough for finite differences.
func tinyGAN(t *testing.T, b int) (*segStep, *ganStep) {
	t.Helper()
	net, err := NewClassifier(10, 1, []int{4, 8}, 3)
	if err != nil {
		t.Fatal(err)
	}
	st, err := newSegStep(net, nil, 2*b, 28, 28, 1, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	st.Lambda = 0.5
	m, err := NewGAN(GANConfig{Noise: 4, Features: 4, LR: 1e-3, Beta: 1}, 4)
	if err != nil {
		t.Fatal(err)
	}
	gs, err := newGANStep(m, b)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(gs.Close)
	r := rand.New(rand.NewPCG(7, 7))
	for i := range st.Input {
		st.Input[i] = float32(r.NormFloat64())
	}
	for i := range st.Labels {
		st.Labels[i] = uint8(r.IntN(10))
	}
	return st, gs
}

// The generator's gradient from its β·KL term is the one of the
// classifier's KL(U‖P) at its samples, as finite differences of the
// classifier loss over the generator's weights give it; it fails when the
// classifier's image gradient does not reach the generator.
func TestGANGeneratorLearnsFromClassifierKL(t *testing.T) {
	const b = 2
	st, gs := tinyGAN(t, b)
	base, labels := slices.Clone(st.Input), slices.Clone(st.Labels)
	scale := gs.gan.Config.Beta / float64(st.Lambda)
	// The classifier's loss for the generator's current weights, with the
	// same latent draws every time (the classifier does not learn: no
	// optimiser).
	clsLoss := func() float64 {
		copy(st.Input, base)
		copy(st.Labels, labels)
		if err := gs.PasteInto(st, rand.New(rand.NewPCG(5, 6))); err != nil {
			t.Fatal(err)
		}
		loss, err := st.Run()
		if err != nil {
			t.Fatal(err)
		}
		return loss
	}
	params := gs.gOpt.Groups[0].Params
	clsLoss()
	gs.upstreamFrom(st, scale)
	if _, err := gs.Train(); err != nil {
		t.Fatal(err)
	}
	total := gradsOf(params)
	gs.zeroGrads()
	clear(gs.Upstream())
	if _, err := gs.Train(); err != nil {
		t.Fatal(err)
	}
	kl := gradDiff(params, total)
	gs.zeroGrads()
	// Small steps: the first layer's weights are about 0.1.
	agreeWithFD(t, params, kl, 1e-3, scale, clsLoss, "classifier", "generator weight")
}

// One step of gan training moves the classifier, the generator and the
// discriminator, and leaves no gradient behind.
func TestGANStepMovesAllThree(t *testing.T) {
	st, gs := tinyGAN(t, 3)
	net := st.net.store()
	st.opt = nn.NewAdam([]nn.Group{{Params: net.Params, LR: 1e-2}}, 0, 0)
	snapshot := func(ps []*nn.Param) [][]float32 {
		var out [][]float32
		for _, p := range ps {
			out = append(out, slices.Clone(p.W))
		}
		return out
	}
	gen, disc := gs.gOpt.Groups[0].Params, gs.dOpt.Groups[0].Params
	before := [][][]float32{snapshot(net.Params), snapshot(gen), snapshot(disc)}
	if err := gs.PasteInto(st, rand.New(rand.NewPCG(1, 2))); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Run(); err != nil {
		t.Fatal(err)
	}
	d, g, err := gs.Update(st, gs.gan.Config.Beta/float64(st.Lambda))
	if err != nil {
		t.Fatal(err)
	}
	// A fresh discriminator is near chance: log 2 per image, two sets.
	if math.Abs(d-2*math.Ln2) > 0.5 || math.Abs(g-math.Ln2) > 0.5 {
		t.Errorf("discriminator loss %.3f, generator GAN loss %.3f: want near 2 log 2 and log 2", d, g)
	}
	for k, ps := range [][]*nn.Param{net.Params, gen, disc} {
		name := []string{"classifier", "generator", "discriminator"}[k]
		moved := 0
		for i, p := range ps {
			if !slices.Equal(p.W, before[k][i]) {
				moved++
			}
			if slices.ContainsFunc(p.G, func(v float32) bool { return v != 0 }) && name != "classifier" {
				t.Errorf("%s %s: gradient left after the step", name, p.Name)
			}
		}
		if moved != len(ps) {
			t.Errorf("%s: %d of %d parameters moved", name, moved, len(ps))
		}
	}
	for _, p := range gen {
		if !strings.HasPrefix(p.Name, "gen.") {
			t.Errorf("the generator's optimiser holds %s", p.Name)
		}
	}
	for _, p := range disc {
		if !strings.HasPrefix(p.Name, "disc.") {
			t.Errorf("the discriminator's optimiser holds %s", p.Name)
		}
	}
}
