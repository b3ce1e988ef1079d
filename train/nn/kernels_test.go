package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The kernels give the same bits as their scalar versions, whichever runs
// (the SIMD ones when built with GOEXPERIMENT=simd on AVX2): every length
// up to a few vectors and a long row, ReLU zeros, -0 and NaN among the
// values (any NaN for a NaN).
func TestKernelsMatchScalar(t *testing.T) {
	t.Logf("SIMD kernels: %v", simdOK)
	r := rand.New(rand.NewPCG(5, 6))
	vals := func(n int) []float32 {
		v := randn(r, n)
		for i := range v {
			switch r.IntN(16) {
			case 0:
				v[i] = 0
			case 1:
				v[i] = float32(math.Copysign(0, -1))
			}
		}
		return v
	}
	isNaN := func(v float32) bool { return v != v }
	same := func(what string, n int, got, want []float32) {
		t.Helper()
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(isNaN(got[i]) && isNaN(want[i])) {
				t.Fatalf("%s, length %d: [%d] = %g, scalar %g", what, n, i, got[i], want[i])
			}
		}
	}
	for _, n := range append([]int{1000, 4099}, func() (l []int) {
		for n := range 37 {
			l = append(l, n)
		}
		return
	}()...) {
		x, g, s, m := vals(n), vals(n), float32(r.NormFloat64()), float32(r.NormFloat64())
		if n > 3 {
			x[3] = float32(math.NaN())
		}
		y := make([]float32, n)
		for i, v := range g {
			y[i] = max(v, 0) // a ReLU output: +0 or positive
		}
		for _, relu := range []bool{false, true} {
			got, want := make([]float32, n), make([]float32, n)
			normRow(x, got, s, m, relu)
			normRowScalar(x, want, s, m, relu)
			same("normRow", n, got, want)
		}
		got, want := make([]float32, n), make([]float32, n)
		dxRow(got, g, x, s, m, 0.25)
		dxRowScalar(want, g, x, s, m, 0.25)
		same("dxRow", n, got, want)
		copy(got, g)
		dxRow(got, got, x, s, m, 0.25) // in place, as bnDX calls it
		same("dxRow in place", n, got, want)

		got, want = append(got[:0], x...), append(want[:0], x...)
		maxRow(got, g)
		maxRowScalar(want, g)
		same("maxRow", n, got, want)
		maxRow(got, x) // NaN in dst, equal values
		maxRowScalar(want, x)
		same("maxRow equal", n, got, want)
		got, want = append(got[:0], g...), append(want[:0], g...)
		mulRow(got, x)
		mulRowScalar(want, x)
		same("mulRow", n, got, want)

		got, want = make([]float32, n), make([]float32, n)
		blendRow(got, g, x, s, m)
		blendRowScalar(want, g, x, s, m)
		same("blendRow", n, got, want)
		got2, want2 := append([]float32(nil), x...), append([]float32(nil), x...)
		copy(got, g)
		copy(want, g)
		spreadRow(got, got2, y, s, m)
		spreadRowScalar(want, want2, y, s, m)
		same("spreadRow a", n, got, want)
		same("spreadRow b", n, got2, want2)
		spreadRow(got, got, y, s, m) // the same row, at a clamped edge
		spreadRowScalar(want, want, y, s, m)
		same("spreadRow a = b", n, got, want)

		a2, b2 := vals(2*n), vals(2*n)
		if n > 3 {
			a2[5] = float32(math.NaN())
			b2[0], b2[1], a2[0], a2[1] = float32(math.Copysign(0, -1)), float32(math.Copysign(0, -1)), float32(math.Copysign(0, -1)), float32(math.Copysign(0, -1))
		}
		got, want = make([]float32, n), make([]float32, n)
		pool2Row(got, a2, b2)
		pool2RowScalar(want, a2, b2)
		same("pool2Row", n, got, want)
		got2, want2 = make([]float32, 2*n), make([]float32, 2*n)
		unpool2Row(got2, x, 3)
		unpool2RowScalar(want2, x, 3)
		same("unpool2Row", n, got2, want2)

		x = vals(n) // sums without the NaN
		a, b := maskedSums(g, y, x, m, got)
		c, d := maskedSumsScalar(g, y, x, m, want)
		same("maskedSums", n, []float32{a, b}, []float32{c, d})
		same("maskedSums out", n, got, want)
		a, b = maskedSums(g, y, x, m, nil)
		same("maskedSums without out", n, []float32{a, b}, []float32{c, d})
		a, b = gradSums(g, x, m)
		c, d = gradSumsScalar(g, x, m)
		same("gradSums", n, []float32{a, b}, []float32{c, d})
		s1, s2 := sumSquares(x)
		s3, s4 := sumSquaresScalar(x)
		if s1 != s3 || s2 != s4 {
			t.Fatalf("sumSquares, length %d: %v, %v; scalar %v, %v", n, s1, s2, s3, s4)
		}
	}
}

