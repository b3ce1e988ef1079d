package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The stride-1 data gradient as a convolution of dy with the turned kernel
// matches col2im(Wᵀ·dy), for kernel sizes, paddings and sizes that tile.
func TestTurnedConvMatchesCol2im(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, c := range []struct {
		spec            ConvSpec
		n, c, h, w, out int
	}{
		{ConvSpec{3, 1, 1}, 2, 5, 7, 6, 4},
		{ConvSpec{3, 1, 0}, 1, 3, 6, 9, 2},
		{ConvSpec{3, 1, 2}, 1, 2, 5, 4, 3},
		{ConvSpec{2, 1, 1}, 2, 3, 4, 5, 3},
		{ConvSpec{5, 1, 2}, 1, 4, 8, 7, 2},
		{ConvSpec{3, 1, 1}, 2, 64, 20, 120, 16}, // a dense layer's, in several row tiles
	} {
		g := newGeometry(c.spec, c.c, c.h, c.w)
		if !g.turnable() {
			t.Fatalf("%+v: not turnable", c)
		}
		wt, dy := randn(r, c.out*g.kk()), randn(r, c.n*c.out*g.p())
		ws := &Workspace{}
		got, want := make([]float32, c.n*c.c*c.h*c.w), make([]float32, c.n*c.c*c.h*c.w)
		ws.turnedDX(g, c.n, c.out, wt, dy, got)
		ws.col2imDX(g, c.n, c.out, wt, dy, want)
		for i := range want {
			if math.Abs(float64(got[i]-want[i])) > 1e-5*math.Max(1, math.Abs(float64(want[i]))) {
				t.Fatalf("%+v: dx[%d] = %g, col2im gives %g", c, i, got[i], want[i])
			}
		}
	}
}

// The weight gradient is the same bits however the images are split: one
// worker, one per image, and one worker with spare cores lent to it.
func TestConvDWSameForAnyWorkers(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	const n, c, h, w, out = 3, 64, 20, 120, 16 // several row tiles per image
	g := newGeometry(ConvSpec{3, 1, 1}, c, h, w)
	x, dy := randn(r, n*c*h*w), randn(r, n*out*g.p())
	dw := func(ws *Workspace) []float32 {
		d := make([]float32, out*g.kk())
		ws.convDW(g, n, out, x, dy, nil, d)
		return d
	}
	want := dw(&Workspace{Workers: 1})
	spare := &Cores{}
	spare.Set(2)
	for _, ws := range []*Workspace{{Workers: 3}, {Workers: 2}, {Workers: 1, Spare: spare}} {
		got := dw(ws)
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("workers %d, spare %v: dw[%d] = %g, one worker %g", ws.Workers, ws.Spare != nil, i, got[i], want[i])
			}
		}
	}
	if f := spare.free.Load(); f != 2 {
		t.Errorf("%d spare cores after the convolutions, want the 2 lent", f)
	}
}
