package train

import (
	"osr/train/nn"
)

// worker holds one goroutine's activations and gradient buffers for
// SmallNet. Its convolutions share weights with the net but accumulate
// gradients privately, to be summed after each batch.
type worker struct {
	net    *SmallNet
	convs  []*nn.Conv2D
	states []nn.ConvState
	acts   [][]float32 // acts[0] is the input; acts[i+1] the output of conv i
	dacts  [][]float32
	up     *nn.Resize
	upOut  []float32
	dUp    []float32
}

func newWorker(n *SmallNet) *worker {
	wk := &worker{net: n, states: make([]nn.ConvState, len(n.Convs))}
	h, w := n.InputSize()
	wk.acts = append(wk.acts, make([]float32, 4*h*w))
	wk.dacts = append(wk.dacts, nil) // no gradient for the input
	for i, c := range n.Convs {
		cc := *c
		cc.Weight = &nn.Param{Name: c.Weight.Name, Shape: c.Weight.Shape, W: c.Weight.W, G: make([]float32, len(c.Weight.W))}
		cc.Bias = &nn.Param{Name: c.Bias.Name, Shape: c.Bias.Shape, W: c.Bias.W, G: make([]float32, len(c.Bias.W))}
		wk.convs = append(wk.convs, &cc)
		size := c.Out * n.h[i+1] * n.w[i+1]
		wk.acts = append(wk.acts, make([]float32, size))
		wk.dacts = append(wk.dacts, make([]float32, size))
	}
	lh, lw := n.LogitSize()
	wk.up = nn.NewResize(lh, lw, h, w)
	wk.upOut = make([]float32, n.Cfg.Classes*h*w)
	wk.dUp = make([]float32, n.Cfg.Classes*h*w)
	return wk
}

// forward runs the net on acts[0] and returns the logits.
func (wk *worker) forward() []float32 {
	last := len(wk.convs) - 1
	for i, c := range wk.convs {
		c.Forward(&wk.states[i], wk.acts[i], wk.net.h[i], wk.net.w[i], wk.acts[i+1])
		if i < last {
			nn.ReLUInPlace(wk.acts[i+1])
		}
	}
	return wk.acts[last+1]
}

// step runs forward and backward for one sample whose input is already in
// acts[0], accumulating parameter gradients. Labels are on the input grid.
func (wk *worker) step(labels []uint8, weights []float32) (float64, int) {
	logits := wk.forward()
	classes := wk.net.Cfg.Classes
	wk.up.Forward(logits, classes, wk.upOut)
	loss, n := nn.SoftmaxCrossEntropy(wk.upOut, labels, classes, weights, wk.dUp)
	if n == 0 {
		return 0, 0
	}
	last := len(wk.convs) - 1
	wk.up.Backward(wk.dUp, classes, wk.dacts[last+1])
	for i := last; i >= 0; i-- {
		if i < last {
			nn.ReLUBackward(wk.dacts[i+1], wk.acts[i+1])
		}
		wk.convs[i].Backward(&wk.states[i], wk.dacts[i+1], wk.net.h[i], wk.net.w[i], wk.dacts[i])
	}
	return loss, n
}

// gradsInto adds this worker's gradients to the net's and clears its own.
func (wk *worker) gradsInto(n *SmallNet) {
	for i, c := range wk.convs {
		addClear(n.Convs[i].Weight.G, c.Weight.G)
		addClear(n.Convs[i].Bias.G, c.Bias.G)
	}
}

func addClear(dst, src []float32) {
	for i, v := range src {
		dst[i] += v
	}
	clear(src)
}
