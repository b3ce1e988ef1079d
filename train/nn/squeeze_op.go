package nn

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Squeeze is Real NVP's space-to-depth: [N,C,H,W] -> [N,4C,H/2,W/2], with
// channel 4c+2dy+dx holding x[c, 2i+dy, 2j+dx]. Unsqueeze is its inverse,
// and each is the other's gradient.
func Squeeze(x *G.Node) (*G.Node, error) {
	return G.ApplyOp(&squeezeOp{op: newOp("squeeze", 4, 4)}, x)
}

// Unsqueeze is depth-to-space, the inverse of Squeeze.
func Unsqueeze(x *G.Node) (*G.Node, error) {
	return G.ApplyOp(&squeezeOp{op: newOp("unsqueeze", 4, 4), inverse: true}, x)
}

type squeezeOp struct {
	op
	inverse bool
}

func (o *squeezeOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	n, c, h, w, err := shape4(in[0])
	switch {
	case err != nil:
		return nil, err
	case o.inverse && c%4 != 0:
		return nil, fmt.Errorf("unsqueeze: %d channels is not a multiple of 4", c)
	case o.inverse:
		return tensor.Shape{n, c / 4, h * 2, w * 2}, nil
	case h%2 != 0 || w%2 != 0:
		return nil, fmt.Errorf("squeeze: %dx%d is not even", h, w)
	}
	return tensor.Shape{n, c * 4, h / 2, w / 2}, nil
}

func (o *squeezeOp) Do(in ...G.Value) (G.Value, error) {
	n, c, h, w := dims(in[0])
	src := f32(in[0])
	if !o.inverse {
		y := o.output(false, n, c*4, h/2, w/2)
		shuffle(src, f32(y), n, c, h, w, false)
		return y, nil
	}
	y := o.output(false, n, c/4, h*2, w*2)
	shuffle(src, f32(y), n, c/4, h*2, w*2, true)
	return y, nil
}

// shuffle moves between the spatial layout [N,C,H,W] (big) and the
// squeezed one; toSpatial picks the direction.
func shuffle(src, dst []float32, n, c, h, w int, toSpatial bool) {
	oh, ow := h/2, w/2
	for i := range n {
		for ch := range c {
			for y := range h {
				for x := range w {
					big := ((i*c+ch)*h+y)*w + x
					small := ((i*4*c+4*ch+2*(y&1)+(x&1))*oh+y/2)*ow + x/2
					if toSpatial {
						dst[big] = src[small]
					} else {
						dst[small] = src[big]
					}
				}
			}
		}
	}
}

func (o *squeezeOp) DiffWRT(int) []bool { return []bool{true} }

func (o *squeezeOp) SymDiff(_ G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	var dx *G.Node
	var err error
	if o.inverse {
		dx, err = Squeeze(grad)
	} else {
		dx, err = Unsqueeze(grad)
	}
	return G.Nodes{dx}, err
}
