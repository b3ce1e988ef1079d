package train

import (
	"context"
	"runtime"
	"runtime/trace"
	"sync"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"osr/train/nn"
)

// segStep is one compiled training step of the segmenter for a fixed
// batch and crop size: the caller fills Input, Labels and Weights, Run
// does forward, backward and the optimiser update.
//
// The batch is split into a fixed number of replicas (Config.Replicas),
// each a graph of its own that runs on its own goroutine and shares out
// the cores; their gradients are averaged. Each replica's batch norms use
// its own images' statistics (as multi-GPU training without synchronised
// batch norm does), and only the first updates the running averages.
type segStep struct {
	net      network
	opt      *nn.Adam
	n, h, w  int       // batch and input size
	lh, lw   int       // label (logit) size: the input size for the segmenter, 1x1 for a classifier
	Input    []float32 // [N,3,H,W] normalised images
	Labels   []uint8   // [N,H,W]
	Weights  []float32 // per-class cross-entropy weights; nil = 1
	Lambda   float32   // weight of the outlier term
	SumLoss  bool      // the paper's summed form of the loss (nn.Targets.Sum)
	replicas []*replica
	cores    nn.Cores // lent by replicas that are done to the others' convs
	spare    int      // cores no replica holds
	flops    float64
	grad     []float32
}

type replica struct {
	lo, hi  int // images of the batch
	graph   *nn.Graph
	input   *tensor.Dense
	targets *nn.Targets
	prog    *nn.Program
}

// network is what a step trains: the segmenter, or the image-wide
// classifier of Algorithm 1.
type network interface {
	// logits builds the training logits for x [N,C,H,W]: per pixel at the
	// input size, or [N,K,1,1] for a classifier.
	logits(g *nn.Graph, x *G.Node) *G.Node
	store() *nn.Store
	channels() int
}

func (m *LDN) logits(g *nn.Graph, x *G.Node) *G.Node { return m.Forward(g, x, true) }
func (m *LDN) store() *nn.Store                      { return m.Store }
func (m *LDN) channels() int                         { return 3 }

// newSegStep compiles the step. With imageGrad the program also yields the
// loss gradient for the input image, which trains the flow that made the
// pasted outliers.
func newSegStep(net network, opt *nn.Adam, n, h, w, replicas int, imageGrad bool) (*segStep, error) {
	c := net.channels()
	s := &segStep{net: net, opt: opt, n: n, h: h, w: w, Input: make([]float32, n*c*h*w)}
	k := max(1, min(replicas, n))
	workers := max(1, runtime.GOMAXPROCS(0)/k)
	s.spare = max(0, runtime.GOMAXPROCS(0)-k*workers)
	for r := range k {
		rp := &replica{lo: r * n / k, hi: (r + 1) * n / k}
		m := rp.hi - rp.lo
		g := nn.NewGraph(net.store())
		g.NoStatUpdates = r > 0
		if k > 1 {
			// The replicas run at once: each takes its share of the cores
			// and lends it to the others when it is done.
			g.WS.Workers, g.WS.Spare = workers, &s.cores
		}
		x, xv := g.Input("image", m, c, h, w)
		logits := net.logits(g, x)
		if err := g.Err(); err != nil {
			s.Close()
			return nil, err
		}
		s.lh, s.lw = logits.Shape()[2], logits.Shape()[3]
		rp.targets = &nn.Targets{Labels: make([]uint8, m*s.lh*s.lw)}
		loss := g.Apply(func() (*G.Node, error) { return nn.SegLoss(logits, rp.targets) })
		var extra G.Nodes
		if imageGrad {
			extra = G.Nodes{x}
		}
		prog, err := nn.CompileLoss(g, loss, extra)
		if err != nil {
			s.Close()
			return nil, err
		}
		rp.graph, rp.input, rp.prog = g, xv, prog
		s.flops += g.ConvFLOPs
		s.replicas = append(s.replicas, rp)
	}
	s.Labels = make([]uint8, n*s.lh*s.lw)
	if imageGrad {
		s.grad = make([]float32, len(s.Input))
	}
	return s, nil
}

// Run does one step and returns the loss (the mean over replicas). A
// non-finite loss returns nn.ErrNonFinite before the weights change.
func (s *segStep) Run() (float64, error) {
	// Regions for an execution trace (go test -trace; bench/step_trace.py
	// reads them): each replica's forward and backward pass, then the
	// update. Without a trace they cost nothing measurable.
	ctx, task := trace.NewTask(context.Background(), "step")
	defer task.End()
	s.net.store().SetTrain(true)
	plane := s.net.channels() * s.h * s.w
	lplane := s.lh * s.lw
	losses := make([]float64, len(s.replicas))
	errs := make([]error, len(s.replicas))
	var wg sync.WaitGroup
	s.cores.Set(s.spare)
	for i, rp := range s.replicas {
		copy(rp.input.Float32s(), s.Input[rp.lo*plane:rp.hi*plane])
		copy(rp.targets.Labels, s.Labels[rp.lo*lplane:rp.hi*lplane])
		rp.targets.Weights, rp.targets.Lambda, rp.targets.Sum = s.Weights, s.Lambda, s.SumLoss
		wg.Add(1)
		go func() {
			defer wg.Done()
			trace.WithRegion(ctx, "replica", func() { losses[i], errs[i] = rp.prog.Exec() })
			s.cores.Give(rp.graph.WS.Workers)
		}()
	}
	wg.Wait()
	defer trace.StartRegion(ctx, "update").End()
	var loss float64
	for i, rp := range s.replicas {
		if errs[i] != nil {
			return losses[i], errs[i]
		}
		loss += losses[i] / float64(len(s.replicas))
		rp.prog.AddGrads()
		if s.grad != nil {
			inv := 1 / float32(len(s.replicas))
			dst := s.grad[rp.lo*plane : rp.hi*plane]
			for j, v := range rp.prog.ExtraGrad(0) {
				dst[j] = v * inv
			}
		}
	}
	if s.opt != nil {
		s.opt.Step(1 / float32(len(s.replicas)))
	}
	for _, p := range s.replicas[0].prog.Params() {
		p.ZeroGrad()
	}
	return loss, nil
}

// Terms are the last Run's two loss terms, each the mean over replicas:
// the cross-entropy on inlier pixels and KL(U‖P) on outlier pixels (0
// when the batch had none).
func (s *segStep) Terms() (ce, kl float64) {
	for _, rp := range s.replicas {
		ce += rp.targets.CE
		kl += rp.targets.KL
	}
	k := float64(len(s.replicas))
	return ce / k, kl / k
}

// ImageGrad is the loss gradient for the input after Run (imageGrad only),
// for the replicas' mean loss.
func (s *segStep) ImageGrad() []float32 { return s.grad }

// FLOPs is the step's convolution work: forward plus the two backward
// GEMMs, 3x the forward multiply-adds times 2.
func (s *segStep) FLOPs() float64 { return 3 * s.flops }

func (s *segStep) Close() error {
	for _, rp := range s.replicas {
		rp.prog.Close()
	}
	return nil
}
