package nn

// The element-wise kernels of batch normalisation, the loss and the
// resize, one row of a channel plane at a time. Each runs its SIMD version when simdOK (simd_amd64.go),
// which gives the same bits as the scalar one here.

// SIMD is whether the kernels run their SIMD versions.
func SIMD() bool { return simdOK }

// normRow is dst = src·s + t, then a ReLU when relu is set.
func normRow(src, dst []float32, s, t float32, relu bool) {
	if simdOK {
		normRowSIMD(src, dst, s, t, relu)
		return
	}
	normRowScalar(src, dst, s, t, relu)
}

func normRowScalar(src, dst []float32, s, t float32, relu bool) {
	dst = dst[:len(src)]
	if relu {
		for i, v := range src {
			dst[i] = max(v*s+t, 0)
		}
		return
	}
	for i, v := range src {
		dst[i] = v*s + t
	}
}

// dxRow is dst = s·g + a·x + b; g may be dst itself.
func dxRow(dst, g, x []float32, s, a, b float32) {
	if simdOK {
		dxRowSIMD(dst, g, x, s, a, b)
		return
	}
	dxRowScalar(dst, g, x, s, a, b)
}

func dxRowScalar(dst, g, x []float32, s, a, b float32) {
	g, x = g[:len(dst)], x[:len(dst)]
	for j, v := range g {
		dst[j] = s*v + a*x[j] + b
	}
}

// sumSquares is Σx and Σx² in float64, four partial sums at a time so
// that the additions do not wait on each other.
func sumSquares(x []float32) (s, ss float64) {
	if simdOK {
		return sumSquaresSIMD(x)
	}
	return sumSquaresScalar(x)
}

func sumSquaresScalar(x []float32) (s, ss float64) {
	// Locals rather than arrays: Go keeps these in registers.
	var s0, s1, s2, s3, q0, q1, q2, q3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		v := x[i : i+4 : i+4]
		a, b, c, d := float64(v[0]), float64(v[1]), float64(v[2]), float64(v[3])
		s0, s1, s2, s3 = s0+a, s1+b, s2+c, s3+d
		q0, q1, q2, q3 = q0+a*a, q1+b*b, q2+c*c, q3+d*d
	}
	return sumSquaresTail(x[i:], [4]float64{s0, s1, s2, s3}, [4]float64{q0, q1, q2, q3})
}

// sumSquaresTail adds the values after the last whole four into the first
// partial sums and adds the partial sums up.
func sumSquaresTail(x []float32, sv, qv [4]float64) (s, ss float64) {
	for _, v := range x {
		sv[0] += float64(v)
		qv[0] += float64(v) * float64(v)
	}
	return (sv[0] + sv[1]) + (sv[2] + sv[3]), (qv[0] + qv[1]) + (qv[2] + qv[3])
}

// maskedSums is Σg and Σg·(x-mean) with g = dy where the ReLU output y is
// positive, four partial sums at a time; it writes g into out unless out
// is nil.
func maskedSums(dy, y, x []float32, mean float32, out []float32) (sg, sgx float32) {
	if simdOK {
		return maskedSumsSIMD(dy, y, x, mean, out)
	}
	return maskedSumsScalar(dy, y, x, mean, out)
}

func maskedSumsScalar(dy, y, x []float32, mean float32, out []float32) (sg, sgx float32) {
	y, x = y[:len(dy)], x[:len(dy)]
	if out != nil {
		out = out[:len(dy)]
	}
	var a0, a1, a2, a3, b0, b1, b2, b3 float32
	i := 0
	for ; i+4 <= len(dy); i += 4 {
		g, yv, xv := dy[i:i+4:i+4], y[i:i+4:i+4], x[i:i+4:i+4]
		g0, g1, g2, g3 := reluMask(g[0], yv[0]), reluMask(g[1], yv[1]), reluMask(g[2], yv[2]), reluMask(g[3], yv[3])
		if out != nil {
			o := out[i : i+4 : i+4]
			o[0], o[1], o[2], o[3] = g0, g1, g2, g3
		}
		a0, a1, a2, a3 = a0+g0, a1+g1, a2+g2, a3+g3
		b0, b1, b2, b3 = b0+g0*(xv[0]-mean), b1+g1*(xv[1]-mean), b2+g2*(xv[2]-mean), b3+g3*(xv[3]-mean)
	}
	if out != nil {
		out = out[i:]
	}
	return maskedSumsTail(dy[i:], y[i:], x[i:], mean, out, [4]float32{a0, a1, a2, a3}, [4]float32{b0, b1, b2, b3})
}

