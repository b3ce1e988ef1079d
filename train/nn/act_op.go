package nn

import (
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"osr/internal/parallel"
)

// ReLU is max(0, x), elementwise, for tensors of any rank.
func ReLU(x *G.Node) (*G.Node, error) {
	d := x.Dims()
	return G.ApplyOp(&reluOp{op: newOp("relu", d, d)}, x)
}

type reluOp struct{ op }

func (o *reluOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	return in[0].(tensor.Shape).Clone(), nil
}

func (o *reluOp) Do(in ...G.Value) (G.Value, error) {
	y := o.output(false, in[0].Shape()...)
	x, yd := f32(in[0]), f32(y)
	parallel.For(len(x), 1<<15, func(lo, hi int) {
		for i, v := range x[lo:hi] {
			yd[lo+i] = max(v, 0)
		}
	})
	return y, nil
}

func (o *reluOp) DiffWRT(int) []bool { return []bool{true} }

func (o *reluOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	d := in[0].Dims()
	dx, err := G.ApplyOp(&reluGrad{op: newOp("relu/dx", d, d, d)}, out, grad)
	return G.Nodes{dx}, err
}

// reluGrad passes dy where the output was positive.
type reluGrad struct{ op }

func (o *reluGrad) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	return in[0].(tensor.Shape).Clone(), nil
}

func (o *reluGrad) Do(in ...G.Value) (G.Value, error) {
	dx := o.output(false, in[0].Shape()...)
	y, dy, d := f32(in[0]), f32(in[1]), f32(dx)
	parallel.For(len(y), 1<<15, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if y[i] > 0 {
				d[i] = dy[i]
			} else {
				d[i] = 0
			}
		}
	})
	return dx, nil
}
