package nn

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// DenseLayer names one dense layer's batch norms and convolutions.
type DenseLayer struct{ Norm1, Conv1, Norm2, Conv2 string }

// DenseBlock is a DenseNet block over x: each layer is BN-ReLU, a 1x1
// bottleneck convolution to width channels (none when width is 0),
// BN-ReLU and a 3x3 convolution to growth channels, applied to the
// concatenation of x and every earlier layer's output; the block's output
// is that concatenation after the last layer.
//
// Without checkpoint, and when tracing to ONNX, the layers are separate
// ops, each of whose outputs (and gradients) stays in memory: the
// concatenations and their normalised copies grow with the square of the
// block's depth. With checkpoint the block is one op that keeps only its
// output and each layer's bottleneck (the 1x1 convolution's output, linear
// in depth, kept so that no convolution runs twice) from the forward to
// the backward pass, as memory-efficient DenseNets do: each layer's
// concatenated input and normalised copies are scratch shared by every
// layer of the graph, which the backward pass recomputes from the output,
// layer by layer, with the forward pass's batch statistics.
func (g *Graph) DenseBlock(x *G.Node, growth, width int, layers []DenseLayer, checkpoint bool) *G.Node {
	if g.err != nil {
		return nil
	}
	if !checkpoint || g.onnx != nil {
		feats := []*G.Node{x}
		for _, l := range layers {
			y := g.BNReLU(l.Norm1, g.Concat(feats...))
			if width > 0 {
				y = g.BNReLU(l.Norm2, g.Conv(l.Conv1, y, width, ConvSpec{K: 1, Stride: 1}, false))
			}
			feats = append(feats, g.Conv(l.Conv2, y, growth, ConvSpec{K: 3, Stride: 1, Pad: 1}, false))
		}
		return g.Concat(feats...)
	}
	n, c, h, w, err := shape4(x.Shape())
	if g.Fail(err) {
		return nil
	}
	o := &denseOp{growth: growth, width: width, ws: g.WS, update: !g.NoStatUpdates}
	in := G.Nodes{x}
	// Parameters in the order the separate layers create them, so that a
	// seed gives the same network either way.
	for _, l := range layers {
		dl := denseLayer{norm1: newStats(g.Store.Norm(l.Norm1, c))}
		in = append(in, g.P(l.Norm1+".weight", Const(1), c), g.P(l.Norm1+".bias", Const(0), c))
		cin := c
		if width > 0 {
			in = append(in, g.P(l.Conv1+".weight", He(c), width, c, 1, 1))
			dl.norm2 = newStats(g.Store.Norm(l.Norm2, width))
			in = append(in, g.P(l.Norm2+".weight", Const(1), width), g.P(l.Norm2+".bias", Const(0), width))
			g.ConvFLOPs += 2 * float64(n*width*h*w) * float64(c)
			cin = width
		}
		in = append(in, g.P(l.Conv2+".weight", He(cin*9), growth, cin, 3, 3))
		g.ConvFLOPs += 2 * float64(n*growth*h*w) * float64(cin*9)
		o.layers = append(o.layers, dl)
		c += growth
	}
	if g.err != nil {
		return nil
	}
	dims := make([]int, len(in))
	for i, v := range in {
		dims[i] = v.Dims()
	}
	o.op = newOp(fmt.Sprintf("denseblock%d", len(layers)), 4, dims...)
	return g.Apply(func() (*G.Node, error) { return G.ApplyOp(o, in...) })
}

// denseLayer is one layer's batch norms and the statistics its forward
// pass used, which the backward pass's recomputation reuses.
type denseLayer struct{ norm1, norm2 bnStats }

type bnStats struct {
	bn           *BatchNorm
	train        bool // the forward pass used batch statistics
	mean, invStd []float32
	sdy, sdyx    []float64
}

func newStats(bn *BatchNorm) bnStats {
	return bnStats{bn: bn, mean: make([]float32, bn.C), invStd: make([]float32, bn.C),
		sdy: make([]float64, bn.C), sdyx: make([]float64, bn.C)}
}

type denseOp struct {
	op
	ws            *Workspace
	growth, width int
	update        bool
	layers        []denseLayer

	bottlenecks []float32 // every layer's 1x1 convolution output, [layer][n,width,h,w]

	gen, gradGen uint64
	grads        []*tensor.Dense // one per input, written by the first gradient op of a step
}

func (o *denseOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	n, c, h, w, err := shape4(in[0])
	if err != nil {
		return nil, err
	}
	return tensor.Shape{n, c + len(o.layers)*o.growth, h, w}, nil
}

// perLayer is how many parameter inputs each layer has.
func (o *denseOp) perLayer() int {
	if o.width > 0 {
		return 6 // gamma1, beta1, w1, gamma2, beta2, w2
	}
	return 3 // gamma1, beta1, w2
}

// layerParams are layer k's parameter inputs; w1, gamma2 and beta2 are nil
// without a bottleneck.
func (o *denseOp) layerParams(in []G.Value, k int) (g1, b1, w1, g2, b2, w2 []float32) {
	at := in[1+k*o.perLayer():]
	if o.width == 0 {
		return f32(at[0]), f32(at[1]), nil, nil, nil, f32(at[2])
	}
	return f32(at[0]), f32(at[1]), f32(at[2]), f32(at[3]), f32(at[4]), f32(at[5])
}

// Workspace scratch slots of a dense block.
const (
	slotCat = iota
	slotAct1
	slotAct2
	slotNew
	slotDOut
	slotDAct2
	slotDBottleneck
	slotDAct1
	slotDCat
)

func (o *denseOp) Do(in ...G.Value) (G.Value, error) {
	n, c0, h, w := dims(in[0])
	p, total := h*w, c0+len(o.layers)*o.growth
	y := o.output(false, n, total, h, w)
	out := f32(y)
	o.bottlenecks = grow(o.bottlenecks, len(o.layers)*n*o.width*p)
	copyChannels(out, total, 0, f32(in[0]), c0, 0, c0, n, p)
	for k := range o.layers {
		c := c0 + k*o.growth
		_, _, _, _, _, w2 := o.layerParams(in, k)
		a, cin := o.recompute(in, out, k, n, c, total, p, true)
		f := o.ws.slot(slotNew, n*o.growth*p)
		o.ws.convForward(newGeometry(ConvSpec{K: 3, Stride: 1, Pad: 1}, cin, h, w), n, o.growth, a, w2, nil, f, nil)
		copyChannels(out, total, c, f, o.growth, 0, o.growth, n, p)
	}
	o.gen++
	return y, nil
}

// recompute runs layer k up to its 3x3 convolution's input, which it
// returns with its channel count: from the first c channels of the block's
// output out, into scratch. The forward pass (stats set) takes batch
// statistics and keeps the bottleneck; the backward pass reuses both.
func (o *denseOp) recompute(in []G.Value, out []float32, k, n, c, total, p int, stats bool) ([]float32, int) {
	l := &o.layers[k]
	g1, b1, w1, g2, b2, _ := o.layerParams(in, k)
	cat := o.ws.slot(slotCat, n*c*p)
	copyChannels(cat, c, 0, out, total, 0, c, n, p)
	a1 := o.ws.slot(slotAct1, n*c*p)
	l.norm1.apply(cat, g1, b1, a1, n, p, stats && o.update, stats)
	if o.width == 0 {
		return a1, c
	}
	z := o.bottleneck(k, n, p)
	if stats {
		_, _, h, w := dims(in[0])
		o.ws.convForward(newGeometry(ConvSpec{K: 1, Stride: 1}, c, h, w), n, o.width, a1, w1, nil, z, nil)
	}
	a2 := o.ws.slot(slotAct2, n*o.width*p)
	l.norm2.apply(z, g2, b2, a2, n, p, stats && o.update, stats)
	return a2, o.width
}

// bottleneck is layer k's kept 1x1 convolution output.
func (o *denseOp) bottleneck(k, n, p int) []float32 {
	size := n * o.width * p
	return o.bottlenecks[k*size : (k+1)*size]
}

// apply is batch norm and ReLU of x into y, taking fresh statistics when
// stats is set and the ones kept from then otherwise.
func (s *bnStats) apply(x, gamma, beta, y []float32, n, p int, update, stats bool) {
	if stats {
		s.train = s.bn.Train
		s.bn.stats(x, n, p, update, s.mean, s.invStd)
	}
	normalize(x, gamma, beta, s.mean, s.invStd, y, n, s.bn.C, p, true)
}

