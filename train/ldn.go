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
// transitions, optional spatial pyramid pooling over the last block, and
// a ladder upsampling path that blends each encoder stage back in through
// a lateral 1x1 convolution.
type LDNConfig struct {
	Classes int `yaml:"classes"`
	// Layout is the encoder's stem and parameter naming: "" (osr's: a 3x3
	// stride-2 stem convolution and a 2x2 average pool, parameters
	// enc.stem, enc.block0…) or "torchvision" (DenseNet as torchvision
	// builds it: 7x7 conv0, norm0, 3x3 max pool0, denseblockN.denselayerM,
	// transitionN, norm5, each parameter named enc. plus its state-dict
	// name without "features.", so that --init loads ImageNet weights) or
	// "resnet" (a ResNet of basic blocks as torchvision builds it, the
	// SwiftNet-style encoder: 7x7 conv1, bn1, max pool, layer1..4 of
	// Blocks basic blocks each, Stem·2^i channels, named enc. plus the
	// state-dict name; blocks [2, 2, 2, 2] is ResNet-18).
	Layout string `yaml:"layout"`
	Stem   int    `yaml:"stem"`   // channels of the stride-2 stem convolution
	Growth int    `yaml:"growth"` // feature maps each dense layer adds
	// Blocks are the dense layers per block (the basic blocks per stage
	// of a ResNet); each block after the first halves the resolution.
	Blocks      []int   `yaml:"blocks"`
	Bottleneck  int     `yaml:"bottleneck"`  // 1x1 bottleneck width in units of Growth (0: none)
	Compression float64 `yaml:"compression"` // channel factor of a transition
	Up          int     `yaml:"up"`          // width of the upsampling path's context (and of its stages unless ladder says)
	// SPP are the grids of spatial pyramid pooling over the last block
	// (e.g. [8, 4, 2, 1]: pooled to about 8x8 … 1x1 cells); empty: a 1x1
	// context convolution instead. Its bottleneck is 2·up wide, each level
	// up/2, its output up, as in Krešo et al.'s LDN (512, 128, 256).
	SPP []int `yaml:"spp,omitempty"`
	// Ladder are the output widths of the upsampling stages, deepest
	// first, one per encoder skip (len(blocks)-1); empty: up each.
	Ladder []int `yaml:"ladder,omitempty"`
	// Checkpoint keeps only each dense block's output from the forward
	// to the backward pass and recomputes its layers there: the same
	// gradients in a fraction of the memory, for some more time per step.
	Checkpoint bool `yaml:"checkpoint,omitempty"`
}

// LayoutTorchvision is the Layout of DenseNets whose weights come from
// torchvision (LDN121).
const LayoutTorchvision = "torchvision"

// LayoutResNet is the Layout of torchvision's basic-block ResNets
// (ResNet18).
const LayoutResNet = "resnet"

// SmallLDN is the default CPU model: four dense blocks at 1/4 to 1/32 of
// the input, narrow enough to train on two cores.
func SmallLDN(classes int) LDNConfig {
	return LDNConfig{Classes: classes, Stem: 32, Growth: 16, Blocks: []int{2, 3, 4, 3}, Bottleneck: 4, Compression: 0.5, Up: 64}
}

// LDN121 is the paper's segmenter: torchvision's DenseNet-121 encoder
// (stem 64, growth 32, bn_size 4, blocks 6/12/24/16, compression 0.5),
// spatial pyramid pooling on the last block, and a ladder of 256, 128 and
// 128 channels at 1/16, 1/8 and 1/4, logits at 1/4; dense blocks
// checkpointed, so that batch 4 at half resolution fits in memory.
func LDN121(classes int) LDNConfig {
	return LDNConfig{Classes: classes, Layout: LayoutTorchvision, Stem: 64, Growth: 32, Blocks: []int{6, 12, 24, 16},
		Bottleneck: 4, Compression: 0.5, Up: 256, SPP: []int{8, 4, 2, 1}, Ladder: []int{256, 128, 128}, Checkpoint: true}
}

// ResNet18 is a SwiftNet-style segmenter (Oršić et al.) on the same
// ladder: torchvision's ResNet-18 encoder (ImageNet weights load with
// --init), spatial pyramid pooling on layer4 and 128-wide upsampling
// stages at 1/16, 1/8 and 1/4.
func ResNet18(classes int) LDNConfig {
	return LDNConfig{Classes: classes, Layout: LayoutResNet, Stem: 64, Blocks: []int{2, 2, 2, 2},
		Up: 128, SPP: []int{8, 4, 2, 1}, Ladder: []int{128, 128, 128}}
}

