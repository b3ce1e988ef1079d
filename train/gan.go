package train

import (
	"fmt"
	"math/rand/v2"
	"strings"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"osr/train/nn"
)

// GANConfig is the gan mode's generator and discriminator (Lee et al.
// 2018, "Training confidence-calibrated classifiers for detecting
// out-of-distribution samples"): a small DCGAN for 28x28x1 images whose
// generator is also pushed towards samples the classifier finds uniform.
type GANConfig struct {
	Noise    int     // latent size of the generator
	Features int     // generator channels at 14x14 (twice that at 7x7); the discriminator mirrors them
	LR       float64 // Adam rate of both networks (β1 = 0.5, as DCGAN)
	// Beta weighs KL(U‖classifier(G(z))) in the generator's loss, beside
	// its GAN loss (Lee et al.'s β; their code uses 1).
	Beta float64
}

// DefaultGAN is the CPU-sized GAN of docs/results.md's gan rows.
func DefaultGAN() GANConfig { return GANConfig{Noise: 32, Features: 32, LR: 2e-4, Beta: 1} }

// GAN is a generator and a discriminator in one store (their parameter
// names start with gen. and disc.), each with its own optimiser.
type GAN struct {
	Config GANConfig
	Store  *nn.Store
}

// NewGAN is a GAN with parameters initialised from seed.
func NewGAN(cfg GANConfig, seed uint64) (*GAN, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	return &GAN{Config: cfg, Store: nn.NewStore(seed)}, nil
}

func (cfg GANConfig) check() error {
	if cfg.Noise < 1 || cfg.Features < 2 || !(cfg.LR > 0) || cfg.Beta < 0 {
		return fmt.Errorf("gan: noise %d, features %d, learning rate %g, beta %g: want noise >= 1, features >= 2, a positive rate and beta >= 0",
			cfg.Noise, cfg.Features, cfg.LR, cfg.Beta)
	}
	return nil
}

// Fashion-MNIST's pixel range [0, 1] in normalised units: the generator's
// tanh output is mapped onto it.
var ganMid, ganHalf = (0.5 - fashionMean) / fashionStd, 0.5 / fashionStd

// generate maps z [N,Noise,1,1] to images [N,1,28,28] in normalised units.
// A 7x7 convolution padded by 6 over the 1x1 latent is the transposed
// convolution that projects it to 7x7; nearest-neighbour upsampling is not
// in the engine, bilinear upsampling + 3x3 convolution takes its place.
func (m *GAN) generate(g *nn.Graph, z *G.Node) *G.Node {
	f := m.Config.Features
	k3 := nn.ConvSpec{K: 3, Stride: 1, Pad: 1}
	h := g.BNReLU("gen.proj.bn", g.Conv("gen.proj", z, 2*f, nn.ConvSpec{K: 7, Stride: 1, Pad: 6}, false))
	h = g.BNReLU("gen.up1.bn", g.Conv("gen.up1", g.Bilinear(h, 14, 14), f, k3, false))
	h = g.BNReLU("gen.up2.bn", g.Conv("gen.up2", g.Bilinear(h, 28, 28), max(1, f/2), k3, false))
	h = g.Conv("gen.out", h, 1, k3, true)
	h = g.Apply(func() (*G.Node, error) { return G.Tanh(h) })
	h = g.Apply(func() (*G.Node, error) { return G.Mul(h, G.NewConstant(float32(ganHalf))) })
	return g.Apply(func() (*G.Node, error) { return G.Add(h, G.NewConstant(float32(ganMid))) })
}

// discriminate is the real-vs-generated logit [N,1,1,1] of images
// [N,1,28,28]: three stride-2 convolutions with leaky ReLUs (no batch
// norm, so that real and generated images do not share statistics).
func (m *GAN) discriminate(g *nn.Graph, x *G.Node) *G.Node {
	f := m.Config.Features
	h := x
	for i, c := range []int{max(1, f/2), f, 2 * f} {
		h = g.Conv(fmt.Sprintf("disc.conv%d", i), h, c, nn.ConvSpec{K: 3, Stride: 2, Pad: 1}, true)
		h = leakyReLU(g, h)
	}
	if g.Err() != nil {
		return nil
	}
	h = g.AvgPool(h, max(h.Shape()[2], h.Shape()[3]))
	return g.Conv("disc.head", h, 1, nn.ConvSpec{K: 1, Stride: 1}, true)
}

