package train

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The flow's NLL is taken on dequantised pixels: each kept value gets
// uniform noise of one 8-bit step, U(-1/2, 1/2)/255/std. Zero noise lets a
// flow put unbounded density on the 256 levels.
func TestDequantisationNoise(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Mode = "noise" // no flow needed to read the source's steps
	o, err := newOutlierSource(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for c, d := range o.deq {
		want := 1 / (255 * float64(cfg.Std[c]))
		if math.Abs(float64(d)-want) > 1e-6*want {
			t.Fatalf("channel %d: step %g, want 1/255/std = %g", c, d, want)
		}
	}

	const h, w, s = 64, 64, 48
	in := make([]float32, 3*h*w)
	for i := range in {
		in[i] = float32(i%97) / 50
	}
	keep := make([]float32, 3*s*s)
	takePatch(in, 0, h, w, keep, s, 5, 7, rand.New(rand.NewPCG(1, 2)), o.deq)
	for c, d := range o.deq {
		var sum, sq float64
		lo, hi := math.Inf(1), math.Inf(-1)
		n := s * s
		for y := range s {
			for x := range s {
				e := float64(keep[(c*s+y)*s+x]-in[c*h*w+(7+y)*w+5+x]) / float64(d)
				sum += e
				sq += e * e
				lo, hi = min(lo, e), max(hi, e)
			}
		}
		mean, variance := sum/float64(n), sq/float64(n)-(sum/float64(n))*(sum/float64(n))
		// U(-1/2, 1/2): mean 0, variance 1/12, range within ±1/2 (float32
		// rounding of the pixel adds a little).
		if lo < -0.5001 || hi > 0.5001 || hi-lo < 0.95 {
			t.Errorf("channel %d: noise in steps spans [%.4f, %.4f], want about [-0.5, 0.5]", c, lo, hi)
		}
		if math.Abs(mean) > 0.03 || math.Abs(variance-1.0/12) > 0.01 {
			t.Errorf("channel %d: noise mean %.4f, variance %.4f in steps; want 0 and 1/12", c, mean, variance)
		}
	}
}

// The segmenter's outlier loss reaches the flow: the gradient that joint
// training gives the flow's weights through sample -> paste -> segmenter
// -> loss (the segmenter's input gradient at the pasted pixels, carried
// into the flow's program as the samples' upstream gradient) matches
// central finite differences of the segmenter's loss in those weights.
// Cutting the path (no input gradient) leaves only the NLL term, and the
// comparison fails.
func TestFlowGradientThroughSegmenter(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Mode = "so"
	cfg.Flow = RNVPConfig{Channels: 3, Levels: 2, Blocks: 1, Features: 8}
	cfg.FlowTrain.SegWeight = 1
	cfg.Crop = [2]int{48, 48}
	cfg.PatchArea = [2]float64{0.05, 0.1}
	const n = 2
	o, err := newOutlierSource(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	st, err := newSegStep(tinyLDN(t), nil, n, 48, 48, 1, true)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.Lambda = 1
	r := rand.New(rand.NewPCG(9, 9))
	base := make([]float32, len(st.Input))
	for i := range base {
		base[i] = float32(r.NormFloat64())
	}
	labels := make([]uint8, len(st.Labels))
	for i := range labels {
		labels[i] = uint8(r.IntN(5))
	}
	// The segmenter's loss for the flow's current weights, with the same
	// latent draws and places every time.
	segLoss := func() (float64, []placement) {
		copy(st.Input, base)
		copy(st.Labels, labels)
		placed, err := o.Paste(rand.New(rand.NewPCG(5, 6)), st)
		if err != nil {
			t.Fatal(err)
		}
		loss, err := st.Run()
		if err != nil {
			t.Fatal(err)
		}
		return loss, placed
	}
	params := o.flow.Store.Params
	zero := func() {
		for _, p := range params {
			clear(p.G)
		}
	}
	// Joint training's gradient minus the NLL term alone is the part that
	// came through the segmenter.
	_, placed := segLoss()
	zero()
	fs := o.upstream(st, placed)
	if _, err := fs.Train(); err != nil {
		t.Fatal(err)
	}
	total := gradsOf(params)
	zero()
	clear(fs.upstream.Float32s())
	if _, err := fs.Train(); err != nil {
		t.Fatal(err)
	}
	seg := gradDiff(params, total)
	zero()
	loss := func() float64 { l, _ := segLoss(); return l }
	agreeWithFD(t, params, seg, 1e-2, 1, loss, "segmenter", "flow weight")
}
