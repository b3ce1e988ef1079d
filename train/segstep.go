package train

import (
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"osr/train/nn"
)

// segStep is one compiled training step of the segmenter for a fixed
// batch and crop size: the caller fills Input and Targets, Run does
// forward, backward and the optimiser update.
type segStep struct {
	net     *LDN
	graph   *nn.Graph
	image   *G.Node
	Input   *tensor.Dense // [N,3,H,W] normalised images
	Targets *nn.Targets
	prog    *nn.Program
	opt     *nn.Adam
}

// newSegStep compiles the step. With imageGrad the program also yields the
// loss gradient for the input image, which trains the flow that made the
// pasted outliers.
func newSegStep(net *LDN, opt *nn.Adam, n, h, w int, imageGrad bool) (*segStep, error) {
	g := nn.NewGraph(net.Store)
	x, xv := g.Input("image", n, 3, h, w)
	logits := net.Forward(g, x, true)
	t := &nn.Targets{Labels: make([]uint8, n*h*w)}
	loss := g.Apply(func() (*G.Node, error) { return nn.SegLoss(logits, t) })
	var extra G.Nodes
	if imageGrad {
		extra = G.Nodes{x}
	}
	prog, err := nn.CompileLoss(g, loss, extra)
	if err != nil {
		return nil, err
	}
	return &segStep{net: net, graph: g, image: x, Input: xv, Targets: t, prog: prog, opt: opt}, nil
}

// Run does one step and returns the loss. A non-finite loss returns
// nn.ErrNonFinite before the weights change.
func (s *segStep) Run() (float64, error) {
	s.net.Store.SetTrain(true)
	loss, err := s.prog.Run()
	if err == nil && s.opt != nil {
		s.opt.Step(1)
	}
	for _, p := range s.prog.Params() {
		p.ZeroGrad()
	}
	return loss, err
}

// ImageGrad is the loss gradient for the input after Run (imageGrad only).
func (s *segStep) ImageGrad() []float32 { return s.prog.ExtraGrad(0) }

// FLOPs is the step's convolution work: forward plus the two backward
// GEMMs, 3x the forward multiply-adds times 2.
func (s *segStep) FLOPs() float64 { return 3 * s.graph.ConvFLOPs }

func (s *segStep) Close() error { return s.prog.Close() }
