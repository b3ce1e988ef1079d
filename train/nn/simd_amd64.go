//go:build goexperiment.simd

package nn

import (
	"math"
	"simd/archsimd"
)

// simdOK is whether the element-wise kernels below may run: built with
// GOEXPERIMENT=simd (scripts/setup.sh and scripts/test.sh set it) on a CPU
// with AVX2. Each gives bit for bit what its scalar version in kernels.go
// gives (TestKernelsMatchScalar): no fused multiply-adds, and sums keep
// the scalar loops' four partial sums as the four lanes of one vector.
var simdOK = archsimd.X86.AVX2()

// normRowSIMD is normRow eight values at a time.
func normRowSIMD(src, dst []float32, s, t float32, relu bool) {
	dst = dst[:len(src)]
	sv, tv := archsimd.BroadcastFloat32x8(s), archsimd.BroadcastFloat32x8(t)
	var zero archsimd.Float32x8
	i := 0
	for ; i+8 <= len(src); i += 8 {
		v := archsimd.LoadFloat32x8Slice(src[i:]).Mul(sv).Add(tv)
		if relu {
			// VMAXPS gives its second operand for NaN, Go's max NaN.
			v = v.Merge(v.Max(zero), v.IsNaN())
		}
		v.StoreSlice(dst[i:])
	}
	normRowScalar(src[i:], dst[i:], s, t, relu)
}

// dxRowSIMD is dxRow eight values at a time.
func dxRowSIMD(dst, g, x []float32, s, a, b float32) {
	g, x = g[:len(dst)], x[:len(dst)]
	sv, av, bv := archsimd.BroadcastFloat32x8(s), archsimd.BroadcastFloat32x8(a), archsimd.BroadcastFloat32x8(b)
	i := 0
	for ; i+8 <= len(dst); i += 8 {
		gv, xv := archsimd.LoadFloat32x8Slice(g[i:]), archsimd.LoadFloat32x8Slice(x[i:])
		sv.Mul(gv).Add(av.Mul(xv)).Add(bv).StoreSlice(dst[i:])
	}
	dxRowScalar(dst[i:], g[i:], x[i:], s, a, b)
}

// maskedSumsSIMD is maskedSums with its four partial sums in one vector.
func maskedSumsSIMD(dy, y, x []float32, mean float32, out []float32) (sg, sgx float32) {
	y, x = y[:len(dy)], x[:len(dy)]
	mv := archsimd.BroadcastFloat32x4(mean)
	var a, b archsimd.Float32x4
	var zero archsimd.Int32x4
	i := 0
	for ; i+4 <= len(dy); i += 4 {
		keep := archsimd.LoadFloat32x4Slice(y[i:]).AsInt32x4().NotEqual(zero)
		g := archsimd.LoadFloat32x4Slice(dy[i:]).AsInt32x4().Masked(keep).AsFloat32x4()
		if out != nil {
			g.StoreSlice(out[i:])
		}
		a = a.Add(g)
		b = b.Add(g.Mul(archsimd.LoadFloat32x4Slice(x[i:]).Sub(mv)))
	}
	var av, bv [4]float32
	a.Store(&av)
	b.Store(&bv)
	if out != nil {
		out = out[i:]
	}
	return maskedSumsTail(dy[i:], y[i:], x[i:], mean, out, av, bv)
}

// gradSumsSIMD is gradSums with its four partial sums in one vector.
func gradSumsSIMD(dy, x []float32, mean float32) (sg, sgx float32) {
	x = x[:len(dy)]
	mv := archsimd.BroadcastFloat32x4(mean)
	var a, b archsimd.Float32x4
	i := 0
	for ; i+4 <= len(dy); i += 4 {
		g := archsimd.LoadFloat32x4Slice(dy[i:])
		a = a.Add(g)
		b = b.Add(g.Mul(archsimd.LoadFloat32x4Slice(x[i:]).Sub(mv)))
	}
	var av, bv [4]float32
	a.Store(&av)
	b.Store(&bv)
	return gradSumsTail(dy[i:], x[i:], mean, av, bv)
}

