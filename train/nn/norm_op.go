package nn

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"osr/internal/parallel"
)

// BatchNorm is one batch-normalisation layer's state: running statistics
// for evaluation, and the batch statistics of the last training forward
// pass, which its backward pass reuses.
type BatchNorm struct {
	Name            string
	C               int
	Momentum, Eps   float32
	Train           bool // batch statistics (and running-average updates) when set
	RunMean, RunVar []float32
}

// NewBatchNorm is a layer over c channels with running mean 0 and variance 1.
func NewBatchNorm(c int) *BatchNorm {
	bn := &BatchNorm{C: c, Momentum: 0.1, Eps: 1e-5, Train: true,
		RunMean: make([]float32, c), RunVar: make([]float32, c)}
	fill(bn.RunVar, 1)
	return bn
}

// Apply normalises x [N,C,H,W] per channel and applies the affine
// parameters gamma and beta [C].
func (bn *BatchNorm) Apply(x, gamma, beta *G.Node) (*G.Node, error) {
	return bn.apply(x, gamma, beta, false, true)
}

// ApplyReLU is Apply followed by a ReLU, fused: one pass forward, and a
// backward pass that masks dy on the fly instead of keeping and reading
// the normalised tensor and a separate ReLU gradient.
func (bn *BatchNorm) ApplyReLU(x, gamma, beta *G.Node) (*G.Node, error) {
	return bn.apply(x, gamma, beta, true, true)
}

// apply builds the op; without update, training-mode batch statistics
// leave the running averages alone (the second replica of a batch).
func (bn *BatchNorm) apply(x, gamma, beta *G.Node, relu, update bool) (*G.Node, error) {
	name := "batchnorm"
	if relu {
		name += "+relu"
	}
	o := &bnOp{op: newOp(name, 4, 4, 1, 1), bn: bn, relu: relu, update: update,
		mean: make([]float32, bn.C), invStd: make([]float32, bn.C)}
	return G.ApplyOp(o, x, gamma, beta)
}

type bnOp struct {
	op
	bn     *BatchNorm
	relu   bool
	update bool // update the running averages in training mode

	// The statistics the last forward pass used, for the backward pass.
	mean, invStd []float32

	// Per-channel Σg and Σg·x̂ (g = dy, masked by the ReLU), computed by
	// whichever of the three gradient ops runs first in a step.
	gen, sumGen uint64
	sdy, sdyx   []float64
	// masked is set when the sums also wrote the masked g into the dx
	// op's output, so that the dx pass reads g from there.
	masked bool
}

func (o *bnOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if _, c, _, _, err := shape4(in[0]); err != nil || c != o.bn.C {
		return nil, fmt.Errorf("batchnorm over %d channels: input %v", o.bn.C, in[0])
	}
	return in[0].(tensor.Shape).Clone(), nil
}

func (o *bnOp) Do(in ...G.Value) (G.Value, error) {
	n, c, h, w := dims(in[0])
	x := f32(in[0])
	o.bn.stats(x, n, h*w, o.update, o.mean, o.invStd)
	y := o.output(false, n, c, h, w)
	normalize(x, f32(in[1]), f32(in[2]), o.mean, o.invStd, f32(y), n, c, h*w, o.relu)
	o.gen++
	return y, nil
}

// stats sets mean and invStd: from x in training mode (updating the
// running averages when update is set), else from the running averages.
func (bn *BatchNorm) stats(x []float32, n, p int, update bool, mean, invStd []float32) {
	if bn.Train {
		bn.batchStats(x, n, p, update, mean, invStd)
		return
	}
	for ch := range bn.C {
		mean[ch] = bn.RunMean[ch]
		invStd[ch] = float32(1 / math.Sqrt(float64(bn.RunVar[ch]+bn.Eps)))
	}
}

// normalize is y = (x-mean)·invStd·gamma + beta, then a ReLU when relu is
// set, for x [n,c,p].
func normalize(x, gamma, beta, mean, invStd, yd []float32, n, c, p int, relu bool) {
	parallel.For(n*c, 4, func(lo, hi int) {
		for k := lo; k < hi; k++ {
			ch := k % c
			s := invStd[ch] * gamma[ch]
			t := beta[ch] - mean[ch]*s
			normRow(x[k*p:(k+1)*p], yd[k*p:(k+1)*p], s, t, relu)
		}
	})
}

// batchStats sets mean and invStd from x and, with update, updates the
// running averages (with the unbiased variance, as PyTorch and ONNX expect).
func (bn *BatchNorm) batchStats(x []float32, n, p int, update bool, means, invStd []float32) {
	m := float64(n * p)
	parallel.For(bn.C, 2, func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			var s, ss float64
			for i := range n {
				a, b := sumSquares(x[(i*bn.C+ch)*p : (i*bn.C+ch+1)*p])
				s, ss = s+a, ss+b
			}
			mean := s / m
			v := max(ss/m-mean*mean, 0)
			means[ch] = float32(mean)
			invStd[ch] = float32(1 / math.Sqrt(v+float64(bn.Eps)))
			if !update {
				continue
			}
			mo := bn.Momentum
			bn.RunMean[ch] = (1-mo)*bn.RunMean[ch] + mo*float32(mean)
			bn.RunVar[ch] = (1-mo)*bn.RunVar[ch] + mo*float32(v*m/max(m-1, 1))
		}
	})
}

func (o *bnOp) DiffWRT(n int) []bool { return trues(n) }