// maskedSumsTail is maskedSums's last values (fewer than four) and the
// sum of its partial sums.
func maskedSumsTail(dy, y, x []float32, mean float32, out []float32, a, b [4]float32) (sg, sgx float32) {
	for j := range dy {
		g := reluMask(dy[j], y[j])
		if out != nil {
			out[j] = g
		}
		a[0] += g
		b[0] += g * (x[j] - mean)
	}
	return (a[0] + a[1]) + (a[2] + a[3]), (b[0] + b[1]) + (b[2] + b[3])
}

// gradSums is Σdy and Σdy·(x-mean), four partial sums at a time.
func gradSums(dy, x []float32, mean float32) (sg, sgx float32) {
	if simdOK {
		return gradSumsSIMD(dy, x, mean)
	}
	return gradSumsScalar(dy, x, mean)
}

func gradSumsScalar(dy, x []float32, mean float32) (sg, sgx float32) {
	x = x[:len(dy)]
	var a0, a1, a2, a3, b0, b1, b2, b3 float32
	i := 0
	for ; i+4 <= len(dy); i += 4 {
		g, xv := dy[i:i+4:i+4], x[i:i+4:i+4]
		a0, a1, a2, a3 = a0+g[0], a1+g[1], a2+g[2], a3+g[3]
		b0, b1, b2, b3 = b0+g[0]*(xv[0]-mean), b1+g[1]*(xv[1]-mean), b2+g[2]*(xv[2]-mean), b3+g[3]*(xv[3]-mean)
	}
	return gradSumsTail(dy[i:], x[i:], mean, [4]float32{a0, a1, a2, a3}, [4]float32{b0, b1, b2, b3})
}

func gradSumsTail(dy, x []float32, mean float32, a, b [4]float32) (sg, sgx float32) {
	for j := range dy {
		a[0] += dy[j]
		b[0] += dy[j] * (x[j] - mean)
	}
	return (a[0] + a[1]) + (a[2] + a[3]), (b[0] + b[1]) + (b[2] + b[3])
}

// maxRow is dst = max(dst, src), element by element.
func maxRow(dst, src []float32) {
	if simdOK {
		maxRowSIMD(dst, src)
		return
	}
	maxRowScalar(dst, src)
}

func maxRowScalar(dst, src []float32) {
	src = src[:len(dst)]
	for j, v := range src {
		dst[j] = max(dst[j], v)
	}
}

// mulRow is dst *= src, element by element.
func mulRow(dst, src []float32) {
	if simdOK {
		mulRowSIMD(dst, src)
		return
	}
	mulRowScalar(dst, src)
}

func mulRowScalar(dst, src []float32) {
	src = src[:len(dst)]
	for j, v := range src {
		dst[j] *= v
	}
}

// blendRow is d = a·w0 + b·w1.
func blendRow(d, a, b []float32, w0, w1 float32) {
	if simdOK {
		blendRowSIMD(d, a, b, w0, w1)
		return
	}
	blendRowScalar(d, a, b, w0, w1)
}

func blendRowScalar(d, a, b []float32, w0, w1 float32) {
	a, b = a[:len(d)], b[:len(d)]
	for i := range d {
		d[i] = a[i]*w0 + b[i]*w1
	}
}

// spreadRow is blendRow's adjoint: a += g·w0, then b += g·w1, element by
// element; a and b may be the same row.
func spreadRow(a, b, g []float32, w0, w1 float32) {
	if simdOK {
		spreadRowSIMD(a, b, g, w0, w1)
		return
	}
	spreadRowScalar(a, b, g, w0, w1)
}

func spreadRowScalar(a, b, g []float32, w0, w1 float32) {
	a, b = a[:len(g)], b[:len(g)]
	for i, v := range g {
		a[i] += v * w0
		b[i] += v * w1
	}
}

// pool2Row is one output row of 2x2 average pooling over full windows:
// dst[i] is the mean of a[2i], a[2i+1], b[2i], b[2i+1], summed in that
// order from 0 as poolOp's loop sums them.
func pool2Row(dst, a, b []float32) {
	if simdOK {
		pool2RowSIMD(dst, a, b)
		return
	}
	pool2RowScalar(dst, a, b)
}

func pool2RowScalar(dst, a, b []float32) {
	a, b = a[:2*len(dst)], b[:2*len(dst)]
	for i := range dst {
		var s float32
		s += a[2*i]
		s += a[2*i+1]
		s += b[2*i]
		s += b[2*i+1]
		dst[i] = s / 4
	}
}

// unpool2Row is pool2Row's adjoint for one row of a window:
// dst[2i] = dst[2i+1] = g[i]/d.
func unpool2Row(dst, g []float32, d float32) {
	if simdOK {
		unpool2RowSIMD(dst, g, d)
		return
	}
	unpool2RowScalar(dst, g, d)
}

func unpool2RowScalar(dst, g []float32, d float32) {
	dst = dst[:2*len(g)]
	for i, v := range g {
		q := v / d
		dst[2*i], dst[2*i+1] = q, q
	}
}
