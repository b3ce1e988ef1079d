package nn

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
)

// Program is a compiled graph: a forward pass to some outputs and, when it
// was compiled with a loss, the gradients of that loss for every parameter
// the graph uses (and for extra inputs asked for, such as the image a
// pasted outlier came from).
type Program struct {
	graph   *Graph
	vm      G.VM
	loss    *G.Node
	params  []*Param
	grads   G.Nodes // params first, then extra
	extra   G.Nodes
	outputs G.Nodes
}

// Compile prepares a forward-only program computing outputs.
func Compile(g *Graph, outputs ...*G.Node) (*Program, error) {
	if err := g.Err(); err != nil {
		return nil, err
	}
	sub := g.G.ExactSubgraphRoots(outputs...)
	return &Program{graph: g, vm: G.NewTapeMachine(sub), outputs: outputs}, nil
}

// CompileLoss prepares a training program: loss, its gradient for every
// parameter of the graph and for each extra input, and the outputs.
func CompileLoss(g *Graph, loss *G.Node, extra G.Nodes, outputs ...*G.Node) (*Program, error) {
	if err := g.Err(); err != nil {
		return nil, err
	}
	params := g.Params()
	wrt := make(G.Nodes, 0, len(params)+len(extra))
	for _, p := range params {
		wrt = append(wrt, g.nodes[p])
	}
	wrt = append(wrt, extra...)
	grads, err := G.Grad(loss, wrt...)
	if err != nil {
		return nil, fmt.Errorf("gradients: %w", err)
	}
	roots := append(append(G.Nodes{loss}, grads...), outputs...)
	sub := g.G.ExactSubgraphRoots(roots...)
	return &Program{graph: g, vm: G.NewTapeMachine(sub), loss: loss, params: params,
		grads: grads, extra: extra, outputs: outputs}, nil
}

// ErrNonFinite is returned when a loss is NaN or infinite.
var ErrNonFinite = fmt.Errorf("loss is not finite")

// Run executes the program once. With a loss it adds each parameter's
// gradient into Param.G and returns the loss; a NaN or infinite loss
// returns ErrNonFinite and leaves the gradients alone.
func (p *Program) Run() (float64, error) {
	loss, err := p.Exec()
	if err == nil {
		p.AddGrads()
	}
	return loss, err
}

// Exec executes the program once without touching Param.G, so that
// programs over the same parameters (replicas of a batch) can run at once;
// AddGrads then adds the gradients, one program at a time.
func (p *Program) Exec() (float64, error) {
	p.vm.Reset()
	if err := p.vm.RunAll(); err != nil {
		return 0, err
	}
	if p.loss == nil {
		return 0, nil
	}
	loss := float64(scalar(p.loss.Value()))
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return loss, fmt.Errorf("%w: %v", ErrNonFinite, loss)
	}
	return loss, nil
}

// AddGrads adds the last Exec's gradients into Param.G.
func (p *Program) AddGrads() {
	for i, prm := range p.params {
		for j, v := range f32(p.grads[i].Value()) {
			prm.G[j] += v
		}
	}
}

// Params are the parameters the program trains.
func (p *Program) Params() []*Param { return p.params }

// Output is the data of output i after Run (valid until the next Run).
func (p *Program) Output(i int) []float32 { return f32(p.outputs[i].Value()) }

// ExtraGrad is the gradient of the loss for extra input i after Run.
func (p *Program) ExtraGrad(i int) []float32 { return f32(p.grads[len(p.params)+i].Value()) }

// Close releases the machine.
func (p *Program) Close() error { return p.vm.Close() }
