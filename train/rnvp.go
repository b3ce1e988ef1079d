package train

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"osr/train/nn"
)

// RNVPConfig shapes a multi-scale Real NVP flow (Dinh et al. 2017). The
// paper's outlier generator has 3 levels and couplings of 3 residual blocks
// with 32 feature maps.
type RNVPConfig struct {
	Channels int `yaml:"channels"` // image channels
	Levels   int `yaml:"levels"`   // squeezes; sizes must be multiples of 2^Levels
	Blocks   int `yaml:"blocks"`   // residual blocks per coupling network
	Features int `yaml:"features"` // feature maps per coupling network
}

// DefaultRNVP is the paper's generator for RGB images.
func DefaultRNVP() RNVPConfig { return RNVPConfig{Channels: 3, Levels: 3, Blocks: 3, Features: 32} }

// RNVP is the flow's structure over a parameter store. Each level runs
// three checkerboard couplings, a squeeze, three channel couplings and
// factors out half of the channels; four checkerboard couplings end it.
// Forward maps an image to latents and log|det J|; Inverse maps latents
// back to an image with the same parameters, differentiably, which is how
// outliers are sampled during training.
type RNVP struct {
	Config RNVPConfig
	Store  *nn.Store
}

// NewRNVP is a flow with parameters initialised from seed.
func NewRNVP(cfg RNVPConfig, seed uint64) (*RNVP, error) {
	if cfg.Channels < 1 || cfg.Levels < 0 || cfg.Blocks < 0 || cfg.Features < 1 {
		return nil, fmt.Errorf("rnvp: invalid config %+v", cfg)
	}
	return &RNVP{Config: cfg, Store: nn.NewStore(seed)}, nil
}

// coupling is one affine coupling layer: its name (for parameters) and mask.
type coupling struct {
	name    string
	checker bool // checkerboard mask, else channel mask
	parity  int  // which half conditions
}

// step is one stage of the flow in forward order.
type step struct {
	couplings []coupling
	squeeze   bool // squeeze, then factor out half of the channels
}

func (f *RNVP) steps() []step {
	var out []step
	for l := range f.Config.Levels {
		var st step
		for i := range 3 {
			st.couplings = append(st.couplings, coupling{fmt.Sprintf("l%d.checker%d", l, i), true, i % 2})
		}
		out = append(out, st)
		st = step{squeeze: true}
		for i := range 3 {
			st.couplings = append(st.couplings, coupling{fmt.Sprintf("l%d.channel%d", l, i), false, i % 2})
		}
		out = append(out, st)
	}
	var last step
	for i := range 4 {
		last.couplings = append(last.couplings, coupling{fmt.Sprintf("final.checker%d", i), true, i % 2})
	}
	return append(out, last)
}

// LatentShapes are the shapes of the latents for n images of h x w, in the
// order Forward returns them (factored out level by level, then the rest).
func (f *RNVP) LatentShapes(n, h, w int) [][]int {
	c := f.Config.Channels
	var out [][]int
	for range f.Config.Levels {
		c, h, w = c*2, h/2, w/2 // squeeze gives 4c; half is factored out
		out = append(out, []int{n, c, h, w})
	}
	return append(out, []int{n, c, h, w})
}

// mask is a constant 0/1 tensor: 1 where a coupling conditions (or, with
// complement, where it transforms).
func mask(g *nn.Graph, cp coupling, shape []int, complement bool) *G.Node {
	n, c, h, w := shape[0], shape[1], shape[2], shape[3]
	name := fmt.Sprintf("mask.%v.%d.%v.%v", cp.checker, cp.parity, complement, shape)
	if nd := g.G.ByName(name); len(nd) > 0 {
		return nd[0]
	}
	t := tensor.New(tensor.WithShape(shape...), tensor.Of(tensor.Float32))
	d := t.Float32s()
	for i := range n {
		for ch := range c {
			for y := range h {
				for x := range w {
					on := (y+x)%2 == cp.parity
					if !cp.checker {
						on = (ch < c/2) == (cp.parity == 0)
					}
					if on != complement {
						d[((i*c+ch)*h+y)*w+x] = 1
					}
				}
			}
		}
	}
	return G.NewTensor(g.G, tensor.Float32, 4, G.WithShape(shape...), G.WithValue(t), G.WithName(name))
}

