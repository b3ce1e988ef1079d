package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// lossOf is a fixed random linear functional of y, so that dL/dy = proj.
func lossOf(y, proj []float32) float64 {
	s := 0.0
	for i := range y {
		s += float64(y[i]) * float64(proj[i])
	}
	return s
}

func randn(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	return x
}

func checkClose(t *testing.T, what string, analytic, numeric float64) {
	t.Helper()
	if math.Abs(analytic-numeric) > 2e-2*math.Max(1, math.Abs(numeric)) {
		t.Fatalf("%s: analytic %g, numeric %g", what, analytic, numeric)
	}
}

func TestConv2DGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, cfg := range []struct{ in, out, k, s, p, h, w int }{{2, 3, 3, 1, 1, 5, 6}, {3, 2, 3, 2, 1, 7, 6}, {2, 2, 1, 1, 0, 4, 4}} {
		c := NewConv2D("c", cfg.in, cfg.out, cfg.k, cfg.s, cfg.p)
		c.Weight.HeInit(r, cfg.in*cfg.k*cfg.k)
		copy(c.Bias.W, randn(r, cfg.out))
		x := randn(r, cfg.in*cfg.h*cfg.w)
		oh, ow := c.OutSize(cfg.h), c.OutSize(cfg.w)
		proj := randn(r, cfg.out*oh*ow)
		y := make([]float32, cfg.out*oh*ow)
		var st ConvState
		f := func() float64 { c.Forward(&st, x, cfg.h, cfg.w, y); return lossOf(y, proj) }
		f()
		dx := make([]float32, len(x))
		c.Backward(&st, proj, cfg.h, cfg.w, dx)
		const eps = 1e-2
		for _, i := range []int{0, len(x) / 2, len(x) - 1} {
			old := x[i]
			x[i] = old + eps
			up := f()
			x[i] = old - eps
			down := f()
			x[i] = old
			checkClose(t, "dx", float64(dx[i]), (up-down)/(2*eps))
		}
		for _, i := range []int{0, len(c.Weight.W) - 1} {
			old := c.Weight.W[i]
			c.Weight.W[i] = old + eps
			up := f()
			c.Weight.W[i] = old - eps
			down := f()
			c.Weight.W[i] = old
			checkClose(t, "dW", float64(c.Weight.G[i]), (up-down)/(2*eps))
		}
		checkClose(t, "db", float64(c.Bias.G[0]), func() float64 {
			s := 0.0
			for _, v := range proj[:oh*ow] {
				s += float64(v)
			}
			return s
		}())
	}
}

func TestResizeMatchesPointwiseAndGradient(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	h, w, oh, ow := 4, 5, 9, 13
	x := randn(r, 2*h*w)
	rs := NewResize(h, w, oh, ow)
	y := make([]float32, 2*oh*ow)
	rs.Forward(x, 2, y)
	// Pointwise half-pixel bilinear reference.
	for c := 0; c < 2; c++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				sy := math.Max(0, math.Min((float64(oy)+0.5)*float64(h)/float64(oh)-0.5, float64(h-1)))
				sx := math.Max(0, math.Min((float64(ox)+0.5)*float64(w)/float64(ow)-0.5, float64(w-1)))
				y0, x0 := int(sy), int(sx)
				y1, x1 := min(y0+1, h-1), min(x0+1, w-1)
				fy, fx := sy-float64(y0), sx-float64(x0)
				at := func(yy, xx int) float64 { return float64(x[c*h*w+yy*w+xx]) }
				want := (at(y0, x0)*(1-fx)+at(y0, x1)*fx)*(1-fy) + (at(y1, x0)*(1-fx)+at(y1, x1)*fx)*fy
				if got := float64(y[c*oh*ow+oy*ow+ox]); math.Abs(got-want) > 1e-5 {
					t.Fatalf("resize(%d,%d,%d) = %g, want %g", c, oy, ox, got, want)
				}
			}
		}
	}
	proj := randn(r, len(y))
	dx := make([]float32, len(x))
	rs.Backward(proj, 2, dx)
	const eps = 1e-2
	for _, i := range []int{0, 7, len(x) - 1} {
		old := x[i]
		x[i] = old + eps
		rs.Forward(x, 2, y)
		up := lossOf(y, proj)
		x[i] = old - eps
		rs.Forward(x, 2, y)
		down := lossOf(y, proj)
		x[i] = old
		checkClose(t, "resize dx", float64(dx[i]), (up-down)/(2*eps))
	}
}

func TestSoftmaxCrossEntropyGradient(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	classes, n := 4, 6
	logits := randn(r, classes*n)
	labels := []uint8{0, 3, Ignore, 1, 2, 2}
	weights := []float32{1, 2, 0.5, 1}
	d := make([]float32, len(logits))
	loss, count := SoftmaxCrossEntropy(logits, labels, classes, weights, d)
	if count != 5 {
		t.Fatalf("counted %d pixels, want 5", count)
	}
	if loss <= 0 {
		t.Fatalf("loss %g", loss)
	}
	scratch := make([]float32, len(logits))
	const eps = 1e-2
	for i := range logits {
		old := logits[i]
		logits[i] = old + eps
		up, _ := SoftmaxCrossEntropy(logits, labels, classes, weights, scratch)
		logits[i] = old - eps
		down, _ := SoftmaxCrossEntropy(logits, labels, classes, weights, scratch)
		logits[i] = old
		checkClose(t, "dlogits", float64(d[i]), (up-down)/(2*eps))
	}
	if d[0*n+2] != 0 || d[1*n+2] != 0 {
		t.Fatal("ignored pixel got a gradient")
	}
}

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