func (o *bnOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	res := make(G.Nodes, 3)
	for i, name := range []string{"dx", "dgamma", "dbeta"} {
		d := 1
		if i == 0 {
			d = 4
		}
		var err error
		res[i], err = G.ApplyOp(&bnGrad{op: newOp(o.name+"/"+name, d, 4, 1, 4, 4), fwd: o, which: i}, in[0], in[1], out, grad)
		if err != nil {
			return nil, err
		}
	}
	return res, nil
}

// bnGrad is one of the three gradients of batch normalisation (with its
// ReLU, when fused). Inputs: x, gamma, the forward output y, and dy.
type bnGrad struct {
	op
	fwd   *bnOp
	which int // 0 dx, 1 dgamma, 2 dbeta
}

func (o *bnGrad) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if o.which == 0 {
		return in[0].(tensor.Shape).Clone(), nil
	}
	return tensor.Shape{o.fwd.bn.C}, nil
}

// sums computes Σg and Σg·x̂ per channel once per forward pass. With the
// ReLU and dst (the dx op's output), it also writes g there.
func (f *bnOp) sums(x, y, dy []float32, n, c, p int, dst []float32) {
	if f.sumGen == f.gen {
		return
	}
	f.sumGen = f.gen
	f.masked = f.relu && dst != nil
	if !f.masked {
		dst = nil
	}
	f.sdy, f.sdyx = growF64(f.sdy, c), growF64(f.sdyx, c)
	bnSums(x, y, dy, f.mean, f.invStd, f.relu, n, c, p, f.sdy, f.sdyx, dst)
}

// bnSums sets sdy and sdyx to Σg and Σg·x̂ per channel, g being dy masked
// by the ReLU (whose output y is) when relu is set; with relu and out, it
// writes g into out.
func bnSums(x, y, dy, mean, invStd []float32, relu bool, n, c, p int, sdy, sdyx []float64, out []float32) {
	parallel.For(c, 2, func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			var a, b float64
			mu := mean[ch]
			for i := range n {
				off := (i*c + ch) * p
				xs, ys := x[off:off+p], y[off:off+p]
				var a32, b32 float32
				switch {
				case relu && out != nil:
					a32, b32 = maskedSums(dy[off:off+p], ys, xs, mu, out[off:off+p])
				case relu:
					a32, b32 = maskedSums(dy[off:off+p], ys, xs, mu, nil)
				default:
					a32, b32 = gradSums(dy[off:off+p], xs, mu)
				}
				a += float64(a32)
				b += float64(b32)
			}
			sdy[ch], sdyx[ch] = a, b*float64(invStd[ch])
		}
	})
}

func (o *bnGrad) Do(in ...G.Value) (G.Value, error) {
	n, c, h, w := dims(in[0])
	p := h * w
	x, gamma, y, dy := f32(in[0]), f32(in[1]), f32(in[2]), f32(in[3])
	f := o.fwd
	var dst []float32
	if o.which == 0 {
		dst = f32(o.output(false, n, c, h, w))
	}
	f.sums(x, y, dy, n, c, p, dst)
	switch o.which {
	case 1, 2:
		src := f.sdyx
		if o.which == 2 {
			src = f.sdy
		}
		d := o.output(false, c)
		for ch, v := range src {
			f32(d)[ch] = float32(v)
		}
		return d, nil
	}
	dx := o.output(false, n, c, h, w)
	bnDX(x, gamma, y, dy, f.mean, f.invStd, f.sdy, f.sdyx, f.bn.Train, f.relu, f.masked, n, c, p, f32(dx))
	return dx, nil
}

// bnDX is batch norm's input gradient from the sums of bnSums; with fixed
// statistics (evaluation mode) the layer is affine in x. With masked, dxd
// holds the ReLU-masked dy already (bnSums wrote it) and dy and y go unread.
func bnDX(x, gamma, y, dy, mean, invStd []float32, sdy, sdyx []float64, train, relu, masked bool, n, c, p int, dxd []float32) {
	m := float32(n * p)
	parallel.For(n*c, 4, func(lo, hi int) {
		for k := lo; k < hi; k++ {
			ch := k % c
			is := invStd[ch]
			s := gamma[ch] * is
			off := k * p
			xs, ys, gs, ds := x[off:off+p], y[off:off+p], dy[off:off+p], dxd[off:off+p]
			xs, ys, ds = xs[:len(gs)], ys[:len(gs)], ds[:len(gs)]
			var mdy, mdyx float32
			if train {
				mdy, mdyx = float32(sdy[ch])/m, float32(sdyx[ch])/m*is
			}
			// s·(g - mdy - (x-mean)·mdyx) = s·g + a·x + b
			a, b := -s*mdyx, s*(mean[ch]*mdyx-mdy)
			switch {
			case masked: // ds holds g already
				dxRow(ds, ds, xs, s, a, b)
			case relu:
				for j, g := range gs {
					ds[j] = s*reluMask(g, ys[j]) + a*xs[j] + b
				}
			default:
				dxRow(ds, gs, xs, s, a, b)
			}
		}
	})
}

func growF64(s []float64, n int) []float64 {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]float64, n)
}

// reluMask is g where the ReLU output y is positive, else 0, without a
// branch: ReLU masks are coin flips that a branch predictor loses. y is a
// ReLU output, so it is +0 or positive, and its bits are zero only at 0.
func reluMask(g, y float32) float32 {
	b := math.Float32bits(y)
	keep := uint32(int32(b|-b) >> 31) // all ones when b != 0
	return math.Float32frombits(math.Float32bits(g) & keep)
}
