package nn

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"osr/internal/parallel"
)

// AvgPool is k x k average pooling with stride k (DenseNet transitions and
// the stem's downsampling), in ONNX AveragePool's ceil mode: sizes round
// up, and a window that runs past the edge averages only what it covers.
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
	return tensor.Shape{n, c, ceilDiv(h, o.k), ceilDiv(w, o.k)}, nil
}

func (o *poolOp) Do(in ...G.Value) (G.Value, error) {
	n, c, h, w := dims(in[0])
	k := o.k
	oh, ow := ceilDiv(h, k), ceilDiv(w, k)
	y := o.output(false, n, c, oh, ow)
	x, yd := f32(in[0]), f32(y)
	parallel.For(n*c, 4, func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			src, dst := x[pl*h*w:(pl+1)*h*w], yd[pl*oh*ow:(pl+1)*oh*ow]
			for oy := range oh {
				y0, y1 := oy*k, min(oy*k+k, h)
				row := dst[oy*ow : (oy+1)*ow]
				ox0 := 0
				if k == 2 && y1-y0 == 2 {
					ox0 = w / 2 // the full windows, vectorised
					pool2Row(row[:ox0], src[y0*w:], src[(y0+1)*w:])
				}
				for ox := ox0; ox < ow; ox++ {
					x0, x1 := ox*k, min(ox*k+k, w)
					var s float32
					for yy := y0; yy < y1; yy++ {
						for _, v := range src[yy*w+x0 : yy*w+x1] {
							s += v
						}
					}
					row[ox] = s / float32((y1-y0)*(x1-x0))
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
	oh, ow := ceilDiv(h, k), ceilDiv(w, k)
	dx := o.output(false, n, c, h, w)
	dy, d := f32(in[1]), f32(dx)
	parallel.For(n*c, 4, func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			src, dst := dy[pl*oh*ow:(pl+1)*oh*ow], d[pl*h*w:(pl+1)*h*w]
			// Each window's rows get the same values: the first row of
			// a window is computed, the others copied from it.
			for oy := range oh {
				y0, y1 := oy*k, min(oy*k+k, h)
				wy := float32(y1 - y0)
				first := dst[y0*w : (y0+1)*w]
				gy := src[oy*ow : (oy+1)*ow]
				ox0 := 0
				if k == 2 {
					ox0 = w / 2 // the full windows, vectorised
					unpool2Row(first, gy[:ox0], wy*2)
				}
				for ox := ox0; ox < ow; ox++ {
					x0, x1 := ox*k, min(ox*k+k, w)
					fill(first[x0:x1], gy[ox]/(wy*float32(x1-x0)))
				}
				for y := y0 + 1; y < y1; y++ {
					copy(dst[y*w:(y+1)*w], first)
				}
			}
		}
	})
	return dx, nil
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }
