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
