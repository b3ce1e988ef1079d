package train

import (
	"fmt"
	"strings"

	G "gorgonia.org/gorgonia"

	"osr/internal/onnxgraph"
	"osr/train/nn"
)

// LDNConfig shapes a ladder-style DenseNet segmenter in the spirit of
// LDN-121 (Krešo, Šegvić et al.): a DenseNet encoder of dense blocks and
// transitions, and a ladder upsampling path that blends each encoder
// stage back in through a lateral 1x1 convolution.
type LDNConfig struct {
	Classes     int     `yaml:"classes"`
	Stem        int     `yaml:"stem"`        // channels of the stride-2 stem convolution
	Growth      int     `yaml:"growth"`      // feature maps each dense layer adds
	Blocks      []int   `yaml:"blocks"`      // dense layers per block; each block after the first halves the resolution
	Bottleneck  int     `yaml:"bottleneck"`  // 1x1 bottleneck width in units of Growth (0: none)
	Compression float64 `yaml:"compression"` // channel factor of a transition
	Up          int     `yaml:"up"`          // width of the upsampling path
}

// SmallLDN is the default CPU model: four dense blocks at 1/4 to 1/32 of
// the input, narrow enough to train on two cores.
func SmallLDN(classes int) LDNConfig {
	return LDNConfig{Classes: classes, Stem: 32, Growth: 16, Blocks: []int{2, 3, 4, 3}, Bottleneck: 4, Compression: 0.5, Up: 64}
}

// LDN121 is the paper's full-size shape (DenseNet-121 blocks, 256-wide
// upsampling), for machines with a GPU-class budget.
func LDN121(classes int) LDNConfig {
	return LDNConfig{Classes: classes, Stem: 64, Growth: 32, Blocks: []int{6, 12, 24, 16}, Bottleneck: 4, Compression: 0.5, Up: 256}
}

// Validate reports a config that cannot build a network.
func (c LDNConfig) Validate() error {
	if c.Classes < 2 || c.Stem < 1 || c.Growth < 1 || len(c.Blocks) == 0 || c.Up < 1 ||
		c.Bottleneck < 0 || c.Compression <= 0 || c.Compression > 1 {
		return fmt.Errorf("ldn: invalid config %+v", c)
	}
	for _, b := range c.Blocks {
		if b < 1 {
			return fmt.Errorf("ldn: a dense block needs at least one layer, got %v", c.Blocks)
		}
	}
	return nil
}

// LDN is the segmenter's structure over a parameter store.
type LDN struct {
	Config LDNConfig
	Store  *nn.Store
}

// NewLDN is a segmenter with parameters initialised from seed.
func NewLDN(cfg LDNConfig, seed uint64) (*LDN, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &LDN{Config: cfg, Store: nn.NewStore(seed)}, nil
}

// Forward builds logits for images x [N,3,H,W]: at 1/4 of the input, or
// bilinearly upsampled to the input size when full is set (training
// against labels). Export uses the 1/4 logits: the engine upsamples them
// to the frame together with its post-processing.
func (m *LDN) Forward(g *nn.Graph, x *G.Node, full bool) *G.Node {
	cfg := m.Config
	k3s2 := nn.ConvSpec{K: 3, Stride: 2, Pad: 1}
	k3 := nn.ConvSpec{K: 3, Stride: 1, Pad: 1}
	k1 := nn.ConvSpec{K: 1, Stride: 1}

	h := g.Conv("enc.stem", x, cfg.Stem, k3s2, false)
	h = g.AvgPool(g.BNReLU("enc.stem.bn", h), 2)
	var skips []*G.Node
	for b, layers := range cfg.Blocks {
		name := fmt.Sprintf("enc.block%d", b)
		if b > 0 {
			skips = append(skips, h)
			c := max(1, int(float64(channels(g, h))*cfg.Compression))
			h = g.BNReLU(name+".trans.bn", h)
			h = g.AvgPool(g.Conv(name+".trans", h, c, k1, false), 2)
		}
		feats := []*G.Node{h}
		for l := range layers {
			ln := fmt.Sprintf("%s.layer%d", name, l)
			y := g.BNReLU(ln+".bn1", g.Concat(feats...))
			if cfg.Bottleneck > 0 {
				y = g.Conv(ln+".conv1", y, cfg.Bottleneck*cfg.Growth, k1, false)
				y = g.BNReLU(ln+".bn2", y)
			}
			feats = append(feats, g.Conv(ln+".conv2", y, cfg.Growth, k3, false))
		}
		h = g.Concat(feats...)
	}
	// The ladder: from the deepest stage back up to 1/4.
	u := g.Conv("up.context", g.BNReLU("up.context.bn", h), cfg.Up, k1, false)
	for i := len(skips) - 1; i >= 0; i-- {
		s := skips[i]
		name := fmt.Sprintf("up.stage%d", i)
		if g.Err() != nil {
			return nil
		}
		u = g.Bilinear(u, s.Shape()[2], s.Shape()[3])
		lat := g.Conv(name+".lateral", g.BNReLU(name+".lateral.bn", s), cfg.Up, k1, false)
		u = g.Conv(name+".blend", g.BNReLU(name+".blend.bn", g.Add(u, lat)), cfg.Up, k3, false)
	}
	logits := g.Conv("up.logits", g.BNReLU("up.logits.bn", u), cfg.Classes, k1, true)
	if full && g.Err() == nil {
		logits = g.Bilinear(logits, x.Shape()[2], x.Shape()[3])
	}
	return logits
}

func channels(g *nn.Graph, x *G.Node) int {
	if g.Err() != nil {
		return 1
	}
	return x.Shape()[1]
}

// Groups splits the segmenter's parameters into the encoder (backbone) and
// the upsampling path, which the paper trains at different learning rates.
func (m *LDN) Groups() (encoder, upsampling []*nn.Param) {
	for _, p := range m.Store.Params {
		if strings.HasPrefix(p.Name, "enc.") {
			encoder = append(encoder, p)
		} else {
			upsampling = append(upsampling, p)
		}
	}
	return encoder, upsampling
}

// ExportONNX is the segmenter as an ONNX model for one h x w image named
// "image", with logits at 1/4 named "logits". Batch norms use their
// running statistics, as the evaluation mode does.
func (m *LDN) ExportONNX(h, w int, doc string, meta map[string]string) ([]byte, error) {
	g := nn.NewGraph(m.Store)
	og := &onnxgraph.Graph{Name: "ldn"}
	g.Trace(og)
	x, _ := g.Input("image", 1, 3, h, w)
	g.TraceOutput(m.Forward(g, x, false), "logits")
	if err := g.Err(); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	return onnxgraph.Model{Producer: "osr", Version: "0.2", Doc: doc, Metadata: meta}.Encode(og), nil
}
