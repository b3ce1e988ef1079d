package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// convRef is a 3x3 stride-1 convolution in float64, summed directly: the
// exact value y and Σ|w·x|, the scale of any float32 sum's rounding.
func convRef(g geometry, n, out int, w, x, bias []float32) (y, scale []float64) {
	y, scale = make([]float64, n*out*g.p()), make([]float64, n*out*g.p())
	for i := range n {
		for o := range out {
			for oy := range g.oh {
				for ox := range g.ow {
					s, a := 0.0, 0.0
					if bias != nil {
						s, a = float64(bias[o]), math.Abs(float64(bias[o]))
					}
					for c := range g.c {
						for ky := range 3 {
							iy := oy - g.Pad + ky
							if iy < 0 || iy >= g.h {
								continue
							}
							for kx := range 3 {
								ix := ox - g.Pad + kx
								if ix < 0 || ix >= g.w {
									continue
								}
								p := float64(w[((o*g.c+c)*3+ky)*3+kx]) * float64(x[((i*g.c+c)*g.h+iy)*g.w+ix])
								s += p
								a += math.Abs(p)
							}
						}
					}
					j := ((i*out+o)*g.oh+oy)*g.ow + ox
					y[j], scale[j] = s, a
				}
			}
		}
	}
	return y, scale
}

// Winograd F(2x2, 3x3) gives im2col's convolution up to rounding. It
// computes a 2x2 tile's four outputs from the same 16 transformed products,
// which may cancel, so its rounding is relative to the tile's Σ|w·x| over
// the four outputs: against an exact float64 sum, each output's error is
// within 1e-5 of that (float32's ε is 6e-8; the GEMMs' sums of up to c
// terms round like im2col's of 9·c, and the transforms add a handful of
// roundings of values below the tile's scale) and within 4 times im2col's
// largest error plus one ε. Sizes with odd outputs, every padding, bias
// and several bands per image.
func TestWinogradMatchesIm2col(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, c := range []struct {
		pad, n, c, h, w, out int
		bias                 bool
		workers              int
	}{
		{1, 2, 5, 7, 6, 4, true, 1},
		{0, 1, 3, 6, 9, 2, false, 2},
		{2, 1, 2, 5, 4, 3, false, 1},
		{1, 1, 1, 2, 3, 1, true, 1},
		{1, 2, 64, 21, 119, 16, false, 2}, // a dense layer's, odd sizes, several bands
		{1, 1, 16, 20, 30, 64, true, 1},   // a data gradient's shape: few in, many out
		{1, 2, 64, 17, 45, 64, false, 2},  // a blend's, as convForward runs it
	} {
		g := newGeometry(ConvSpec{3, 1, c.pad}, c.c, c.h, c.w)
		if g.winograd(c.out) != (min(c.c, c.out) >= 32) {
			t.Fatalf("%+v: Winograd %v, want it from 32 channels in and out", c, g.winograd(c.out))
		}
		if c.c == 64 && g.winoBand(c.out) >= (g.oh+1)/2 {
			t.Fatalf("%+v: one band, want several", c)
		}
		w, x := randn(r, c.out*g.kk()), randn(r, c.n*g.c*g.h*g.w)
		var bias []float32
		if c.bias {
			bias = randn(r, c.out)
		}
		exact, scale := convRef(g, c.n, c.out, w, x, bias)
		ws := &Workspace{Workers: c.workers}
		wino := make([]float32, len(exact))
		for i := range wino {
			wino[i] = float32(math.NaN()) // every output must be written
		}
		ws.winoConv(g, c.n, c.out, winoWeights(w, c.out, g.c, nil), x, bias, wino)
		im2col := make([]float32, len(exact))
		ws.convForward(g, c.n, c.out, x, w, bias, im2col, make([]float32, c.n*g.kk()*g.p()))
		tile := tileScale(g, c.n*c.out, scale)
		worst := func(y []float32) float64 {
			e := 0.0
			for i, v := range y {
				e = math.Max(e, math.Abs(float64(v)-exact[i])/tile[i])
			}
			return e
		}
		ew, ei := worst(wino), worst(im2col)
		if math.IsNaN(ew) || ew > 1e-5 || ew > 4*ei+6e-8 {
			t.Errorf("%+v: Winograd's error %.3g of Σ|w·x|, im2col's %.3g", c, ew, ei)
		}
		t.Logf("%+v: largest error / the tile's Σ|w·x|: Winograd %.3g, im2col %.3g", c, ew, ei)
	}
}

// tileScale is, for each output of planes [oh x ow], the sum of scale over
// the 2x2 tile of outputs it belongs to.
func tileScale(g geometry, planes int, scale []float64) []float64 {
	t := make([]float64, len(scale))
	for p := range planes {
		s := scale[p*g.p() : (p+1)*g.p()]
		for oy := range g.oh {
			for ox := range g.ow {
				y0, x0 := oy&^1, ox&^1
				for y := y0; y < min(y0+2, g.oh); y++ {
					for x := x0; x < min(x0+2, g.ow); x++ {
						t[p*g.p()+oy*g.ow+ox] += s[y*g.ow+x]
					}
				}
			}
		}
	}
	return t
}

// The data gradient by Winograd (dy with the turned kernel) matches
// col2im(Wᵀ·dy), each value within 2e-5 of the larger of 1 and itself
// (values of dy and w of 1, sums of out·9 = 288 products).
func TestWinogradDXMatchesCol2im(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	for _, pad := range []int{0, 1, 2} {
		const n, c, h, w, out = 2, 40, 13, 18, 32
		g := newGeometry(ConvSpec{3, 1, pad}, c, h, w)
		if !newGeometry(ConvSpec{3, 1, 2 - pad}, out, g.oh, g.ow).winograd(c) {
			t.Fatalf("pad %d: the data gradient is not Winograd", pad)
		}
		wt, dy := randn(r, out*g.kk()), randn(r, n*out*g.p())
		got, want := make([]float32, n*c*h*w), make([]float32, n*c*h*w)
		ws := &Workspace{}
		ws.turnedDX(g, n, out, wt, dy, got)
		ws.col2imDX(g, n, out, wt, dy, want)
		for i := range want {
			if d := math.Abs(float64(got[i] - want[i])); d > 2e-5*math.Max(1, math.Abs(float64(want[i]))) {
				t.Fatalf("pad %d: dx[%d] = %g, col2im gives %g", pad, i, got[i], want[i])
			}
		}
	}
}