// scaleShift is the coupling network: s (bounded by tanh) and t, both zero
// where the mask conditions, computed from the conditioning part x·m.
func (f *RNVP) scaleShift(g *nn.Graph, cp coupling, xm, inv *G.Node) (s, t *G.Node) {
	if g.Err() != nil {
		return nil, nil
	}
	c := xm.Shape()[1]
	k3 := nn.ConvSpec{K: 3, Stride: 1, Pad: 1}
	h := g.Conv(cp.name+".in", xm, f.Config.Features, k3, true)
	for b := range f.Config.Blocks {
		name := fmt.Sprintf("%s.res%d", cp.name, b)
		r := g.Apply(func() (*G.Node, error) { return nn.ReLU(h) })
		r = g.Conv(name+".a", r, f.Config.Features, k3, true)
		r = g.Apply(func() (*G.Node, error) { return nn.ReLU(r) })
		r = g.Conv(name+".b", r, f.Config.Features, k3, true)
		h = g.Apply(func() (*G.Node, error) { return G.Add(h, r) })
	}
	h = g.Apply(func() (*G.Node, error) { return nn.ReLU(h) })
	// Zero weights: every coupling starts as the identity.
	h = g.ConvInit(cp.name+".out", h, 2*c, k3, true, nn.Const(0))
	s = g.Apply(func() (*G.Node, error) { return nn.SliceChannels(h, 0, c) })
	s = g.Apply(func() (*G.Node, error) { return G.Tanh(s) })
	s = g.Apply(func() (*G.Node, error) { return G.HadamardProd(s, inv) })
	t = g.Apply(func() (*G.Node, error) { return nn.SliceChannels(h, c, 2*c) })
	t = g.Apply(func() (*G.Node, error) { return G.HadamardProd(t, inv) })
	return s, t
}

// couple applies one coupling, forward (y = x·e^s + t, adding Σs to the
// log-determinant) or inverse (x = (y - t)·e^-s).
func (f *RNVP) couple(g *nn.Graph, cp coupling, x *G.Node, inverse bool, logdet **G.Node) *G.Node {
	if g.Err() != nil {
		return nil
	}
	m, inv := mask(g, cp, x.Shape(), false), mask(g, cp, x.Shape(), true)
	xm := g.Apply(func() (*G.Node, error) { return G.HadamardProd(x, m) })
	s, t := f.scaleShift(g, cp, xm, inv)
	if !inverse {
		e := g.Apply(func() (*G.Node, error) { return G.Exp(s) })
		y := g.Apply(func() (*G.Node, error) { return G.HadamardProd(x, e) })
		y = g.Apply(func() (*G.Node, error) { return G.Add(y, t) })
		ld := g.Apply(func() (*G.Node, error) { return G.Sum(s) })
		if *logdet == nil {
			*logdet = ld
		} else {
			*logdet = g.Apply(func() (*G.Node, error) { return G.Add(*logdet, ld) })
		}
		return y
	}
	e := g.Apply(func() (*G.Node, error) { return G.Exp(G.Must(G.Neg(s))) })
	y := g.Apply(func() (*G.Node, error) { return G.Sub(x, t) })
	return g.Apply(func() (*G.Node, error) { return G.HadamardProd(y, e) })
}

// Forward maps images x [N,C,H,W] to latents (LatentShapes order) and the
// batch's total log|det J|.
func (f *RNVP) Forward(g *nn.Graph, x *G.Node) (zs []*G.Node, logdet *G.Node) {
	for _, st := range f.steps() {
		if st.squeeze {
			x = g.Apply(func() (*G.Node, error) { return nn.Squeeze(x) })
		}
		for _, cp := range st.couplings {
			x = f.couple(g, cp, x, false, &logdet)
		}
		if st.squeeze && g.Err() == nil {
			c := x.Shape()[1]
			zs = append(zs, g.Apply(func() (*G.Node, error) { return nn.SliceChannels(x, 0, c/2) }))
			x = g.Apply(func() (*G.Node, error) { return nn.SliceChannels(x, c/2, c) })
		}
	}
	return append(zs, x), logdet
}

// Inverse maps latents (LatentShapes order) back to images.
func (f *RNVP) Inverse(g *nn.Graph, zs []*G.Node) *G.Node {
	steps := f.steps()
	x := zs[len(zs)-1]
	k := len(zs) - 2
	for i := len(steps) - 1; i >= 0; i-- {
		st := steps[i]
		if st.squeeze {
			zk := zs[k]
			k--
			x = g.Apply(func() (*G.Node, error) { return nn.Concat(zk, x) })
		}
		for j := len(st.couplings) - 1; j >= 0; j-- {
			x = f.couple(g, st.couplings[j], x, true, nil)
		}
		if st.squeeze {
			x = g.Apply(func() (*G.Node, error) { return nn.Unsqueeze(x) })
		}
	}
	return x
}

// NLL is the negative log-likelihood of the latents under N(0, I), in nats
// for the whole batch: ½Σz² + D·½log 2π - log|det J|.
func (f *RNVP) NLL(g *nn.Graph, zs []*G.Node, logdet *G.Node) *G.Node {
	var sq *G.Node
	d := 0
	for _, z := range zs {
		d += z.Shape().TotalSize()
		s := g.Apply(func() (*G.Node, error) { return G.Sum(G.Must(G.Square(z))) })
		if sq == nil {
			sq = s
		} else {
			sq = g.Apply(func() (*G.Node, error) { return G.Add(sq, s) })
		}
	}
	c := float32(0.5 * float64(d) * math.Log(2*math.Pi))
	half := g.Apply(func() (*G.Node, error) { return G.Mul(sq, G.NewConstant(float32(0.5))) })
	nll := g.Apply(func() (*G.Node, error) { return G.Add(half, G.NewConstant(c)) })
	return g.Apply(func() (*G.Node, error) { return G.Sub(nll, logdet) })
}