// expShifted gives the same bits as its scalar version, over the whole
// range, both edges and NaN.
func TestExpShiftedMatchesScalar(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{0, 1, 7, 8, 9, 17, 512, 1001} {
		z, shift := make([]float32, n), make([]float32, n)
		for i := range z {
			z[i] = float32(r.Float64()*200 - 100)
			shift[i] = float32(r.NormFloat64())
		}
		if n > 2 {
			z[0], z[1], z[2] = float32(math.NaN()), 88.37, -87.3
		}
		got, want := make([]float32, n), make([]float32, n)
		gs, ws := randn(r, n), make([]float32, n)
		copy(ws, gs)
		expShifted(got, z, shift, gs)
		expShiftedScalar(want, z, shift, ws)
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(math.IsNaN(float64(got[i])) && math.IsNaN(float64(want[i]))) {
				t.Fatalf("length %d: e^%g = %g, scalar %g", n, z[i]-shift[i], got[i], want[i])
			}
			if math.Float32bits(gs[i]) != math.Float32bits(ws[i]) && !(math.IsNaN(float64(gs[i])) && math.IsNaN(float64(ws[i]))) {
				t.Fatalf("length %d: sum %g, scalar %g", n, gs[i], ws[i])
			}
		}
	}
}

// 2x2 average pooling and its gradient, whose full windows run pool2Row
// and unpool2Row, give the bits of a window-by-window loop, at sizes with
// partial windows at both edges and rows long enough for whole vectors.
func TestAvgPool2MatchesWindows(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	const n, c, h, w = 2, 3, 7, 37
	oh, ow := ceilDiv(h, 2), ceilDiv(w, 2)
	x, dy := randTensor(r, 1, n, c, h, w), randTensor(r, 1, n, c, oh, ow)
	y, err := (&poolOp{op: newOp("avgpool2", 4, 4), k: 2}).Do(x)
	if err != nil {
		t.Fatal(err)
	}
	dx, err := (&poolGrad{op: newOp("avgpool2/dx", 4, 4, 4), k: 2}).Do(x, dy)
	if err != nil {
		t.Fatal(err)
	}
	xs, ys, gs, dxs := x.Float32s(), f32(y), dy.Float32s(), f32(dx)
	for p := range n * c {
		for oy := range oh {
			for ox := range ow {
				var s float32
				cnt := 0
				for yy := 2 * oy; yy < min(2*oy+2, h); yy++ {
					for xx := 2 * ox; xx < min(2*ox+2, w); xx++ {
						s += xs[(p*h+yy)*w+xx]
						cnt++
					}
				}
				if got, want := ys[(p*oh+oy)*ow+ox], s/float32(cnt); math.Float32bits(got) != math.Float32bits(want) {
					t.Fatalf("y[%d,%d,%d] = %g, want %g", p, oy, ox, got, want)
				}
				g := gs[(p*oh+oy)*ow+ox] / float32(cnt)
				for yy := 2 * oy; yy < min(2*oy+2, h); yy++ {
					for xx := 2 * ox; xx < min(2*ox+2, w); xx++ {
						if got := dxs[(p*h+yy)*w+xx]; math.Float32bits(got) != math.Float32bits(g) {
							t.Fatalf("dx[%d,%d,%d] = %g, want %g", p, yy, xx, got, g)
						}
					}
				}
			}
		}
	}
}
