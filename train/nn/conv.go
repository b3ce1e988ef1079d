package nn

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// Conv2D is a square-kernel 2-D convolution on one CHW image, computed as
// GEMM over an im2col buffer. Weights are [Out, In, K, K], as in ONNX.
type Conv2D struct {
	In, Out, K, Stride, Pad int
	Weight, Bias            *Param
}

// NewConv2D creates a convolution with zeroed weights.
func NewConv2D(name string, in, out, k, stride, pad int) *Conv2D {
	return &Conv2D{
		In: in, Out: out, K: k, Stride: stride, Pad: pad,
		Weight: NewParam(name+".weight", out, in, k, k),
		Bias:   NewParam(name+".bias", out),
	}
}

// OutSize is the output height or width for an input of size n.
func (c *Conv2D) OutSize(n int) int { return (n+2*c.Pad-c.K)/c.Stride + 1 }

// ConvState is one worker's buffers for a convolution: the im2col matrix
// kept from forward for backward, and its gradient.
type ConvState struct {
	col, dcol []float32
}

// Forward computes out [Out, oh*ow] from x [In, h*w]. out is overwritten.
func (c *Conv2D) Forward(st *ConvState, x []float32, h, w int, out []float32) {
	oh, ow := c.OutSize(h), c.OutSize(w)
	kk := c.In * c.K * c.K
	st.col = grow(st.col, kk*oh*ow)
	im2col(x, c.In, h, w, c.K, c.Stride, c.Pad, oh, ow, st.col)
	for o := 0; o < c.Out; o++ {
		b := c.Bias.W[o]
		row := out[o*oh*ow : (o+1)*oh*ow]
		for i := range row {
			row[i] = b
		}
	}
	blas32.Gemm(blas.NoTrans, blas.NoTrans, 1,
		blas32.General{Rows: c.Out, Cols: kk, Stride: kk, Data: c.Weight.W},
		blas32.General{Rows: kk, Cols: oh * ow, Stride: oh * ow, Data: st.col},
		1, blas32.General{Rows: c.Out, Cols: oh * ow, Stride: oh * ow, Data: out})
}

// Backward accumulates weight and bias gradients from dout [Out, oh*ow]
// and, when dx is not nil, writes the input gradient into dx [In, h*w].
func (c *Conv2D) Backward(st *ConvState, dout []float32, h, w int, dx []float32) {
	oh, ow := c.OutSize(h), c.OutSize(w)
	p := oh * ow
	kk := c.In * c.K * c.K
	blas32.Gemm(blas.NoTrans, blas.Trans, 1,
		blas32.General{Rows: c.Out, Cols: p, Stride: p, Data: dout},
		blas32.General{Rows: kk, Cols: p, Stride: p, Data: st.col},
		1, blas32.General{Rows: c.Out, Cols: kk, Stride: kk, Data: c.Weight.G})
	for o := 0; o < c.Out; o++ {
		s := float32(0)
		for _, v := range dout[o*p : (o+1)*p] {
			s += v
		}
		c.Bias.G[o] += s
	}
	if dx == nil {
		return
	}
	st.dcol = grow(st.dcol, kk*p)
	blas32.Gemm(blas.Trans, blas.NoTrans, 1,
		blas32.General{Rows: c.Out, Cols: kk, Stride: kk, Data: c.Weight.W},
		blas32.General{Rows: c.Out, Cols: p, Stride: p, Data: dout},
		0, blas32.General{Rows: kk, Cols: p, Stride: p, Data: st.dcol})
	col2im(st.dcol, c.In, h, w, c.K, c.Stride, c.Pad, oh, ow, dx)
}

// im2col lays out every kernel tap as a row: col[(c*k+ky)*k+kx][oy*ow+ox].
func im2col(x []float32, ch, h, w, k, stride, pad, oh, ow int, col []float32) {
	im2colRows(x, ch, h, w, k, stride, pad, ow, 0, oh, col)
}

