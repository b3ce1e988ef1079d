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

// evenOdd splits the 16 values a, b into their even and odd elements.
func evenOdd(a, b archsimd.Float32x8, idx archsimd.Uint32x8) (even, odd archsimd.Float32x8) {
	pa, pb := a.Permute(idx), b.Permute(idx) // each: its evens, then its odds
	return pa.Select128FromPair(0, 2, pb), pa.Select128FromPair(1, 3, pb)
}

var evenOddIdx = [8]uint32{0, 2, 4, 6, 1, 3, 5, 7}

// rowB is d·B of eight tiles of a padded row: 4 values per tile, from the
// row's even and odd columns.
func rowB(d []float32, idx archsimd.Uint32x8) (h0, h1, h2, h3 archsimd.Float32x8) {
	e0, o0 := evenOdd(archsimd.LoadFloat32x8Slice(d), archsimd.LoadFloat32x8Slice(d[8:]), idx)
	e1, o1 := evenOdd(archsimd.LoadFloat32x8Slice(d[2:]), archsimd.LoadFloat32x8Slice(d[10:]), idx)
	return e0.Sub(e1), o0.Add(e1), e1.Sub(o0), o0.Sub(o1)
}

// winoInRowSIMD is winoInRow eight tiles at a time; it returns how many
// tiles it did. (Vectors are kept in variables, not arrays: the compiler
// copies arrays of them by halves.)
func winoInRowSIMD(rows []float32, pw int, v []float32, o, stride, tw int) int {
	idx := archsimd.LoadUint32x8(&evenOddIdx)
	j := 0
	for ; j+8 <= tw && 2*j+18 <= pw; j += 8 {
		a0, a1, a2, a3 := rowB(rows[2*j:], idx)
		b0, b1, b2, b3 := rowB(rows[pw+2*j:], idx)
		c0, c1, c2, c3 := rowB(rows[2*pw+2*j:], idx)
		// Bᵀ's rows 0 and 2 need rows a, b, c of d·B.
		a0.Sub(c0).StoreSlice(v[o+j:])
		a1.Sub(c1).StoreSlice(v[o+stride+j:])
		a2.Sub(c2).StoreSlice(v[o+2*stride+j:])
		a3.Sub(c3).StoreSlice(v[o+3*stride+j:])
		b0.Add(c0).StoreSlice(v[o+4*stride+j:])
		b1.Add(c1).StoreSlice(v[o+5*stride+j:])
		b2.Add(c2).StoreSlice(v[o+6*stride+j:])
		b3.Add(c3).StoreSlice(v[o+7*stride+j:])
		c0.Sub(b0).StoreSlice(v[o+8*stride+j:])
		c1.Sub(b1).StoreSlice(v[o+9*stride+j:])
		c2.Sub(b2).StoreSlice(v[o+10*stride+j:])
		c3.Sub(b3).StoreSlice(v[o+11*stride+j:])
		d0, d1, d2, d3 := rowB(rows[3*pw+2*j:], idx)
		b0.Sub(d0).StoreSlice(v[o+12*stride+j:])
		b1.Sub(d1).StoreSlice(v[o+13*stride+j:])
		b2.Sub(d2).StoreSlice(v[o+14*stride+j:])
		b3.Sub(d3).StoreSlice(v[o+15*stride+j:])
	}
	return j
}

// colA is Aᵀ applied to column c of eight tiles' products: (p+q+r, q-r-t).
func colA(m []float32, i, stride int) (s0, s1 archsimd.Float32x8) {
	p := archsimd.LoadFloat32x8Slice(m[i:])
	q := archsimd.LoadFloat32x8Slice(m[i+4*stride:])
	r := archsimd.LoadFloat32x8Slice(m[i+8*stride:])
	t := archsimd.LoadFloat32x8Slice(m[i+12*stride:])
	return p.Add(q).Add(r), q.Sub(r).Sub(t)
}

// storePairs writes the interleaved even and odd outputs, as many as row holds.
func storePairs(row []float32, even, odd archsimd.Float32x8) {
	e, d := even.AsInt32x8(), odd.AsInt32x8()
	lo, hi := e.InterleaveLoGrouped(d), e.InterleaveHiGrouped(d)
	lo.Select128FromPair(0, 2, hi).AsFloat32x8().StoreSlicePart(row)
	if len(row) > 8 {
		lo.Select128FromPair(1, 3, hi).AsFloat32x8().StoreSlicePart(row[8:])
	}
}

// winoOutRowSIMD is winoOutRow eight tiles at a time; it returns how many
// tiles it did.
func winoOutRowSIMD(m []float32, i, stride, tw int, top, bot []float32, b float32) int {
	bv := archsimd.BroadcastFloat32x8(b)
	j := 0
	for ; j+8 <= tw && 2*j < len(top); j += 8 {
		p0, q0 := colA(m, i+j, stride)
		p1, q1 := colA(m, i+stride+j, stride)
		p2, q2 := colA(m, i+2*stride+j, stride)
		p3, q3 := colA(m, i+3*stride+j, stride)
		storePairs(top[2*j:], p0.Add(p1).Add(p2).Add(bv), p1.Sub(p2).Sub(p3).Add(bv))
		if bot != nil {
			storePairs(bot[2*j:], q0.Add(q1).Add(q2).Add(bv), q1.Sub(q2).Sub(q3).Add(bv))
		}
	}
	return j
}
