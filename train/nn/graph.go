package nn

import (
	"fmt"
	"math/rand/v2"
	"slices"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"osr/internal/onnxgraph"
)

// Store holds a network's state apart from any graph: its parameters, in
// creation order, and its batch-norm layers. Graphs of different input
// shapes (training crops, full frames, patch sizes) share one Store.
type Store struct {
	Params []*Param
	Norms  []*BatchNorm
	byName map[string]*Param
	norms  map[string]*BatchNorm
	rng    *rand.Rand
}

// NewStore is an empty store whose parameters are initialised from seed.
func NewStore(seed uint64) *Store {
	return &Store{byName: map[string]*Param{}, norms: map[string]*BatchNorm{}, rng: rand.New(rand.NewPCG(seed, 0x5eed))}
}

// Init sets a new parameter's values.
type Init func(r *rand.Rand, p *Param)

// He is N(0, 2/fan-in) for weights followed by a ReLU.
func He(fanIn int) Init { return func(r *rand.Rand, p *Param) { p.HeInit(r, fanIn) } }

// Const fills a parameter with v (zero-initialised last layers, BN gamma).
func Const(v float32) Init { return func(_ *rand.Rand, p *Param) { fill(p.W, v) } }

// Param returns the parameter called name, creating it with init on first use.
func (s *Store) Param(name string, init Init, shape ...int) (*Param, error) {
	if p, ok := s.byName[name]; ok {
		if !slices.Equal(p.Shape, shape) {
			return nil, fmt.Errorf("parameter %s: shape %v, asked for %v", name, p.Shape, shape)
		}
		return p, nil
	}
	p := NewParam(name, shape...)
	init(s.rng, p)
	s.byName[name] = p
	s.Params = append(s.Params, p)
	return p, nil
}

// Lookup is the parameter called name, or nil.
func (s *Store) Lookup(name string) *Param { return s.byName[name] }

// Norm returns the batch-norm layer called name, creating it on first use.
func (s *Store) Norm(name string, c int) *BatchNorm {
	if bn, ok := s.norms[name]; ok {
		return bn
	}
	bn := NewBatchNorm(c)
	bn.Name = name
	s.norms[name] = bn
	s.Norms = append(s.Norms, bn)
	return bn
}

// SetTrain switches every batch-norm layer between batch statistics
// (training) and running statistics (evaluation, export).
func (s *Store) SetTrain(train bool) {
	for _, bn := range s.Norms {
		bn.Train = train
	}
}

// Count is the number of trainable values.
func (s *Store) Count() int {
	n := 0
	for _, p := range s.Params {
		n += len(p.W)
	}
	return n
}

// Graph builds one gorgonia graph over a Store's parameters. Layer methods
// keep the first error and turn later calls into no-ops, so that network
// definitions read as straight-line code; Err reports it.
type Graph struct {
	// NoStatUpdates keeps this graph's batch norms from updating the
	// running averages (every replica of a batch but the first).
	NoStatUpdates bool
	// ConvFLOPs counts the forward pass's convolution work (2 per
	// multiply-add), for reporting achieved GFLOP/s.
	ConvFLOPs float64

	G     *G.ExprGraph
	WS    *Workspace
	Store *Store
	nodes map[*Param]*G.Node
	used  []*Param
	err   error
	onnx  *onnxTrace
}

// NewGraph is an empty graph over store.
func NewGraph(store *Store) *Graph {
	return &Graph{G: G.NewGraph(), WS: &Workspace{}, Store: store, nodes: map[*Param]*G.Node{}}
}

// Err is the first error met while building.
func (g *Graph) Err() error { return g.err }

// Fail records err (the first one wins) and reports whether there is one.
func (g *Graph) Fail(err error) bool {
	if g.err == nil && err != nil {
		g.err = err
	}
	return g.err != nil
}

// Params are the parameters this graph uses, in first-use order.
func (g *Graph) Params() []*Param { return g.used }

// P is the graph node of parameter name, created with init on first use.
func (g *Graph) P(name string, init Init, shape ...int) *G.Node {
	if g.err != nil {
		return nil
	}
	p, err := g.Store.Param(name, init, shape...)
	if g.Fail(err) {
		return nil
	}
	if n, ok := g.nodes[p]; ok {
		return n
	}
	t := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(p.W))
	n := G.NewTensor(g.G, tensor.Float32, len(shape), G.WithShape(shape...), G.WithValue(t), G.WithName(name))
	g.nodes[p] = n
	g.used = append(g.used, p)
	return n
}

// Input is a named NCHW input whose values the caller writes into the
// returned tensor before each run.
func (g *Graph) Input(name string, shape ...int) (*G.Node, *tensor.Dense) {
	t := tensor.New(tensor.WithShape(shape...), tensor.Of(tensor.Float32))
	n := G.NewTensor(g.G, tensor.Float32, len(shape), G.WithShape(shape...), G.WithValue(t), G.WithName(name))
	g.onnx.input(n, name, shape)
	return n, t
}

