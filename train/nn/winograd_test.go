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

// Winograd F(4x4, 3x3) gives im2col's convolution up to rounding. It
// computes a 4x4 tile's outputs from the same 36 transformed products,
// which cancel, and scales by up to 8 in its transforms, so its rounding is
// relative to the tile's Σ|w·x| over its outputs: against an exact float64
// sum, each output's error is within 4e-6 of that. (float32's ε is 6e-8;
// the largest of the transforms' coefficients multiply to about 30, and
// the GEMMs' sums of c terms round like im2col's of 9·c; measured: up to
// 6.3e-7, against im2col's 8e-8.) Sizes with odd outputs, every padding,
// bias and several bands per image.
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
		{1, 1, 40, 9, 23, 44, true, 1},    // channels past the last 8, with bias
	} {
		g := newGeometry(ConvSpec{3, 1, c.pad}, c.c, c.h, c.w)
		if g.winograd(c.out) != (min(c.c, c.out) >= 32) {
			t.Fatalf("%+v: Winograd %v, want it from 32 channels in and out", c, g.winograd(c.out))
		}
		ws := &Workspace{Workers: c.workers, winoFloats: 36 * 8 * (c.c + c.out) * 2} // 2 tile rows per band
		if th, _ := g.winoTiles(); c.c == 64 && g.winoBand(c.out, ws.winoFloats) >= th {
			t.Fatalf("%+v: one band, want several", c)
		}
		w, x := randn(r, c.out*g.kk()), randn(r, c.n*g.c*g.h*g.w)
		var bias []float32
		if c.bias {
			bias = randn(r, c.out)
		}
		exact, scale := convRef(g, c.n, c.out, w, x, bias)
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
		if math.IsNaN(ew) || ew > 4e-6 || ei > 1e-6 {
			t.Errorf("%+v: Winograd's error %.3g of Σ|w·x|, im2col's %.3g", c, ew, ei)
		}
		t.Logf("%+v: largest error / the tile's Σ|w·x|: Winograd %.3g, im2col %.3g", c, ew, ei)
	}
}

// tileScale is, for each output of planes [oh x ow], the sum of scale over
// the 4x4 tile of outputs it belongs to.
func tileScale(g geometry, planes int, scale []float64) []float64 {
	t := make([]float64, len(scale))
	for p := range planes {
		s := scale[p*g.p() : (p+1)*g.p()]
		for oy := range g.oh {
			for ox := range g.ow {
				y0, x0 := oy&^3, ox&^3
				for y := y0; y < min(y0+4, g.oh); y++ {
					for x := x0; x < min(x0+4, g.ow); x++ {
						t[p*g.p()+oy*g.ow+ox] += s[y*g.ow+x]
					}
				}
			}
		}
	}
	return t
}

// The data gradient by Winograd (dy with the turned kernel) matches
// col2im(Wᵀ·dy) within the forward pass's bound, 4e-6 of the tile's Σ|w·dy|
// (col2im of |w| and |dy|).
func TestWinogradDXMatchesCol2im(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	for _, pad := range []int{0, 1, 2} {
		const n, c, h, w, out = 2, 40, 13, 18, 32
		g := newGeometry(ConvSpec{3, 1, pad}, c, h, w)
		if !newGeometry(ConvSpec{3, 1, 2 - pad}, out, g.oh, g.ow).winograd(c) {
			t.Fatalf("pad %d: the data gradient is not Winograd", pad)
		}
		wt, dy := randn(r, out*g.kk()), randn(r, n*out*g.p())
		got, want, scale := make([]float32, n*c*h*w), make([]float32, n*c*h*w), make([]float32, n*c*h*w)
		ws := &Workspace{}
		ws.turnedDX(g, n, out, wt, dy, got)
		ws.col2imDX(g, n, out, wt, dy, want)
		ws.col2imDX(g, n, out, abs(wt), abs(dy), scale)
		s64 := make([]float64, len(scale))
		for i, v := range scale {
			s64[i] = float64(v)
		}
		tile := tileScale(newGeometry(ConvSpec{3, 1, 1}, c, h, w), n*c, s64)
		for i := range want {
			if d := math.Abs(float64(got[i] - want[i])); !(d <= 4e-6*tile[i]) {
				t.Fatalf("pad %d: dx[%d] = %g, col2im gives %g (tile's scale %g)", pad, i, got[i], want[i], tile[i])
			}
		}
	}
}

func abs(s []float32) []float32 {
	a := make([]float32, len(s))
	for i, v := range s {
		a[i] = float32(math.Abs(float64(v)))
	}
	return a
}