// sumSquaresSIMD is sumSquares with its four partial sums in one vector.
func sumSquaresSIMD(x []float32) (s, ss float64) {
	var a, b archsimd.Float64x4
	i := 0
	for ; i+4 <= len(x); i += 4 {
		v := archsimd.LoadFloat32x4Slice(x[i:]).ConvertToFloat64()
		a = a.Add(v)
		b = b.Add(v.Mul(v))
	}
	var av, bv [4]float64
	a.Store(&av)
	b.Store(&bv)
	return sumSquaresTail(x[i:], av, bv)
}

// expShiftedSIMD is expShifted eight values at a time: the same
// operations in the same order in every lane, out-of-range lanes replaced
// after.
func expShiftedSIMD(dst, z, shift, sum []float32) {
	z, shift, sum = z[:len(dst)], shift[:len(dst)], sum[:len(dst)]
	b := archsimd.BroadcastFloat32x8
	log2e, ln2hi, ln2lo, magic := b(expLog2e), b(expLn2hi), b(expLn2lo), b(expMagic)
	over, under, inf := b(expOver), b(expUnder), b(float32(math.Inf(1)))
	c := [...]archsimd.Float32x8{b(1.0 / 720), b(1.0 / 120), b(1.0 / 24), b(1.0 / 6), b(0.5), b(1), b(1)}
	bias := archsimd.BroadcastInt32x8(127)
	var zero archsimd.Float32x8
	i := 0
	for ; i+8 <= len(dst); i += 8 {
		x := archsimd.LoadFloat32x8Slice(z[i:]).Sub(archsimd.LoadFloat32x8Slice(shift[i:]))
		n := x.Mul(log2e).Add(magic).Sub(magic)
		r := x.Sub(n.Mul(ln2hi)).Sub(n.Mul(ln2lo))
		p := c[0]
		for _, k := range c[1:] {
			p = p.Mul(r).Add(k)
		}
		e := p.Mul(n.ConvertToInt32().Add(bias).ShiftAllLeft(23).AsFloat32x8())
		// a.Merge(b, m) is a where m is set, else b.
		e = inf.Merge(e, x.Greater(over))
		e = zero.Merge(e, x.Less(under))
		e.StoreSlice(dst[i:])
		archsimd.LoadFloat32x8Slice(sum[i:]).Add(e).StoreSlice(sum[i:])
	}
	expShiftedScalar(dst[i:], z[i:], shift[i:], sum[i:])
}

// maxRowSIMD is maxRow eight values at a time, with Go's max: NaN if
// either is, +0 for -0 and +0.
func maxRowSIMD(dst, src []float32) {
	src = src[:len(dst)]
	i := 0
	for ; i+8 <= len(dst); i += 8 {
		a, b := archsimd.LoadFloat32x8Slice(dst[i:]), archsimd.LoadFloat32x8Slice(src[i:])
		// VMAXPS is a > b ? a : b: b for equal values (-0 and +0 among
		// them), where a AND b is Go's, and b when a is NaN.
		m := a.AsInt32x8().And(b.AsInt32x8()).AsFloat32x8().Merge(a.Max(b), a.Equal(b))
		a.Merge(m, a.IsNaN()).StoreSlice(dst[i:])
	}
	maxRowScalar(dst[i:], src[i:])
}

// mulRowSIMD is mulRow eight values at a time.
func mulRowSIMD(dst, src []float32) {
	src = src[:len(dst)]
	i := 0
	for ; i+8 <= len(dst); i += 8 {
		archsimd.LoadFloat32x8Slice(dst[i:]).Mul(archsimd.LoadFloat32x8Slice(src[i:])).StoreSlice(dst[i:])
	}
	mulRowScalar(dst[i:], src[i:])
}

// blendRowSIMD is blendRow eight values at a time.
func blendRowSIMD(d, a, b []float32, w0, w1 float32) {
	a, b = a[:len(d)], b[:len(d)]
	v0, v1 := archsimd.BroadcastFloat32x8(w0), archsimd.BroadcastFloat32x8(w1)
	i := 0
	for ; i+8 <= len(d); i += 8 {
		archsimd.LoadFloat32x8Slice(a[i:]).Mul(v0).Add(archsimd.LoadFloat32x8Slice(b[i:]).Mul(v1)).StoreSlice(d[i:])
	}
	blendRowScalar(d[i:], a[i:], b[i:], w0, w1)
}

