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

var evenOddIdx = [8]uint32{0, 2, 4, 6, 1, 3, 5, 7}

// evenOdd splits the 16 values a, b into their even and odd elements.
func evenOdd(a, b archsimd.Float32x8, idx archsimd.Uint32x8) (even, odd archsimd.Float32x8) {
	pa, pb := a.Permute(idx), b.Permute(idx) // each: its evens, then its odds
	return pa.Select128FromPair(0, 2, pb), pa.Select128FromPair(1, 3, pb)
}

// pool2RowSIMD is pool2RowScalar eight outputs at a time, its sums in the
// same order.
func pool2RowSIMD(dst, a, b []float32) {
	a, b = a[:2*len(dst)], b[:2*len(dst)]
	idx := archsimd.LoadUint32x8(&evenOddIdx)
	four := archsimd.BroadcastFloat32x8(4)
	var zero archsimd.Float32x8
	i := 0
	for ; i+8 <= len(dst); i += 8 {
		ae, ao := evenOdd(archsimd.LoadFloat32x8Slice(a[2*i:]), archsimd.LoadFloat32x8Slice(a[2*i+8:]), idx)
		be, bo := evenOdd(archsimd.LoadFloat32x8Slice(b[2*i:]), archsimd.LoadFloat32x8Slice(b[2*i+8:]), idx)
		zero.Add(ae).Add(ao).Add(be).Add(bo).Div(four).StoreSlice(dst[i:])
	}
	pool2RowScalar(dst[i:], a[2*i:], b[2*i:])
}

// unpool2RowSIMD is unpool2RowScalar eight values of g at a time.
func unpool2RowSIMD(dst, g []float32, d float32) {
	dst = dst[:2*len(g)]
	dv := archsimd.BroadcastFloat32x8(d)
	i := 0
	for ; i+8 <= len(g); i += 8 {
		q := archsimd.LoadFloat32x8Slice(g[i:]).Div(dv).AsInt32x8()
		lo, hi := q.InterleaveLoGrouped(q), q.InterleaveHiGrouped(q)
		lo.Select128FromPair(0, 2, hi).AsFloat32x8().StoreSlice(dst[2*i:])
		lo.Select128FromPair(1, 3, hi).AsFloat32x8().StoreSlice(dst[2*i+8:])
	}
	unpool2RowScalar(dst[2*i:], g[i:], d)
}
