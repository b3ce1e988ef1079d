package train

import (
	"fmt"

	G "gorgonia.org/gorgonia"

	"osr/train/nn"
)

// Classifier is the VGG-style image classifier of the paper's image-wide
// experiments (Algorithm 1): per stage two 3x3 conv + BN + ReLU and a 2x2
// average pool, then global average pooling and a 1x1 layer to the class
// logits [N,K,1,1].
type Classifier struct {
	Classes, Channels int
	Widths            []int // channels per stage
	Store             *nn.Store
}

// NewClassifier is a classifier with parameters initialised from seed.
func NewClassifier(classes, channels int, widths []int, seed uint64) (*Classifier, error) {
	if classes < 2 || channels < 1 || len(widths) == 0 {
		return nil, fmt.Errorf("classifier: %d classes, %d channels, widths %v", classes, channels, widths)
	}
	return &Classifier{Classes: classes, Channels: channels, Widths: widths, Store: nn.NewStore(seed)}, nil
}

func (m *Classifier) logits(g *nn.Graph, x *G.Node) *G.Node {
	k3 := nn.ConvSpec{K: 3, Stride: 1, Pad: 1}
	h := x
	for s, w := range m.Widths {
		for l := range 2 {
			name := fmt.Sprintf("stage%d.conv%d", s, l)
			h = g.BNReLU(name+".bn", g.Conv(name, h, w, k3, false))
		}
		if s < len(m.Widths)-1 {
			h = g.AvgPool(h, 2)
		}
	}
	if g.Err() != nil {
		return nil
	}
	h = g.AvgPool(h, max(h.Shape()[2], h.Shape()[3]))
	return g.Conv("head", h, m.Classes, nn.ConvSpec{K: 1, Stride: 1}, true)
}

func (m *Classifier) store() *nn.Store { return m.Store }
func (m *Classifier) channels() int    { return m.Channels }
