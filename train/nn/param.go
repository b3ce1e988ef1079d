package nn

import (
	"math"
	"math/rand/v2"
)

// Param is a trainable tensor and its gradient, both flat.
type Param struct {
	Name  string
	Shape []int
	W, G  []float32
}

// NewParam allocates a zeroed parameter.
func NewParam(name string, shape ...int) *Param {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return &Param{Name: name, Shape: shape, W: make([]float32, n), G: make([]float32, n)}
}

// HeInit fills W with N(0, 2/fanIn), for layers followed by ReLU.
func (p *Param) HeInit(r *rand.Rand, fanIn int) {
	std := math.Sqrt(2 / float64(fanIn))
	for i := range p.W {
		p.W[i] = float32(r.NormFloat64() * std)
	}
}

// ZeroGrad clears the gradient.
func (p *Param) ZeroGrad() { clear(p.G) }