// Apply runs a layer constructor unless an error is pending.
func (g *Graph) Apply(f func() (*G.Node, error)) *G.Node {
	if g.err != nil {
		return nil
	}
	n, err := f()
	g.Fail(err)
	return n
}

// Conv is a convolution layer with He-initialised weights and, when bias
// is set, a zero bias; zeroInit starts the weights at zero instead (the
// last layer of a flow coupling, which then starts as the identity).
func (g *Graph) Conv(name string, x *G.Node, out int, s ConvSpec, bias bool) *G.Node {
	return g.conv(name, x, out, s, bias, nil)
}

func (g *Graph) conv(name string, x *G.Node, out int, s ConvSpec, bias bool, init Init) *G.Node {
	if g.err != nil {
		return nil
	}
	in := x.Shape()[1]
	if init == nil {
		init = He(in * s.K * s.K)
	}
	w := g.P(name+".weight", init, out, in, s.K, s.K)
	var b *G.Node
	if bias {
		b = g.P(name+".bias", Const(0), out)
	}
	y := g.Apply(func() (*G.Node, error) { return Conv(g.WS, x, w, b, s) })
	g.onnx.conv(g, y, x, w, b, s)
	if y != nil {
		ys := y.Shape()
		g.ConvFLOPs += 2 * float64(ys.TotalSize()) * float64(in*s.K*s.K)
	}
	return y
}

// ConvInit is Conv with an explicit weight initialisation.
func (g *Graph) ConvInit(name string, x *G.Node, out int, s ConvSpec, bias bool, init Init) *G.Node {
	return g.conv(name, x, out, s, bias, init)
}

// BNReLU is batch normalisation followed by a ReLU.
func (g *Graph) BNReLU(name string, x *G.Node) *G.Node { return g.norm(name, x, true) }

// BN is batch normalisation without a ReLU (before a residual sum).
func (g *Graph) BN(name string, x *G.Node) *G.Node { return g.norm(name, x, false) }

func (g *Graph) norm(name string, x *G.Node, relu bool) *G.Node {
	if g.err != nil {
		return nil
	}
	c := x.Shape()[1]
	bn := g.Store.Norm(name, c)
	gamma := g.P(name+".weight", Const(1), c)
	beta := g.P(name+".bias", Const(0), c)
	y := g.Apply(func() (*G.Node, error) { return bn.apply(x, gamma, beta, relu, !g.NoStatUpdates) })
	g.onnx.batchNorm(g, y, x, bn, gamma, beta, relu)
	return y
}

// ReLU is max(0, x).
func (g *Graph) ReLU(x *G.Node) *G.Node {
	y := g.Apply(func() (*G.Node, error) { return ReLU(x) })
	g.onnx.op(y, "Relu", []*G.Node{x})
	return y
}

// AvgPool is k x k average pooling, stride k, ceil mode.
func (g *Graph) AvgPool(x *G.Node, k int) *G.Node {
	y := g.Apply(func() (*G.Node, error) { return AvgPool(x, k) })
	g.onnx.op(y, "AveragePool", []*G.Node{x}, onnxgraph.Ints("kernel_shape", int64(k), int64(k)),
		onnxgraph.Ints("strides", int64(k), int64(k)), onnxgraph.Int("ceil_mode", 1))
	return y
}

// MaxPool is k x k max pooling with stride and padding, floor mode.
func (g *Graph) MaxPool(x *G.Node, k, stride, pad int) *G.Node {
	y := g.Apply(func() (*G.Node, error) { return MaxPool(x, k, stride, pad) })
	p := int64(pad)
	g.onnx.op(y, "MaxPool", []*G.Node{x}, onnxgraph.Ints("kernel_shape", int64(k), int64(k)),
		onnxgraph.Ints("strides", int64(stride), int64(stride)), onnxgraph.Ints("pads", p, p, p, p))
	return y
}

// Concat joins tensors along channels.
func (g *Graph) Concat(xs ...*G.Node) *G.Node {
	y := g.Apply(func() (*G.Node, error) { return Concat(xs...) })
	if len(xs) > 1 {
		g.onnx.op(y, "Concat", xs, onnxgraph.Int("axis", 1))
	}
	return y
}

// Add is x + y, elementwise.
func (g *Graph) Add(x, y *G.Node) *G.Node {
	z := g.Apply(func() (*G.Node, error) { return G.Add(x, y) })
	g.onnx.op(z, "Add", []*G.Node{x, y})
	return z
}

// Bilinear resizes to oh x ow (ONNX Resize, linear, half-pixel).
func (g *Graph) Bilinear(x *G.Node, oh, ow int) *G.Node {
	if g.err == nil && x.Shape()[2] == oh && x.Shape()[3] == ow {
		return x
	}
	y := g.Apply(func() (*G.Node, error) { return Bilinear(x, oh, ow) })
	g.onnx.resize(y, x, oh, ow)
	return y
}
