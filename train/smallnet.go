package train

import (
	"fmt"
	"math"
	"math/rand/v2"

	"osr/internal/onnxgraph"
	"osr/train/nn"
)

// SmallNetConfig shapes SmallNet.
type SmallNetConfig struct {
	Width, Height int   // model input size
	Pool          int   // average-pooling factor applied to the image first
	Widths        []int // channels of each 3x3 conv (each followed by ReLU)
	Strides       []int // stride of each 3x3 conv
	Classes       int
	Mean, Std     [3]float32
	// InstanceNorm normalises each pooled colour channel by the image's own
	// mean and standard deviation, so that global brightness and contrast
	// (dusk, overcast) do not reach the network.
	InstanceNorm bool
}

// DefaultSmallNet is the configuration of the bundled CamVid model.
func DefaultSmallNet(classes int) SmallNetConfig {
	return SmallNetConfig{
		Width: 480, Height: 360, Pool: 4,
		Widths:  []int{32, 48, 64, 64, 64},
		Strides: []int{2, 1, 2, 1, 1},
		Classes: classes,
		Mean:    [3]float32{0.485, 0.456, 0.406},
		Std:     [3]float32{0.229, 0.224, 0.225},
	}
}

// SmallNet is a small fully convolutional segmenter for CPUs: the image is
// normalised and average-pooled, a row-coordinate channel is appended (road
// scenes are strongly ordered top to bottom), then 3x3 convolutions with
// ReLU and a 1x1 head give logits at low resolution. The engine upsamples
// them bilinearly to the input size.
type SmallNet struct {
	Cfg   SmallNetConfig
	Convs []*nn.Conv2D // hidden convs, then the 1x1 head
	h, w  []int        // spatial size entering each conv, and after the last
}

// NewSmallNet builds the network with He-initialised weights.
func NewSmallNet(cfg SmallNetConfig, seed uint64) (*SmallNet, error) {
	if len(cfg.Widths) == 0 || len(cfg.Widths) != len(cfg.Strides) {
		return nil, fmt.Errorf("smallnet: need one stride per conv width (got %d widths, %d strides)", len(cfg.Widths), len(cfg.Strides))
	}
	if cfg.Pool < 1 || cfg.Width%cfg.Pool != 0 || cfg.Height%cfg.Pool != 0 {
		return nil, fmt.Errorf("smallnet: pool %d must divide the input size %dx%d", cfg.Pool, cfg.Width, cfg.Height)
	}
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	n := &SmallNet{Cfg: cfg}
	in := 4
	h, w := cfg.Height/cfg.Pool, cfg.Width/cfg.Pool
	for i, out := range cfg.Widths {
		c := nn.NewConv2D(fmt.Sprintf("conv%d", i+1), in, out, 3, cfg.Strides[i], 1)
		c.Weight.HeInit(r, in*9)
		n.Convs = append(n.Convs, c)
		n.h, n.w = append(n.h, h), append(n.w, w)
		h, w = c.OutSize(h), c.OutSize(w)
		in = out
	}
	head := nn.NewConv2D("head", in, cfg.Classes, 1, 1, 0)
	head.Weight.HeInit(r, in)
	for i := range head.Weight.W {
		head.Weight.W[i] *= 0.5
	}
	n.Convs = append(n.Convs, head)
	n.h, n.w = append(n.h, h, h), append(n.w, w, w)
	return n, nil
}

// Params lists every trainable parameter.
func (n *SmallNet) Params() []*nn.Param {
	var ps []*nn.Param
	for _, c := range n.Convs {
		ps = append(ps, c.Weight, c.Bias)
	}
	return ps
}

// InputSize is the pooled input grid.
func (n *SmallNet) InputSize() (h, w int) { return n.h[0], n.w[0] }

// LogitSize is the logits grid.
func (n *SmallNet) LogitSize() (h, w int) { return n.h[len(n.h)-1], n.w[len(n.w)-1] }