// im2colRows fills the column matrix of output rows [oy0, oy1) only: each
// tap's row holds (oy1-oy0)*ow values. Convolutions work in such row
// tiles, so that the matrix stays in cache between im2col and GEMM.
func im2colRows(x []float32, ch, h, w, k, stride, pad, ow, oy0, oy1 int, col []float32) {
	n := (oy1 - oy0) * ow
	for c := 0; c < ch; c++ {
		plane := x[c*h*w : (c+1)*h*w]
		for ky := 0; ky < k; ky++ {
			for kx := 0; kx < k; kx++ {
				row := col[((c*k+ky)*k+kx)*n:][:n]
				ox0, ox1 := validRange(kx, stride, pad, w, ow)
				for oy := oy0; oy < oy1; oy++ {
					iy := oy*stride - pad + ky
					dst := row[(oy-oy0)*ow : (oy-oy0+1)*ow]
					if iy < 0 || iy >= h || ox0 >= ox1 {
						clear(dst)
						continue
					}
					clear(dst[:ox0])
					clear(dst[ox1:])
					src := plane[iy*w : (iy+1)*w]
					if stride == 1 {
						copy(dst[ox0:ox1], src[ox0-pad+kx:])
						continue
					}
					ix := ox0*stride - pad + kx
					for ox := ox0; ox < ox1; ox++ {
						dst[ox] = src[ix]
						ix += stride
					}
				}
			}
		}
	}
}

// validRange is the output columns [ox0, ox1) whose tap kx lands inside a
// row of width w.
func validRange(kx, stride, pad, w, ow int) (int, int) {
	ox0 := 0
	if d := pad - kx; d > 0 {
		ox0 = (d + stride - 1) / stride
	}
	ox1 := ow
	if last := (w - 1 + pad - kx) / stride; w-1+pad-kx < 0 {
		ox1 = 0
	} else if last+1 < ox1 {
		ox1 = last + 1
	}
	return min(ox0, ox1), ox1
}

// col2im is the adjoint of im2col: it sums the taps back into dx.
func col2im(col []float32, ch, h, w, k, stride, pad, oh, ow int, dx []float32) {
	clear(dx[:ch*h*w])
	col2imRows(col, ch, h, w, k, stride, pad, ow, 0, oh, dx)
}

// col2imRows adds the taps of output rows [oy0, oy1) into dx.
func col2imRows(col []float32, ch, h, w, k, stride, pad, ow, oy0, oy1 int, dx []float32) {
	n := (oy1 - oy0) * ow
	for c := 0; c < ch; c++ {
		plane := dx[c*h*w : (c+1)*h*w]
		for ky := 0; ky < k; ky++ {
			for kx := 0; kx < k; kx++ {
				row := col[((c*k+ky)*k+kx)*n:][:n]
				ox0, ox1 := validRange(kx, stride, pad, w, ow)
				for oy := oy0; oy < oy1; oy++ {
					iy := oy*stride - pad + ky
					if iy < 0 || iy >= h || ox0 >= ox1 {
						continue
					}
					dst := plane[iy*w : (iy+1)*w]
					src := row[(oy-oy0)*ow+ox0 : (oy-oy0)*ow+ox1]
					if stride == 1 {
						d := dst[ox0-pad+kx:][:len(src)]
						for i, v := range src {
							d[i] += v
						}
						continue
					}
					ix := ox0*stride - pad + kx
					for _, v := range src {
						dst[ix] += v
						ix += stride
					}
				}
			}
		}
	}
}

// ReLUInPlace applies max(0, x) in place.
func ReLUInPlace(x []float32) {
	for i, v := range x {
		if v < 0 {
			x[i] = 0
		}
	}
}

// ReLUBackward zeroes the gradient where the ReLU output was zero.
func ReLUBackward(dy, y []float32) {
	for i, v := range y {
		if v <= 0 {
			dy[i] = 0
		}
	}
}

func grow(s []float32, n int) []float32 {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]float32, n)
}
