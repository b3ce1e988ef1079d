package nn

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"osr/internal/parallel"
)

// MaxPool is k x k max pooling with the given stride and zero-free padding
// (padded cells never win), floor mode: torchvision DenseNet's pool0 is
// MaxPool(3, stride 2, pad 1).
func MaxPool(x *G.Node, k, stride, pad int) (*G.Node, error) {
	if k < 1 || stride < 1 || pad < 0 || pad >= k {
		return nil, fmt.Errorf("maxpool: kernel %d, stride %d, pad %d", k, stride, pad)
	}
	return G.ApplyOp(&maxPoolOp{op: newOp(fmt.Sprintf("maxpool%d/%d", k, stride), 4, 4), s: ConvSpec{K: k, Stride: stride, Pad: pad}}, x)
}

type maxPoolOp struct {
	op
	s   ConvSpec
	arg []int32 // index in its plane of each output's winner, for the backward pass
}

func (o *maxPoolOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	n, c, h, w, err := shape4(in[0])
	if err != nil {
		return nil, err
	}
	if o.s.out(h) < 1 || o.s.out(w) < 1 {
		return nil, fmt.Errorf("%s: input %v too small", o.name, in[0])
	}
	return tensor.Shape{n, c, o.s.out(h), o.s.out(w)}, nil
}

func (o *maxPoolOp) Do(in ...G.Value) (G.Value, error) {
	n, c, h, w := dims(in[0])
	s := o.s
	oh, ow := s.out(h), s.out(w)
	y := o.output(false, n, c, oh, ow)
	if len(o.arg) != n*c*oh*ow {
		o.arg = make([]int32, n*c*oh*ow)
	}
	x, yd := f32(in[0]), f32(y)
	parallel.For(n*c, 4, func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			src := x[pl*h*w : (pl+1)*h*w]
			for oy := range oh {
				y0, y1 := max(0, oy*s.Stride-s.Pad), min(h, oy*s.Stride-s.Pad+s.K)
				for ox := range ow {
					x0, x1 := max(0, ox*s.Stride-s.Pad), min(w, ox*s.Stride-s.Pad+s.K)
					best, at := float32(math.Inf(-1)), y0*w+x0
					for yy := y0; yy < y1; yy++ {
						for xx := x0; xx < x1; xx++ {
							if v := src[yy*w+xx]; v > best {
								best, at = v, yy*w+xx
							}
						}
					}
					i := (pl*oh+oy)*ow + ox
					yd[i], o.arg[i] = best, int32(at)
				}
			}
		}
	})
	return y, nil
}

func (o *maxPoolOp) DiffWRT(int) []bool { return []bool{true} }

func (o *maxPoolOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(&maxPoolGrad{op: newOp(o.name+"/dx", 4, 4, 4), fwd: o}, in[0], grad)
	return G.Nodes{dx}, err
}

// maxPoolGrad routes each output gradient to its window's winner.
type maxPoolGrad struct {
	op
	fwd *maxPoolOp
}

func (o *maxPoolGrad) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	return in[0].(tensor.Shape).Clone(), nil
}

func (o *maxPoolGrad) Do(in ...G.Value) (G.Value, error) {
	n, c, h, w := dims(in[0])
	dx := o.output(true, n, c, h, w)
	dy, d := f32(in[1]), f32(dx)
	per := len(dy) / (n * c)
	parallel.For(n*c, 4, func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			dst := d[pl*h*w : (pl+1)*h*w]
			for i := pl * per; i < (pl+1)*per; i++ {
				dst[o.fwd.arg[i]] += dy[i]
			}
		}
	})
	return dx, nil
}