// leakyReLU is max(x, 0.2x) = 0.2x + 0.8·ReLU(x).
func leakyReLU(g *nn.Graph, x *G.Node) *G.Node {
	r := g.ReLU(x)
	r = g.Apply(func() (*G.Node, error) { return G.Mul(r, G.NewConstant(float32(0.8))) })
	l := g.Apply(func() (*G.Node, error) { return G.Mul(x, G.NewConstant(float32(0.2))) })
	return g.Apply(func() (*G.Node, error) { return G.Add(l, r) })
}

// softplusSum is Σ softplus(sign·logit) / n: the binary cross-entropy
// of logits whose sign is -1 where the target is real and +1 where it
// is generated, averaged over n images.
func softplusSum(g *nn.Graph, logits, sign *G.Node, n int) *G.Node {
	return g.Apply(func() (*G.Node, error) {
		s, err := G.Sum(G.Must(G.Softplus(G.Must(G.HadamardProd(logits, sign)))))
		if err != nil {
			return nil, err
		}
		return G.Mul(s, G.NewConstant(float32(1/float64(n))))
	})
}

// signs is the constant [real+fake,1,1,1] of softplusSum: -1 for the
// first real images (targets "real"), +1 for the fake ones after them.
func signs(g *nn.Graph, reals, fakes int) *G.Node {
	t := tensor.New(tensor.WithShape(reals+fakes, 1, 1, 1), tensor.Of(tensor.Float32))
	d := t.Float32s()
	for i := range d {
		d[i] = 1
		if i < reals {
			d[i] = -1
		}
	}
	return G.NewTensor(g.G, tensor.Float32, 4, G.WithShape(reals+fakes, 1, 1, 1), G.WithValue(t), G.WithName(fmt.Sprintf("signs%d_%d", reals, fakes)))
}

// ganStep is the GAN's compiled programs for n samples a step: Sample
// draws x = G(z), TrainD updates the discriminator on real images and
// those samples, TrainG updates the generator from its non-saturating GAN
// loss -log D(G(z)) plus Σ x·u, where u is β times the gradient of the
// classifier's KL(U‖P) at the samples. TrainG recomputes G(z) from the
// same z rather than keeping the sampling pass's activations.
type ganStep struct {
	gan        *GAN
	n          int
	z          *tensor.Dense
	sample     *nn.Program
	dIn        *tensor.Dense // real images, then the samples
	disc       *nn.Program
	upstream   *tensor.Dense // u, [N,1,28,28]
	gen        *nn.Program
	gOpt, dOpt *nn.Adam
}

func newGANStep(m *GAN, n int) (*ganStep, error) {
	s := &ganStep{gan: m, n: n}
	cfg := m.Config
	// The generator: sampling, and its training loss through the
	// discriminator and the classifier's gradient.
	g := nn.NewGraph(m.Store)
	g.NoStatUpdates = true // the generator is never run in evaluation mode
	z, zv := g.Input("z", n, cfg.Noise, 1, 1)
	x := m.generate(g, z)
	up, uv := g.Input("upstream", n, 1, 28, 28)
	gan := softplusSum(g, m.discriminate(g, x), signs(g, n, 0), n)
	push := g.Apply(func() (*G.Node, error) { return G.Sum(G.Must(G.HadamardProd(x, up))) })
	loss := g.Apply(func() (*G.Node, error) { return G.Add(gan, push) })
	if err := g.Err(); err != nil {
		return nil, fmt.Errorf("gan generator: %w", err)
	}
	var err error
	if s.sample, err = nn.Compile(g, x); err != nil {
		return nil, err
	}
	if s.gen, err = nn.CompileLoss(g, loss, nil, gan); err != nil {
		s.Close()
		return nil, err
	}
	var genParams []*nn.Param
	for _, p := range g.Params() {
		if strings.HasPrefix(p.Name, "gen.") {
			genParams = append(genParams, p)
		}
	}
	// The discriminator on n real images then n samples.
	d := nn.NewGraph(m.Store)
	dx, dv := d.Input("images", 2*n, 1, 28, 28)
	dLoss := softplusSum(d, m.discriminate(d, dx), signs(d, n, n), n)
	if err := d.Err(); err != nil {
		s.Close()
		return nil, fmt.Errorf("gan discriminator: %w", err)
	}
	if s.disc, err = nn.CompileLoss(d, dLoss, nil); err != nil {
		s.Close()
		return nil, err
	}
	s.z, s.dIn, s.upstream = zv, dv, uv
	s.gOpt = nn.NewAdam([]nn.Group{{Params: genParams, LR: cfg.LR}}, 0, 0)
	s.dOpt = nn.NewAdam([]nn.Group{{Params: d.Params(), LR: cfg.LR}}, 0, 0)
	s.gOpt.Beta1, s.dOpt.Beta1 = 0.5, 0.5
	return s, nil
}