// backward is the gradient of every input (the block's input and each
// layer's parameters) from dy, the gradient of the block's output: layer
// by layer from the last, each recomputed from the output and its
// gradient added into the gradient of the channels it read.
func (o *denseOp) backward(in []G.Value, out, dy []float32) {
	n, c0, h, w := dims(in[0])
	p, total := h*w, c0+len(o.layers)*o.growth
	if o.grads == nil {
		o.grads = make([]*tensor.Dense, len(in))
		for i, v := range in {
			o.grads[i] = tensor.New(tensor.WithShape(v.Shape().Clone()...), tensor.Of(tensor.Float32))
		}
	}
	grad := func(k, i int) []float32 { return f32(o.grads[1+k*o.perLayer()+i]) }
	d := o.ws.slot(slotDOut, len(dy))
	copy(d, dy)
	for k := len(o.layers) - 1; k >= 0; k-- {
		l := &o.layers[k]
		c := c0 + k*o.growth
		g1, _, w1, g2, _, w2 := o.layerParams(in, k)
		a, cin := o.recompute(in, out, k, n, c, total, p, false)
		df := o.ws.slot(slotNew, n*o.growth*p)
		copyChannels(df, o.growth, 0, d, total, c, c+o.growth, n, p)
		k3 := newGeometry(ConvSpec{K: 3, Stride: 1, Pad: 1}, cin, h, w)
		da := o.ws.slot(slotDAct2, n*cin*p)
		o.ws.convDW(k3, n, o.growth, a, df, nil, grad(k, o.perLayer()-1))
		o.ws.convDX(k3, n, o.growth, w2, df, da)
		if o.width > 0 {
			z := o.bottleneck(k, n, p)
			dz := o.ws.slot(slotDBottleneck, n*o.width*p)
			l.norm2.backward(z, g2, a, da, dz, grad(k, 3), grad(k, 4), n, p)
			a1 := o.ws.slot(slotAct1, n*c*p)
			k1 := newGeometry(ConvSpec{K: 1, Stride: 1}, c, h, w)
			o.ws.convDW(k1, n, o.width, a1, dz, nil, grad(k, 2))
			da = o.ws.slot(slotDAct1, n*c*p)
			o.ws.convDX(k1, n, o.width, w1, dz, da)
		}
		cat, a1 := o.ws.slot(slotCat, n*c*p), o.ws.slot(slotAct1, n*c*p)
		dcat := o.ws.slot(slotDCat, n*c*p)
		l.norm1.backward(cat, g1, a1, da, dcat, grad(k, 0), grad(k, 1), n, p)
		addChannels(d, total, dcat, c, n, p)
	}
	copyChannels(f32(o.grads[0]), c0, 0, d, total, 0, c0, n, p)
	o.gradGen = o.gen
}

// backward is batch norm and ReLU's gradient: dx from dy, and the affine
// parameters' gradients, as bnGrad computes them.
func (s *bnStats) backward(x, gamma, y, dy, dx, dgamma, dbeta []float32, n, p int) {
	c, sdy, sdyx := s.bn.C, s.sdy, s.sdyx
	bnSums(x, y, dy, s.mean, s.invStd, true, n, c, p, sdy, sdyx, nil)
	for ch := range c {
		dgamma[ch], dbeta[ch] = float32(sdyx[ch]), float32(sdy[ch])
	}
	bnDX(x, gamma, y, dy, s.mean, s.invStd, sdy, sdyx, s.train, true, false, n, c, p, dx)
}

func (o *denseOp) DiffWRT(n int) []bool { return trues(n) }

func (o *denseOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	res := make(G.Nodes, len(in))
	args := append(append(G.Nodes{}, in...), out, grad)
	dims := append(append([]int{}, o.in...), 4, 4)
	for i, x := range in {
		var err error
		res[i], err = G.ApplyOp(&denseGrad{op: newOp(fmt.Sprintf("%s/d%d", o.name, i), x.Dims(), dims...), fwd: o, which: i}, args...)
		if err != nil {
			return nil, err
		}
	}
	return res, nil
}

// denseGrad is the gradient of one input of a dense block; the first of a
// step to run computes them all. Inputs: the block's inputs, its output
// and the output's gradient.
type denseGrad struct {
	op
	fwd   *denseOp
	which int
}

func (o *denseGrad) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	return in[o.which].(tensor.Shape).Clone(), nil
}

func (o *denseGrad) Do(in ...G.Value) (G.Value, error) {
	f := o.fwd
	if f.grads == nil || f.gradGen != f.gen {
		k := len(in) - 2
		f.backward(in[:k], f32(in[k]), f32(in[k+1]))
	}
	return f.grads[o.which], nil
}

// slot is scratch slot i of at least n floats; its contents last until the
// slot is asked for again with a larger size.
func (ws *Workspace) slot(i, n int) []float32 {
	for len(ws.slots) <= i {
		ws.slots = append(ws.slots, nil)
	}
	if cap(ws.slots[i]) < n {
		ws.slots[i] = make([]float32, n)
	}
	return ws.slots[i][:n]
}

// copyChannels copies channels [lo, hi) of src [n,sc,p] to channels
// [at, at+hi-lo) of dst [n,dc,p].
func copyChannels(dst []float32, dc, at int, src []float32, sc, lo, hi, n, p int) {
	for i := range n {
		copy(dst[(i*dc+at)*p:(i*dc+at+hi-lo)*p], src[(i*sc+lo)*p:(i*sc+hi)*p])
	}
}

// addChannels adds src [n,c,p] into the first c channels of dst [n,dc,p].
func addChannels(dst []float32, dc int, src []float32, c, n, p int) {
	for i := range n {
		d := dst[i*dc*p : (i*dc+c)*p]
		for j, v := range src[i*c*p : (i+1)*c*p] {
			d[j] += v
		}
	}
}