// Validate reports a config that cannot build a network.
func (c LDNConfig) Validate() error {
	dense := c.Layout != LayoutResNet
	if c.Classes < 2 || c.Stem < 1 || len(c.Blocks) == 0 || c.Up < 1 ||
		dense && (c.Growth < 1 || c.Bottleneck < 0 || c.Compression <= 0 || c.Compression > 1) {
		return fmt.Errorf("ldn: invalid config %+v", c)
	}
	if c.Layout != "" && c.Layout != LayoutTorchvision && c.Layout != LayoutResNet {
		return fmt.Errorf("ldn: layout %q: want \"\" (osr's stem), %q (DenseNet) or %q (ResNet)", c.Layout, LayoutTorchvision, LayoutResNet)
	}
	if !dense && c.Checkpoint {
		return fmt.Errorf("ldn: checkpoint recomputes dense blocks; layout %s has none: remove checkpoint", LayoutResNet)
	}
	for _, b := range c.Blocks {
		if b < 1 {
			return fmt.Errorf("ldn: a dense block needs at least one layer, got %v", c.Blocks)
		}
	}
	for _, s := range c.SPP {
		if s < 1 {
			return fmt.Errorf("ldn: spp grids %v must be >= 1", c.SPP)
		}
	}
	if c.Ladder != nil && len(c.Ladder) != len(c.Blocks)-1 {
		return fmt.Errorf("ldn: ladder %v needs one width per skip (%d for %d blocks)", c.Ladder, len(c.Blocks)-1, len(c.Blocks))
	}
	for _, w := range c.Ladder {
		if w < 1 {
			return fmt.Errorf("ldn: ladder widths %v must be >= 1", c.Ladder)
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

var (
	k3 = nn.ConvSpec{K: 3, Stride: 1, Pad: 1}
	k1 = nn.ConvSpec{K: 1, Stride: 1}
)

// Encode is the DenseNet encoder: the output of every dense block but the
// last (the ladder's skips, 1/4 to 1/16), and the last block's features at
// 1/32 — in the torchvision layout after norm5 and a ReLU, as torchvision's
// DenseNet.forward has them before its pooling.
func (m *LDN) Encode(g *nn.Graph, x *G.Node) (skips []*G.Node, top *G.Node) {
	cfg := m.Config
	if cfg.Layout == LayoutResNet {
		return m.encodeResNet(g, x)
	}
	tv := cfg.Layout == LayoutTorchvision
	var h *G.Node
	if tv {
		h = g.Conv("enc.conv0", x, cfg.Stem, nn.ConvSpec{K: 7, Stride: 2, Pad: 3}, false)
		h = g.MaxPool(g.BNReLU("enc.norm0", h), 3, 2, 1)
	} else {
		h = g.Conv("enc.stem", x, cfg.Stem, nn.ConvSpec{K: 3, Stride: 2, Pad: 1}, false)
		h = g.AvgPool(g.BNReLU("enc.stem.bn", h), 2)
	}
	for b, layers := range cfg.Blocks {
		block, trans := fmt.Sprintf("enc.block%d", b), fmt.Sprintf("enc.block%d.trans", b)
		if tv {
			block, trans = fmt.Sprintf("enc.denseblock%d", b+1), fmt.Sprintf("enc.transition%d", b)
		}
		if b > 0 {
			skips = append(skips, h)
			c := max(1, int(float64(channels(g, h))*cfg.Compression))
			bn, conv := trans+".bn", trans
			if tv {
				bn, conv = trans+".norm", trans+".conv"
			}
			// torchvision pools 2x2 in floor mode, this in ceil mode: the
			// same for sizes divisible by 32.
			h = g.AvgPool(g.Conv(conv, g.BNReLU(bn, h), c, k1, false), 2)
		}
		names := make([]nn.DenseLayer, layers)
		for l := range names {
			ln := fmt.Sprintf("%s.layer%d", block, l)
			names[l] = nn.DenseLayer{Norm1: ln + ".bn1", Conv1: ln + ".conv1", Norm2: ln + ".bn2", Conv2: ln + ".conv2"}
			if tv {
				ln = fmt.Sprintf("%s.denselayer%d", block, l+1)
				names[l] = nn.DenseLayer{Norm1: ln + ".norm1", Conv1: ln + ".conv1", Norm2: ln + ".norm2", Conv2: ln + ".conv2"}
			}
		}
		h = g.DenseBlock(h, cfg.Growth, cfg.Bottleneck*cfg.Growth, names, cfg.Checkpoint)
	}
	if tv {
		h = g.BNReLU("enc.norm5", h)
	}
	return skips, h
}

// encodeResNet is torchvision's ResNet of basic blocks: the outputs of
// layer1..3 (the skips, 1/4 to 1/16) and of layer4 (1/32), each after its
// last block's ReLU.
func (m *LDN) encodeResNet(g *nn.Graph, x *G.Node) (skips []*G.Node, top *G.Node) {
	cfg := m.Config
	h := g.Conv("enc.conv1", x, cfg.Stem, nn.ConvSpec{K: 7, Stride: 2, Pad: 3}, false)
	h = g.MaxPool(g.BNReLU("enc.bn1", h), 3, 2, 1)
	for s, blocks := range cfg.Blocks {
		width := cfg.Stem << s
		if s > 0 {
			skips = append(skips, h)
		}
		for b := range blocks {
			name := fmt.Sprintf("enc.layer%d.%d", s+1, b)
			stride := 1
			if s > 0 && b == 0 {
				stride = 2
			}
			y := g.BNReLU(name+".bn1", g.Conv(name+".conv1", h, width, nn.ConvSpec{K: 3, Stride: stride, Pad: 1}, false))
			y = g.BN(name+".bn2", g.Conv(name+".conv2", y, width, k3, false))
			id := h
			if stride != 1 || channels(g, h) != width {
				id = g.BN(name+".downsample.1", g.Conv(name+".downsample.0", h, width, nn.ConvSpec{K: 1, Stride: stride}, false))
			}
			h = g.ReLU(g.Add(y, id))
		}
	}
	return skips, h
}

// Forward builds logits for images x [N,3,H,W]: at 1/4 of the input, or
// bilinearly upsampled to the input size when full is set (training
// against labels). Export uses the 1/4 logits: the engine upsamples them
// to the frame together with its post-processing.
func (m *LDN) Forward(g *nn.Graph, x *G.Node, full bool) *G.Node {
	cfg := m.Config
	skips, h := m.Encode(g, x)
	if cfg.Layout == "" { // the other layouts end in a ReLU
		h = g.BNReLU("up.context.bn", h)
	}
	var u *G.Node
	if len(cfg.SPP) > 0 {
		u = m.spp(g, h)
	} else {
		u = g.Conv("up.context", h, cfg.Up, k1, false)
	}
	// The ladder: from the deepest stage back up to 1/4.
	for i := len(skips) - 1; i >= 0; i-- {
		s := skips[i]
		name := fmt.Sprintf("up.stage%d", i)
		if g.Err() != nil {
			return nil
		}
		width := cfg.Up
		if cfg.Ladder != nil {
			width = cfg.Ladder[len(skips)-1-i]
		}
		lat := g.Conv(name+".lateral", g.BNReLU(name+".lateral.bn", s), channels(g, u), k1, false)
		u = g.Bilinear(u, s.Shape()[2], s.Shape()[3])
		u = g.Conv(name+".blend", g.BNReLU(name+".blend.bn", g.Add(u, lat)), width, k3, false)
	}
	logits := g.Conv("up.logits", g.BNReLU("up.logits.bn", u), cfg.Classes, k1, true)
	if full && g.Err() == nil {
		logits = g.Bilinear(logits, x.Shape()[2], x.Shape()[3])
	}
	return logits
}

// spp is spatial pyramid pooling over the activated last block h: a 1x1
// bottleneck, average pools to about g x g cells for each grid g, each
// projected, upsampled back and concatenated with the bottleneck, and a
// 1x1 fusion to the context width.
func (m *LDN) spp(g *nn.Graph, h *G.Node) *G.Node {
	up := m.Config.Up
	b := g.Conv("up.spp.bottleneck", h, 2*up, k1, false)
	if g.Err() != nil {
		return nil
	}
	bh, bw := b.Shape()[2], b.Shape()[3]
	levels := []*G.Node{b}
	for i, grid := range m.Config.SPP {
		name := fmt.Sprintf("up.spp.level%d", i)
		// Square windows, so that the pool is one op: about grid cells
		// along the longer side.
		p := g.AvgPool(b, max(1, (max(bh, bw)+grid-1)/grid))
		p = g.Conv(name, g.BNReLU(name+".bn", p), max(1, up/2), k1, false)
		levels = append(levels, g.Bilinear(p, bh, bw))
	}
	return g.Conv("up.spp.fuse", g.BNReLU("up.spp.fuse.bn", g.Concat(levels...)), up, k1, false)
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