// Sample draws z ~ N(0, I) from r and returns x = G(z) [N,1,28,28]
// (valid until the next Sample).
func (s *ganStep) Sample(r *rand.Rand) ([]float32, error) {
	for i, d := 0, s.z.Float32s(); i < len(d); i++ {
		d[i] = float32(r.NormFloat64())
	}
	if _, err := s.sample.Run(); err != nil {
		return nil, fmt.Errorf("gan sample: %w", err)
	}
	return s.sample.Output(0), nil
}

// TrainD is one discriminator step on inlier images [N,1,28,28] and the
// last Sample's images. It returns the discriminator's loss.
func (s *ganStep) TrainD(inliers []float32) (float64, error) {
	in := s.dIn.Float32s()
	copy(in, inliers[:len(in)/2])
	copy(in[len(in)/2:], s.sample.Output(0))
	loss, err := s.disc.Run()
	if err != nil {
		return loss, fmt.Errorf("gan discriminator: %w", err)
	}
	s.dOpt.Step(1)
	s.zeroGrads()
	return loss, nil
}

// Upstream is u of the generator's loss, [N,1,28,28]: the caller writes β
// times the classifier's KL gradient at the last Sample's images.
func (s *ganStep) Upstream() []float32 { return s.upstream.Float32s() }

// Train runs the generator's loss for the z of the last Sample, adding
// the gradients into the parameters (the discriminator's too), and
// returns the GAN term -log D(G(z)).
func (s *ganStep) Train() (float64, error) {
	if _, err := s.gen.Run(); err != nil {
		return 0, fmt.Errorf("gan generator: %w", err)
	}
	return float64(s.gen.Output(0)[0]), nil
}

// TrainG is Train followed by the generator's optimiser step; every
// gradient is then cleared (the discriminator's from this pass too).
func (s *ganStep) TrainG() (float64, error) {
	loss, err := s.Train()
	if err != nil {
		return loss, err
	}
	s.gOpt.Step(1)
	s.zeroGrads()
	return loss, nil
}

func (s *ganStep) zeroGrads() {
	for _, p := range s.gan.Store.Params {
		p.ZeroGrad()
	}
}

func (s *ganStep) Close() {
	for _, p := range []*nn.Program{s.sample, s.gen, s.disc} {
		if p != nil {
			p.Close()
		}
	}
}

// ganPlane is one 28x28x1 image.
const ganPlane = 28 * 28

// PasteInto draws the step's samples into the odd places of the
// classifier's batch [2N,1,28,28], labelled as outliers; inliers keep the
// even places, so that each replica's batch norms see both.
func (s *ganStep) PasteInto(st *segStep, r *rand.Rand) error {
	x, err := s.Sample(r)
	if err != nil {
		return err
	}
	for j := range s.n {
		copy(st.Input[(2*j+1)*ganPlane:(2*j+2)*ganPlane], x[j*ganPlane:(j+1)*ganPlane])
		st.Labels[2*j+1] = nn.LabelOutlier
	}
	return nil
}

// upstreamFrom sets u to scale times the classifier loss gradient at the
// samples of st's last Run. With scale β/λ that is β times the gradient of
// the classifier's mean KL(U‖P) over the samples.
func (s *ganStep) upstreamFrom(st *segStep, scale float64) {
	up, g := s.Upstream(), st.ImageGrad()
	for j := range s.n {
		src := g[(2*j+1)*ganPlane : (2*j+2)*ganPlane]
		for i, v := range src {
			up[j*ganPlane+i] = float32(scale) * v
		}
	}
}

// Update follows the classifier's step in st: the discriminator learns
// from the batch's inliers and the samples, then the generator from its
// GAN loss and scale times the classifier's gradient at the samples. It
// returns the discriminator's and the generator's GAN losses.
func (s *ganStep) Update(st *segStep, scale float64) (d, g float64, err error) {
	s.upstreamFrom(st, scale)
	in := s.dIn.Float32s()[:s.n*ganPlane]
	for j := range s.n {
		copy(in[j*ganPlane:(j+1)*ganPlane], st.Input[2*j*ganPlane:(2*j+1)*ganPlane])
	}
	if d, err = s.TrainD(in); err != nil {
		return d, 0, err
	}
	g, err = s.TrainG()
	return d, g, err
}
