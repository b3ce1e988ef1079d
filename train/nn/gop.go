package nn

import (
	"fmt"
	"hash"
	"hash/fnv"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// op is what every osr gorgonia Op shares. Each instance hashes to itself,
// so gorgonia's hash-consing never merges two layers that happen to get the
// same inputs, and each keeps its output tensor across steps, so that a
// training step allocates nothing once the first one has run.
type op struct {
	name   string
	in     []int // dims of each input (0 = scalar)
	outDim int
	out    *tensor.Dense
}

func newOp(name string, outDim int, in ...int) op { return op{name: name, in: in, outDim: outDim} }

func (o *op) Arity() int { return len(o.in) }

func (o *op) Type() hm.Type {
	a := hm.TypeVariable('a')
	ts := make([]hm.Type, 0, len(o.in)+1)
	for _, d := range append(o.in, o.outDim) {
		if d == 0 {
			ts = append(ts, a)
		} else {
			ts = append(ts, G.TensorType{Dims: d, Of: a})
		}
	}
	return hm.NewFnType(ts...)
}

func (o *op) ReturnsPtr() bool      { return false }
func (o *op) CallsExtern() bool     { return false }
func (o *op) OverwritesInput() int  { return -1 }
func (o *op) WriteHash(h hash.Hash) { fmt.Fprintf(h, "%s@%p", o.name, o) }
func (o *op) String() string        { return o.name }

func (o *op) Hashcode() uint32 {
	h := fnv.New32a()
	o.WriteHash(h)
	return h.Sum32()
}

// output returns the op's output tensor of the given shape, zeroed when
// zero is set; it is allocated on first use and reused after that.
func (o *op) output(zero bool, shape ...int) *tensor.Dense {
	if o.out == nil || !o.out.Shape().Eq(tensor.Shape(shape)) {
		o.out = tensor.New(tensor.WithShape(shape...), tensor.Of(tensor.Float32))
		return o.out
	}
	if zero {
		clear(o.out.Float32s())
	}
	return o.out
}

// f32 is the float32 data of a tensor value, or a scalar as one element.
func f32(v G.Value) []float32 {
	if d, ok := v.Data().([]float32); ok {
		return d
	}
	return []float32{scalar(v)}
}

// scalar reads a scalar value (the gradient of a scalar loss).
func scalar(v G.Value) float32 {
	switch s := v.(type) {
	case *G.F32:
		return float32(*s)
	case *G.F64:
		return float32(*s)
	case tensor.Tensor:
		return f32(s)[0]
	}
	return 1
}

// shape4 reads an NCHW shape from shape inference inputs.
func shape4(ds G.DimSizer) (n, c, h, w int, err error) {
	s, ok := ds.(tensor.Shape)
	if !ok || len(s) != 4 {
		return 0, 0, 0, 0, fmt.Errorf("want an NCHW tensor, got shape %v", ds)
	}
	return s[0], s[1], s[2], s[3], nil
}

// dims is the NCHW shape of a tensor value.
func dims(v G.Value) (n, c, h, w int) {
	s := v.Shape()
	return s[0], s[1], s[2], s[3]
}
