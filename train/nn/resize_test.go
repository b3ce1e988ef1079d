package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

func randn(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	return x
}

// Interp's matrices, applied as Ry · x · Rxᵀ (what the resize op does with
// GEMM), match a pointwise half-pixel bilinear reference (ONNX Resize).
func TestInterpMatchesHalfPixelBilinear(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	h, w, oh, ow := 4, 5, 9, 13
	x := randn(r, h*w)
	ry, rx := Interp(h, oh), Interp(w, ow)
	for oy := 0; oy < oh; oy++ {
		for ox := 0; ox < ow; ox++ {
			var got float64
			for yy := 0; yy < h; yy++ {
				for xx := 0; xx < w; xx++ {
					got += float64(ry[oy*h+yy]) * float64(x[yy*w+xx]) * float64(rx[ox*w+xx])
				}
			}
			sy := math.Max(0, math.Min((float64(oy)+0.5)*float64(h)/float64(oh)-0.5, float64(h-1)))
			sx := math.Max(0, math.Min((float64(ox)+0.5)*float64(w)/float64(ow)-0.5, float64(w-1)))
			y0, x0 := int(sy), int(sx)
			y1, x1 := min(y0+1, h-1), min(x0+1, w-1)
			fy, fx := sy-float64(y0), sx-float64(x0)
			at := func(yy, xx int) float64 { return float64(x[yy*w+xx]) }
			want := (at(y0, x0)*(1-fx)+at(y0, x1)*fx)*(1-fy) + (at(y1, x0)*(1-fx)+at(y1, x1)*fx)*fy
			if math.Abs(got-want) > 1e-5 {
				t.Fatalf("resize(%d,%d) = %g, want %g", oy, ox, got, want)
			}
		}
	}
}

// The resize op's two-tap passes give what the products with Interp's
// matrices give, forward (Ry·x·Rxᵀ) and backward (Ryᵀ·dy·Rx), for up- and
// downsampling.
func TestResizerMatchesInterpMatrices(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, c := range [][4]int{{4, 5, 9, 13}, {15, 20, 60, 80}, {12, 9, 5, 4}, {1, 1, 3, 2}} {
		h, w, oh, ow := c[0], c[1], c[2], c[3]
		const planes = 3
		x, dy := randn(r, planes*h*w), randn(r, planes*oh*ow)
		var rs resizer
		rs.prepare(h, w, oh, ow, planes)
		y, dx := make([]float32, len(dy)), make([]float32, len(x))
		rs.forward(x, y, planes)
		rs.backward(dy, dx, planes)
		ry, rx := Interp(h, oh), Interp(w, ow)
		for pl := range planes {
			xp, yp := x[pl*h*w:], y[pl*oh*ow:]
			for oy := range oh {
				for ox := range ow {
					var want float64
					for yy := range h {
						for xx := range w {
							want += float64(ry[oy*h+yy]) * float64(xp[yy*w+xx]) * float64(rx[ox*w+xx])
						}
					}
					if got := yp[oy*ow+ox]; math.Abs(float64(got)-want) > 1e-5 {
						t.Fatalf("%v forward plane %d (%d,%d) = %g, want %g", c, pl, oy, ox, got, want)
					}
				}
			}
			dyp, dxp := dy[pl*oh*ow:], dx[pl*h*w:]
			for yy := range h {
				for xx := range w {
					var want float64
					for oy := range oh {
						for ox := range ow {
							want += float64(ry[oy*h+yy]) * float64(dyp[oy*ow+ox]) * float64(rx[ox*w+xx])
						}
					}
					if got := dxp[yy*w+xx]; math.Abs(float64(got)-want) > 1e-4*math.Max(1, math.Abs(want)) {
						t.Fatalf("%v backward plane %d (%d,%d) = %g, want %g", c, pl, yy, xx, got, want)
					}
				}
			}
		}
	}
}
