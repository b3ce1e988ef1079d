package nn

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"osr/internal/parallel"
)

// AvgPool is k x k average pooling with stride k (DenseNet transitions and
// the stem's downsampling). H and W must be multiples of k.
func AvgPool(x *G.Node, k int) (*G.Node, error) {
	return G.ApplyOp(&poolOp{op: newOp(fmt.Sprintf("avgpool%d", k), 4, 4), k: k}, x)
}

type poolOp struct {
	op
	k int
}

func (o *poolOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	n, c, h, w, err := shape4(in[0])
	if err != nil {
		return nil, err
	}
	if h%o.k != 0 || w%o.k != 0 {
		return nil, fmt.Errorf("%s: input %dx%d is not a multiple of %d", o.name, h, w, o.k)
	}
	return tensor.Shape{n, c, h / o.k, w / o.k}, nil
}

func (o *poolOp) Do(in ...G.Value) (G.Value, error) {
	n, c, h, w := dims(in[0])
	k := o.k
	oh, ow := h/k, w/k
	y := o.output(false, n, c, oh, ow)
	x, yd := f32(in[0]), f32(y)
	inv := 1 / float32(k*k)
	parallel.For(n*c, 4, func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			src, dst := x[pl*h*w:(pl+1)*h*w], yd[pl*oh*ow:(pl+1)*oh*ow]
			for oy := range oh {
				row := dst[oy*ow : (oy+1)*ow]
				clear(row)
				for dy := range k {
					s := src[(oy*k+dy)*w:]
					for ox := range row {
						for dx := range k {
							row[ox] += s[ox*k+dx]
						}
					}
				}
				for ox := range row {
					row[ox] *= inv
				}
			}
		}
	})
	return y, nil
}

func (o *poolOp) DiffWRT(int) []bool { return []bool{true} }

func (o *poolOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(&poolGrad{op: newOp(o.name+"/dx", 4, 4, 4), k: o.k}, in[0], grad)
	return G.Nodes{dx}, err
}

// poolGrad spreads each output gradient evenly over its k x k window.
type poolGrad struct {
	op
	k int
}

func (o *poolGrad) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	return in[0].(tensor.Shape).Clone(), nil
}

func (o *poolGrad) Do(in ...G.Value) (G.Value, error) {
	n, c, h, w := dims(in[0])
	k := o.k
	oh, ow := h/k, w/k
	dx := o.output(false, n, c, h, w)
	dy, d := f32(in[1]), f32(dx)
	inv := 1 / float32(k*k)
	parallel.For(n*c, 4, func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			src, dst := dy[pl*oh*ow:(pl+1)*oh*ow], d[pl*h*w:(pl+1)*h*w]
			for y := range h {
				s := src[(y/k)*ow:]
				row := dst[y*w : (y+1)*w]
				for x := range row {
					row[x] = s[x/k] * inv
				}
			}
		}
	})
	return dx, nil
}