// spreadRowSIMD is spreadRow eight values at a time; a is stored before b
// is loaded, so that the same row gets both terms in order.
func spreadRowSIMD(a, b, g []float32, w0, w1 float32) {
	a, b = a[:len(g)], b[:len(g)]
	v0, v1 := archsimd.BroadcastFloat32x8(w0), archsimd.BroadcastFloat32x8(w1)
	i := 0
	for ; i+8 <= len(g); i += 8 {
		gv := archsimd.LoadFloat32x8Slice(g[i:])
		archsimd.LoadFloat32x8Slice(a[i:]).Add(gv.Mul(v0)).StoreSlice(a[i:])
		archsimd.LoadFloat32x8Slice(b[i:]).Add(gv.Mul(v1)).StoreSlice(b[i:])
	}
	spreadRowScalar(a[i:], b[i:], g[i:], w0, w1)
}

// transpose4 transposes the 4x4 blocks of each 128-bit half of l0..l3:
// from four vectors of two tiles' four values each (tiles 0-1, 2-3, 4-5,
// 6-7) to the four values of tiles 0, 2, 4, 6, 1, 3, 5, 7. It is its own
// inverse.
func transpose4(l0, l1, l2, l3 archsimd.Float32x8) (x0, x1, x2, x3 archsimd.Float32x8) {
	a0, a1, a2, a3 := l0.AsInt32x8(), l1.AsInt32x8(), l2.AsInt32x8(), l3.AsInt32x8()
	t0, t1 := a0.InterleaveLoGrouped(a1).AsInt64x4(), a0.InterleaveHiGrouped(a1).AsInt64x4()
	t2, t3 := a2.InterleaveLoGrouped(a3).AsInt64x4(), a2.InterleaveHiGrouped(a3).AsInt64x4()
	return t0.InterleaveLoGrouped(t2).AsFloat32x8(), t0.InterleaveHiGrouped(t2).AsFloat32x8(),
		t1.InterleaveLoGrouped(t3).AsFloat32x8(), t1.InterleaveHiGrouped(t3).AsFloat32x8()
}

// bt6SIMD is bt6 on eight tiles.
func bt6SIMD(d0, d1, d2, d3, d4, d5, four, five, two archsimd.Float32x8) (u0, u1, u2, u3, u4, u5 archsimd.Float32x8) {
	a, b := d4.Sub(four.Mul(d2)), four.Mul(d1).Sub(d3)
	c, e := d4.Sub(d2), two.Mul(d1.Sub(d3))
	return four.Mul(d0).Sub(five.Mul(d2)).Add(d4), a.Sub(b), a.Add(b), c.Sub(e), c.Add(e), four.Mul(d1).Sub(five.Mul(d3)).Add(d5)
}

// at6SIMD is at6 on eight tiles.
func at6SIMD(m0, m1, m2, m3, m4, m5, two, four, eight archsimd.Float32x8) (y0, y1, y2, y3 archsimd.Float32x8) {
	a, b, c, d := m1.Add(m2), m1.Sub(m2), m3.Add(m4), m3.Sub(m4)
	return m0.Add(a).Add(c), b.Add(two.Mul(d)), a.Add(four.Mul(c)), b.Add(eight.Mul(d)).Add(m5)
}

