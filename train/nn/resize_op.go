package nn

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Bilinear resizes x [N,C,H,W] to oh x ow with half-pixel centres, as ONNX
// Resize (mode linear, half_pixel) does. It is separable: one GEMM with
// the width interpolation matrix over all rows of all planes at once, then
// one per plane with the height matrix; the gradient is the same two
// products transposed.
func Bilinear(x *G.Node, oh, ow int) (*G.Node, error) {
	return G.ApplyOp(&resizeOp{op: newOp(fmt.Sprintf("bilinear%dx%d", oh, ow), 4, 4), oh: oh, ow: ow}, x)
}

type resizeOp struct {
	op
	oh, ow int
	ry, rx []float32 // [oh x h], [ow x w]
	tmp    []float32 // [N*C*h x ow]
}

func (o *resizeOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	n, c, _, _, err := shape4(in[0])
	return tensor.Shape{n, c, o.oh, o.ow}, err
}

func (o *resizeOp) prepare(h, w int) {
	if len(o.ry) != o.oh*h || len(o.rx) != o.ow*w {
		o.ry, o.rx = Interp(h, o.oh), Interp(w, o.ow)
	}
}

func (o *resizeOp) Do(in ...G.Value) (G.Value, error) {
	n, c, h, w := dims(in[0])
	o.prepare(h, w)
	rows := n * c * h
	o.tmp = grow(o.tmp, rows*o.ow)
	// tmp = x · Rxᵀ over every row of every plane.
	blas32.Gemm(blas.NoTrans, blas.Trans, 1,
		blas32.General{Rows: rows, Cols: w, Stride: w, Data: f32(in[0])},
		blas32.General{Rows: o.ow, Cols: w, Stride: w, Data: o.rx},
		0, blas32.General{Rows: rows, Cols: o.ow, Stride: o.ow, Data: o.tmp})
	y := o.output(false, n, c, o.oh, o.ow)
	yd := f32(y)
	for pl := range n * c {
		blas32.Gemm(blas.NoTrans, blas.NoTrans, 1,
			blas32.General{Rows: o.oh, Cols: h, Stride: h, Data: o.ry},
			blas32.General{Rows: h, Cols: o.ow, Stride: o.ow, Data: o.tmp[pl*h*o.ow:]},
			0, blas32.General{Rows: o.oh, Cols: o.ow, Stride: o.ow, Data: yd[pl*o.oh*o.ow:]})
	}
	return y, nil
}

func (o *resizeOp) DiffWRT(int) []bool { return []bool{true} }

func (o *resizeOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(&resizeGrad{op: newOp(o.name+"/dx", 4, 4, 4), fwd: o}, in[0], grad)
	return G.Nodes{dx}, err
}

type resizeGrad struct {
	op
	fwd *resizeOp
	tmp []float32
}

func (o *resizeGrad) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	return in[0].(tensor.Shape).Clone(), nil
}

func (o *resizeGrad) Do(in ...G.Value) (G.Value, error) {
	n, c, h, w := dims(in[0])
	f := o.fwd
	f.prepare(h, w)
	o.tmp = grow(o.tmp, n*c*h*f.ow)
	dy := f32(in[1])
	for pl := range n * c {
		blas32.Gemm(blas.Trans, blas.NoTrans, 1,
			blas32.General{Rows: f.oh, Cols: h, Stride: h, Data: f.ry},
			blas32.General{Rows: f.oh, Cols: f.ow, Stride: f.ow, Data: dy[pl*f.oh*f.ow:]},
			0, blas32.General{Rows: h, Cols: f.ow, Stride: f.ow, Data: o.tmp[pl*h*f.ow:]})
	}
	dx := o.output(false, n, c, h, w)
	blas32.Gemm(blas.NoTrans, blas.NoTrans, 1,
		blas32.General{Rows: n * c * h, Cols: f.ow, Stride: f.ow, Data: o.tmp},
		blas32.General{Rows: f.ow, Cols: w, Stride: w, Data: f.rx},
		0, blas32.General{Rows: n * c * h, Cols: w, Stride: w, Data: f32(dx)})
	return dx, nil
}
