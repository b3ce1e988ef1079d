package nn

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Bilinear resizes x [N,C,H,W] to oh x ow with half-pixel centres, as ONNX
// Resize (mode linear, half_pixel) does: separable, two taps per axis;
// the gradient is the same two passes transposed.
func Bilinear(x *G.Node, oh, ow int) (*G.Node, error) {
	return G.ApplyOp(&resizeOp{op: newOp(fmt.Sprintf("bilinear%dx%d", oh, ow), 4, 4), oh: oh, ow: ow}, x)
}

type resizeOp struct {
	op
	oh, ow int
	r      resizer
}

func (o *resizeOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	n, c, _, _, err := shape4(in[0])
	return tensor.Shape{n, c, o.oh, o.ow}, err
}

func (o *resizeOp) Do(in ...G.Value) (G.Value, error) {
	n, c, h, w := dims(in[0])
	o.r.prepare(h, w, o.oh, o.ow, n*c)
	y := o.output(false, n, c, o.oh, o.ow)
	o.r.forward(f32(in[0]), f32(y), n*c)
	return y, nil
}

func (o *resizeOp) DiffWRT(int) []bool { return []bool{true} }

func (o *resizeOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(&resizeGrad{op: newOp(o.name+"/dx", 4, 4, 4), oh: o.oh, ow: o.ow}, in[0], grad)
	return G.Nodes{dx}, err
}

type resizeGrad struct {
	op
	oh, ow int
	r      resizer
}

func (o *resizeGrad) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	return in[0].(tensor.Shape).Clone(), nil
}

func (o *resizeGrad) Do(in ...G.Value) (G.Value, error) {
	n, c, h, w := dims(in[0])
	o.r.prepare(h, w, o.oh, o.ow, n*c)
	dx := o.output(false, n, c, h, w)
	o.r.backward(f32(in[1]), f32(dx), n*c)
	return dx, nil
}
