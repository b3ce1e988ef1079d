package nn

import (
	"osr/internal/bilinear"
	"osr/internal/parallel"
)

// Interp is the [dst x src] bilinear interpolation matrix along one axis,
// with half-pixel centres and edge clamping: ONNX Resize's linear mode with
// coordinate_transformation_mode=half_pixel. The resize op applies the
// same taps directly; the matrix is the reference its tests hold it to.
func Interp(src, dst int) []float32 {
	m := make([]float32, dst*src)
	for i, t := range bilinear.Taps(src, dst) {
		m[i*src+t.I0] += 1 - t.W
		m[i*src+t.I1] += t.W
	}
	return m
}

// resizer resizes planes of h x w to oh x ow, two taps per axis: along
// rows into tmp, then along columns. As products with Interp's matrices
// it was two GEMMs whose operands are almost all zeros, 100 times the
// arithmetic (the logits' upsampling to the crop alone was 1.8 GFLOP).
type resizer struct {
	h, w, oh, ow int
	tx, ty       []bilinear.Tap
	tmp          []float32 // [planes x h x ow]
}

func (r *resizer) prepare(h, w, oh, ow, planes int) {
	if r.h != h || r.w != w || r.oh != oh || r.ow != ow {
		*r = resizer{h: h, w: w, oh: oh, ow: ow, tx: bilinear.Taps(w, ow), ty: bilinear.Taps(h, oh), tmp: r.tmp}
	}
	r.tmp = grow(r.tmp, planes*h*ow)
}

// forward writes y [planes x oh x ow] from x [planes x h x w].
func (r *resizer) forward(x, y []float32, planes int) {
	h, w, oh, ow := r.h, r.w, r.oh, r.ow
	parallel.For(planes, 2, func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			src, t := x[pl*h*w:][:h*w], r.tmp[pl*h*ow:][:h*ow]
			for yy := range h {
				row, tr := src[yy*w:][:w], t[yy*ow:][:ow]
				for ox, tp := range r.tx {
					tr[ox] = row[tp.I0]*(1-tp.W) + row[tp.I1]*tp.W
				}
			}
			dst := y[pl*oh*ow:][:oh*ow]
			for oy, tp := range r.ty {
				blendRow(dst[oy*ow:][:ow], t[tp.I0*ow:][:ow], t[tp.I1*ow:][:ow], 1-tp.W, tp.W)
			}
		}
	})
}

// backward is forward's adjoint: dx [planes x h x w] from dy.
func (r *resizer) backward(dy, dx []float32, planes int) {
	h, w, oh, ow := r.h, r.w, r.oh, r.ow
	parallel.For(planes, 2, func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			t, g := r.tmp[pl*h*ow:][:h*ow], dy[pl*oh*ow:][:oh*ow]
			clear(t)
			for oy, tp := range r.ty {
				spreadRow(t[tp.I0*ow:][:ow], t[tp.I1*ow:][:ow], g[oy*ow:][:ow], 1-tp.W, tp.W)
			}
			dst := dx[pl*h*w:][:h*w]
			clear(dst)
			for yy := range h {
				row, tr := dst[yy*w:][:w], t[yy*ow:][:ow]
				for ox, tp := range r.tx {
					v := tr[ox]
					row[tp.I0] += v * (1 - tp.W)
					row[tp.I1] += v * tp.W
				}
			}
		}
	})
}
