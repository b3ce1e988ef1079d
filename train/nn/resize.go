package nn

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"osr/internal/bilinear"
)

// Interp is the [dst x src] bilinear interpolation matrix along one axis,
// with half-pixel centres and edge clamping: ONNX Resize's linear mode with
// coordinate_transformation_mode=half_pixel.
func Interp(src, dst int) []float32 {
	m := make([]float32, dst*src)
	for i, t := range bilinear.Taps(src, dst) {
		m[i*src+t.I0] += 1 - t.W
		m[i*src+t.I1] += t.W
	}
	return m
}

// Resize is bilinear resizing of CHW planes as two matrix products per
// channel, out = Ry · x · Rxᵀ, so that its gradient is Ryᵀ · dout · Rx.
type Resize struct {
	H, W, OH, OW int
	ry, rx       []float32
	tmp          []float32
}

// NewResize prepares resizing from h x w to oh x ow.
func NewResize(h, w, oh, ow int) *Resize {
	return &Resize{H: h, W: w, OH: oh, OW: ow, ry: Interp(h, oh), rx: Interp(w, ow)}
}

// Forward resizes ch planes of x into out.
func (r *Resize) Forward(x []float32, ch int, out []float32) {
	r.tmp = grow(r.tmp, r.OH*r.W)
	for c := 0; c < ch; c++ {
		blas32.Gemm(blas.NoTrans, blas.NoTrans, 1,
			blas32.General{Rows: r.OH, Cols: r.H, Stride: r.H, Data: r.ry},
			blas32.General{Rows: r.H, Cols: r.W, Stride: r.W, Data: x[c*r.H*r.W:]},
			0, blas32.General{Rows: r.OH, Cols: r.W, Stride: r.W, Data: r.tmp})
		blas32.Gemm(blas.NoTrans, blas.Trans, 1,
			blas32.General{Rows: r.OH, Cols: r.W, Stride: r.W, Data: r.tmp},
			blas32.General{Rows: r.OW, Cols: r.W, Stride: r.W, Data: r.rx},
			0, blas32.General{Rows: r.OH, Cols: r.OW, Stride: r.OW, Data: out[c*r.OH*r.OW:]})
	}
}

// Backward writes the input gradient of ch planes into dx.
func (r *Resize) Backward(dout []float32, ch int, dx []float32) {
	r.tmp = grow(r.tmp, r.OH*r.W)
	for c := 0; c < ch; c++ {
		blas32.Gemm(blas.NoTrans, blas.NoTrans, 1,
			blas32.General{Rows: r.OH, Cols: r.OW, Stride: r.OW, Data: dout[c*r.OH*r.OW:]},
			blas32.General{Rows: r.OW, Cols: r.W, Stride: r.W, Data: r.rx},
			0, blas32.General{Rows: r.OH, Cols: r.W, Stride: r.W, Data: r.tmp})
		blas32.Gemm(blas.Trans, blas.NoTrans, 1,
			blas32.General{Rows: r.OH, Cols: r.H, Stride: r.H, Data: r.ry},
			blas32.General{Rows: r.OH, Cols: r.W, Stride: r.W, Data: r.tmp},
			0, blas32.General{Rows: r.H, Cols: r.W, Stride: r.W, Data: dx[c*r.H*r.W:]})
	}
}