// Prepare turns a packed RGB image of the model's input size into the
// network input [4, h, w]: normalised, pooled, plus the row coordinate in
// [-1, 1]. flip mirrors it horizontally.
func (n *SmallNet) Prepare(pix []uint8, flip bool, dst []float32) {
	cfg := n.Cfg
	p := cfg.Pool
	h, w := n.InputSize()
	inv := 1 / float32(p*p)
	for c := 0; c < 3; c++ {
		plane := dst[c*h*w : (c+1)*h*w]
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				s := 0
				for dy := 0; dy < p; dy++ {
					row := (y*p + dy) * cfg.Width
					for dx := 0; dx < p; dx++ {
						s += int(pix[3*(row+x*p+dx)+c])
					}
				}
				v := (float32(s)*inv/255 - cfg.Mean[c]) / cfg.Std[c]
				if flip {
					plane[y*w+w-1-x] = v
				} else {
					plane[y*w+x] = v
				}
			}
		}
	}
	if cfg.InstanceNorm {
		for c := 0; c < 3; c++ {
			instanceNorm(dst[c*h*w : (c+1)*h*w])
		}
	}
	copy(dst[3*h*w:4*h*w], rowCoord(h, w))
}

// instanceNormEps matches ONNX InstanceNormalization's default epsilon.
const instanceNormEps = 1e-5

func instanceNorm(plane []float32) {
	var sum, sq float64
	for _, v := range plane {
		sum += float64(v)
	}
	mean := sum / float64(len(plane))
	for _, v := range plane {
		d := float64(v) - mean
		sq += d * d
	}
	inv := 1 / math.Sqrt(sq/float64(len(plane))+instanceNormEps)
	for i, v := range plane {
		plane[i] = float32((float64(v) - mean) * inv)
	}
}

func rowCoord(h, w int) []float32 {
	c := make([]float32, h*w)
	for y := 0; y < h; y++ {
		v := (float32(y)+0.5)/float32(h)*2 - 1
		for x := 0; x < w; x++ {
			c[y*w+x] = v
		}
	}
	return c
}

// ExportONNX writes the network as an ONNX graph with input "image"
// [1,3,H,W] (normalised RGB) and output "logits" [1,C,h,w].
func (n *SmallNet) ExportONNX(doc string, meta map[string]string) []byte {
	cfg := n.Cfg
	g := &onnxgraph.Graph{Name: "smallnet"}
	x := g.Input(onnxgraph.Value{Name: "image", Type: onnxgraph.Float32, Shape: []int64{1, 3, int64(cfg.Height), int64(cfg.Width)}})
	p := int64(cfg.Pool)
	x = g.Op("AveragePool", []string{x}, onnxgraph.Ints("kernel_shape", p, p), onnxgraph.Ints("strides", p, p))
	if cfg.InstanceNorm {
		one := g.FloatTensor("in_scale", []int64{3}, []float32{1, 1, 1})
		zero := g.FloatTensor("in_bias", []int64{3}, []float32{0, 0, 0})
		x = g.Op("InstanceNormalization", []string{x, one, zero}, onnxgraph.Float("epsilon", instanceNormEps))
	}
	h, w := n.InputSize()
	coord := g.FloatTensor("row_coord", []int64{1, 1, int64(h), int64(w)}, rowCoord(h, w))
	x = g.Op("Concat", []string{x, coord}, onnxgraph.Int("axis", 1))
	for i, c := range n.Convs {
		wt := g.FloatTensor(c.Weight.Name, []int64{int64(c.Out), int64(c.In), int64(c.K), int64(c.K)}, c.Weight.W)
		b := g.FloatTensor(c.Bias.Name, []int64{int64(c.Out)}, c.Bias.W)
		attrs := []onnxgraph.Attr{
			onnxgraph.Ints("kernel_shape", int64(c.K), int64(c.K)),
			onnxgraph.Ints("strides", int64(c.Stride), int64(c.Stride)),
			onnxgraph.Ints("pads", int64(c.Pad), int64(c.Pad), int64(c.Pad), int64(c.Pad)),
		}
		if i == len(n.Convs)-1 {
			g.Node("Conv", []string{x, wt, b}, []string{"logits"}, attrs...)
			break
		}
		x = g.Op("Conv", []string{x, wt, b}, attrs...)
		x = g.Op("Relu", []string{x})
	}
	lh, lw := n.LogitSize()
	g.Output(onnxgraph.Value{Name: "logits", Type: onnxgraph.Float32, Shape: []int64{1, int64(cfg.Classes), int64(lh), int64(lw)}})
	return onnxgraph.Model{Producer: "osr", Version: "0.1", Doc: doc, Metadata: meta}.Encode(g)
}