// winoInRowSIMD is winoInRow eight tiles at a time; it returns how many
// tiles it did. (Vectors go through sc, not arrays of them: the compiler
// copies those by halves.)
func winoInRowSIMD(rows []float32, pw int, sc, v []float32, o, stride, tw int) int {
	sc = sc[:36*8]
	two, four, five := archsimd.BroadcastFloat32x8(2), archsimd.BroadcastFloat32x8(4), archsimd.BroadcastFloat32x8(5)
	j := 0
	for ; j+8 <= tw && 4*j+36 <= pw; j += 8 {
		for a := range 6 {
			d := rows[a*pw+4*j:]
			d0, d1, d2, d3 := transpose4(archsimd.LoadFloat32x8Slice(d), archsimd.LoadFloat32x8Slice(d[8:]),
				archsimd.LoadFloat32x8Slice(d[16:]), archsimd.LoadFloat32x8Slice(d[24:]))
			d4, d5, _, _ := transpose4(archsimd.LoadFloat32x8Slice(d[4:]), archsimd.LoadFloat32x8Slice(d[12:]),
				archsimd.LoadFloat32x8Slice(d[20:]), archsimd.LoadFloat32x8Slice(d[28:]))
			u0, u1, u2, u3, u4, u5 := bt6SIMD(d0, d1, d2, d3, d4, d5, four, five, two)
			h := sc[a*48:]
			u0.StoreSlice(h)
			u1.StoreSlice(h[8:])
			u2.StoreSlice(h[16:])
			u3.StoreSlice(h[24:])
			u4.StoreSlice(h[32:])
			u5.StoreSlice(h[40:])
		}
		for b := range 6 {
			at := func(a int) archsimd.Float32x8 { return archsimd.LoadFloat32x8Slice(sc[a*48+b*8:]) }
			u0, u1, u2, u3, u4, u5 := bt6SIMD(at(0), at(1), at(2), at(3), at(4), at(5), four, five, two)
			u0.StoreSlice(v[o+b*stride+j:])
			u1.StoreSlice(v[o+(6+b)*stride+j:])
			u2.StoreSlice(v[o+(12+b)*stride+j:])
			u3.StoreSlice(v[o+(18+b)*stride+j:])
			u4.StoreSlice(v[o+(24+b)*stride+j:])
			u5.StoreSlice(v[o+(30+b)*stride+j:])
		}
	}
	return j
}

// winoOutTileSIMD is winoOutput's loop over channels for one whole tile,
// eight channels at a time; it returns how many channels it did.
func winoOutTileSIMD(mt []float32, out int, bias, y []float32, p, at, ow, nrow int, sc []float32) int {
	sc = sc[:24*8]
	two, four, eight := archsimd.BroadcastFloat32x8(2), archsimd.BroadcastFloat32x8(4), archsimd.BroadcastFloat32x8(8)
	o := 0
	for ; o+8 <= out; o += 8 {
		for c := range 6 {
			m := func(a int) archsimd.Float32x8 { return archsimd.LoadFloat32x8Slice(mt[(6*a+c)*out+o:]) }
			s0, s1, s2, s3 := at6SIMD(m(0), m(1), m(2), m(3), m(4), m(5), two, four, eight)
			s0.StoreSlice(sc[c*8:])
			s1.StoreSlice(sc[(6+c)*8:])
			s2.StoreSlice(sc[(12+c)*8:])
			s3.StoreSlice(sc[(18+c)*8:])
		}
		var bv archsimd.Float32x8
		if bias != nil {
			bv = archsimd.LoadFloat32x8Slice(bias[o:])
		}
		for a := range nrow {
			s := func(c int) archsimd.Float32x8 { return archsimd.LoadFloat32x8Slice(sc[(6*a+c)*8:]) }
			y0, y1, y2, y3 := at6SIMD(s(0), s(1), s(2), s(3), s(4), s(5), two, four, eight)
			// Channel o+i's four outputs in the low half of t_i, o+4+i's in the high.
			t0, t1, t2, t3 := transpose4(y0.Add(bv), y1.Add(bv), y2.Add(bv), y3.Add(bv))
			row := at + a*ow
			t0.GetLo().StoreSlice(y[o*p+row:])
			t1.GetLo().StoreSlice(y[(o+1)*p+row:])
			t2.GetLo().StoreSlice(y[(o+2)*p+row:])
			t3.GetLo().StoreSlice(y[(o+3)*p+row:])
			t0.GetHi().StoreSlice(y[(o+4)*p+row:])
			t1.GetHi().StoreSlice(y[(o+5)*p+row:])
			t2.GetHi().StoreSlice(y[(o+6)*p+row:])
			t3.GetHi().StoreSlice(y[(o+7)*p+row:])
		}
	}
	return o
}
