package nn

import (
	"fmt"

	G "gorgonia.org/gorgonia"

	"osr/internal/onnxgraph"
)

// onnxTrace mirrors the layers a Graph builds as ONNX nodes, so that one
// network definition gives both the training graph and the exported model.
// A nil trace records nothing.
type onnxTrace struct {
	g     *onnxgraph.Graph
	names map[*G.Node]string
}

// Trace makes the graph record every layer built from now on into og.
func (g *Graph) Trace(og *onnxgraph.Graph) {
	g.onnx = &onnxTrace{g: og, names: map[*G.Node]string{}}
}

// TraceOutput declares y as the ONNX output called name.
func (g *Graph) TraceOutput(y *G.Node, name string) {
	t := g.onnx
	if t == nil || g.err != nil {
		return
	}
	t.g.Node("Identity", []string{t.names[y]}, []string{name})
	t.g.Output(onnxgraph.Value{Name: name, Type: onnxgraph.Float32, Shape: dims64(y.Shape())})
}

func dims64(s []int) []int64 {
	d := make([]int64, len(s))
	for i, v := range s {
		d[i] = int64(v)
	}
	return d
}

func (t *onnxTrace) input(n *G.Node, name string, shape []int) {
	if t == nil {
		return
	}
	t.g.Input(onnxgraph.Value{Name: name, Type: onnxgraph.Float32, Shape: dims64(shape)})
	t.names[n] = name
}

func (t *onnxTrace) op(y *G.Node, op string, in []*G.Node, attrs ...onnxgraph.Attr) {
	if t == nil || y == nil {
		return
	}
	names := make([]string, len(in))
	for i, n := range in {
		names[i] = t.names[n]
	}
	t.names[y] = t.g.Op(op, names, attrs...)
}

// param adds a parameter's current values as an initializer.
func (t *onnxTrace) param(n *G.Node) {
	if _, ok := t.names[n]; ok {
		return
	}
	t.names[n] = t.g.FloatTensor(n.Name(), dims64(n.Shape()), f32(n.Value()))
}

func (t *onnxTrace) conv(g *Graph, y, x, w, b *G.Node, s ConvSpec) {
	if t == nil || y == nil {
		return
	}
	in := []*G.Node{x, w}
	t.param(w)
	if b != nil {
		t.param(b)
		in = append(in, b)
	}
	p := int64(s.Pad)
	t.op(y, "Conv", in, onnxgraph.Ints("kernel_shape", int64(s.K), int64(s.K)),
		onnxgraph.Ints("strides", int64(s.Stride), int64(s.Stride)), onnxgraph.Ints("pads", p, p, p, p))
}

func (t *onnxTrace) batchNorm(g *Graph, y, x *G.Node, bn *BatchNorm, gamma, beta *G.Node, relu bool) {
	if t == nil || y == nil {
		return
	}
	t.param(gamma)
	t.param(beta)
	c := int64(bn.C)
	mean := t.g.FloatTensor(bn.Name+".running_mean", []int64{c}, bn.RunMean)
	variance := t.g.FloatTensor(bn.Name+".running_var", []int64{c}, bn.RunVar)
	t.names[y] = t.g.Op("BatchNormalization", []string{t.names[x], t.names[gamma], t.names[beta], mean, variance},
		onnxgraph.Float("epsilon", bn.Eps))
	if relu {
		t.names[y] = t.g.Op("Relu", []string{t.names[y]})
	}
}

func (t *onnxTrace) resize(y, x *G.Node, oh, ow int) {
	if t == nil || y == nil {
		return
	}
	s := x.Shape()
	sizes := t.g.Int64Tensor(fmt.Sprintf("resize%d.sizes", len(t.names)), []int64{4}, []int64{int64(s[0]), int64(s[1]), int64(oh), int64(ow)})
	t.names[y] = t.g.Op("Resize", []string{t.names[x], "", "", sizes},
		onnxgraph.String("mode", "linear"), onnxgraph.String("coordinate_transformation_mode", "half_pixel"))
}
