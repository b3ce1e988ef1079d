package nn

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Concat joins NCHW tensors along the channel axis (dense blocks, ladder
// skips, Real NVP's factored-out halves).
func Concat(xs ...*G.Node) (*G.Node, error) {
	if len(xs) == 1 {
		return xs[0], nil
	}
	in := make([]int, len(xs))
	for i := range in {
		in[i] = 4
	}
	return G.ApplyOp(&concatOp{op: newOp("concat", 4, in...)}, xs...)
}

type concatOp struct{ op }

func (o *concatOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	n, c, h, w, err := shape4(in[0])
	if err != nil {
		return nil, err
	}
	for _, s := range in[1:] {
		n2, c2, h2, w2, err := shape4(s)
		if err != nil || n2 != n || h2 != h || w2 != w {
			return nil, fmt.Errorf("concat: %v does not fit %v", s, in[0])
		}
		c += c2
	}
	return tensor.Shape{n, c, h, w}, nil
}

func (o *concatOp) Do(in ...G.Value) (G.Value, error) {
	n, _, h, w := dims(in[0])
	c := 0
	for _, v := range in {
		c += v.Shape()[1]
	}
	y := o.output(false, n, c, h, w)
	yd, p := f32(y), h*w
	for i := range n {
		off := i * c * p
		for _, v := range in {
			ci := v.Shape()[1]
			off += copy(yd[off:], f32(v)[i*ci*p:(i+1)*ci*p])
		}
	}
	return y, nil
}

func (o *concatOp) DiffWRT(n int) []bool { return trues(n) }

func (o *concatOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	out := make(G.Nodes, len(in))
	c0 := 0
	for i, x := range in {
		ci := x.Shape()[1]
		var err error
		out[i], err = SliceChannels(grad, c0, c0+ci)
		if err != nil {
			return nil, err
		}
		c0 += ci
	}
	return out, nil
}

// SliceChannels is channels [lo, hi) of x [N,C,H,W].
func SliceChannels(x *G.Node, lo, hi int) (*G.Node, error) {
	return G.ApplyOp(&sliceOp{op: newOp(fmt.Sprintf("channels[%d:%d]", lo, hi), 4, 4), lo: lo, hi: hi}, x)
}

type sliceOp struct {
	op
	lo, hi int
}

func (o *sliceOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	n, c, h, w, err := shape4(in[0])
	if err != nil || o.lo < 0 || o.hi > c || o.lo >= o.hi {
		return nil, fmt.Errorf("%s of %v", o.name, in[0])
	}
	return tensor.Shape{n, o.hi - o.lo, h, w}, nil
}

func (o *sliceOp) Do(in ...G.Value) (G.Value, error) {
	n, c, h, w := dims(in[0])
	k, p := o.hi-o.lo, h*w
	y := o.output(false, n, k, h, w)
	x := f32(in[0])
	for i := range n {
		copy(f32(y)[i*k*p:(i+1)*k*p], x[(i*c+o.lo)*p:(i*c+o.hi)*p])
	}
	return y, nil
}

func (o *sliceOp) DiffWRT(int) []bool { return []bool{true} }

func (o *sliceOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(&unsliceOp{op: newOp(o.name+"/dx", 4, 4, 4), lo: o.lo, hi: o.hi}, in[0], grad)
	return G.Nodes{dx}, err
}

// unsliceOp places dy into channels [lo, hi) of a zero tensor shaped as x.
type unsliceOp struct {
	op
	lo, hi int
}

func (o *unsliceOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	return in[0].(tensor.Shape).Clone(), nil
}

func (o *unsliceOp) Do(in ...G.Value) (G.Value, error) {
	n, c, h, w := dims(in[0])
	k, p := o.hi-o.lo, h*w
	dx := o.output(true, n, c, h, w)
	dy := f32(in[1])
	for i := range n {
		copy(f32(dx)[(i*c+o.lo)*p:(i*c+o.hi)*p], dy[i*k*p:(i+1)*k*p])
	}
	return dx, nil
}
