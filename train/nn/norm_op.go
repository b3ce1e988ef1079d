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
	mean, invStd    []float32
}

// NewBatchNorm is a layer over c channels with running mean 0 and variance 1.
func NewBatchNorm(c int) *BatchNorm {
	bn := &BatchNorm{C: c, Momentum: 0.1, Eps: 1e-5, Train: true,
		RunMean: make([]float32, c), RunVar: make([]float32, c),
		mean: make([]float32, c), invStd: make([]float32, c)}
	fill(bn.RunVar, 1)
	return bn
}

// Apply normalises x [N,C,H,W] per channel and applies the affine
// parameters gamma and beta [C].
func (bn *BatchNorm) Apply(x, gamma, beta *G.Node) (*G.Node, error) {
	return G.ApplyOp(&bnOp{op: newOp("batchnorm", 4, 4, 1, 1), bn: bn}, x, gamma, beta)
}

type bnOp struct {
	op
	bn *BatchNorm
}

func (o *bnOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if _, c, _, _, err := shape4(in[0]); err != nil || c != o.bn.C {
		return nil, fmt.Errorf("batchnorm over %d channels: input %v", o.bn.C, in[0])
	}
	return in[0].(tensor.Shape).Clone(), nil
}

func (o *bnOp) Do(in ...G.Value) (G.Value, error) {
	n, c, h, w := dims(in[0])
	p := h * w
	x, gamma, beta := f32(in[0]), f32(in[1]), f32(in[2])
	bn := o.bn
	if bn.Train {
		bn.batchStats(x, n, p)
	} else {
		for ch := range c {
			bn.mean[ch] = bn.RunMean[ch]
			bn.invStd[ch] = float32(1 / math.Sqrt(float64(bn.RunVar[ch]+bn.Eps)))
		}
	}
	y := o.output(false, n, c, h, w)
	yd := f32(y)
	parallel.For(n*c, 4, func(lo, hi int) {
		for k := lo; k < hi; k++ {
			ch := k % c
			s := bn.invStd[ch] * gamma[ch]
			t := beta[ch] - bn.mean[ch]*s
			src, dst := x[k*p:(k+1)*p], yd[k*p:(k+1)*p]
			for i, v := range src {
				dst[i] = v*s + t
			}
		}
	})
	return y, nil
}

// batchStats sets mean and invStd from x and updates the running averages
// (with the unbiased variance, as PyTorch and ONNX expect).
func (bn *BatchNorm) batchStats(x []float32, n, p int) {
	m := float64(n * p)
	parallel.For(bn.C, 2, func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			var s, ss float64
			for i := range n {
				for _, v := range x[(i*bn.C+ch)*p : (i*bn.C+ch+1)*p] {
					s += float64(v)
					ss += float64(v) * float64(v)
				}
			}
			mean := s / m
			v := max(ss/m-mean*mean, 0)
			bn.mean[ch] = float32(mean)
			bn.invStd[ch] = float32(1 / math.Sqrt(v+float64(bn.Eps)))
			mo := bn.Momentum
			bn.RunMean[ch] = (1-mo)*bn.RunMean[ch] + mo*float32(mean)
			bn.RunVar[ch] = (1-mo)*bn.RunVar[ch] + mo*float32(v*m/max(m-1, 1))
		}
	})
}

func (o *bnOp) DiffWRT(n int) []bool { return trues(n) }

func (o *bnOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	out := make(G.Nodes, 3)
	for i, name := range []string{"dx", "dgamma", "dbeta"} {
		d := 1
		if i == 0 {
			d = 4
		}
		var err error
		out[i], err = G.ApplyOp(&bnGrad{op: newOp("batchnorm/"+name, d, 4, 1, 4), bn: o.bn, which: i}, in[0], in[1], grad)
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// bnGrad is one of the three gradients of batch normalisation; each
// recomputes the per-channel sums it needs from x and dy, which is cheaper
// than keeping the normalised input.
type bnGrad struct {
	op
	bn        *BatchNorm
	which     int // 0 dx, 1 dgamma, 2 dbeta
	sdy, sdyx []float64
}

func (o *bnGrad) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if o.which == 0 {
		return in[0].(tensor.Shape).Clone(), nil
	}
	return tensor.Shape{o.bn.C}, nil
}

func (o *bnGrad) Do(in ...G.Value) (G.Value, error) {
	n, c, h, w := dims(in[0])
	p := h * w
	x, gamma, dy := f32(in[0]), f32(in[1]), f32(in[2])
	bn := o.bn
	// Per channel: Σdy and Σdy·x̂, with x̂ = (x-mean)·invStd.
	o.sdy, o.sdyx = growF64(o.sdy, c), growF64(o.sdyx, c)
	sdy, sdyx := o.sdy, o.sdyx
	parallel.For(c, 2, func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			var a, b float64
			for i := range n {
				off := (i*c + ch) * p
				xs := x[off : off+p]
				for j, g := range dy[off : off+p] {
					a += float64(g)
					b += float64(g) * float64(xs[j]-bn.mean[ch])
				}
			}
			sdy[ch], sdyx[ch] = a, b*float64(bn.invStd[ch])
		}
	})
	switch o.which {
	case 1:
		dg := o.output(false, c)
		for ch, v := range sdyx {
			f32(dg)[ch] = float32(v)
		}
		return dg, nil
	case 2:
		db := o.output(false, c)
		for ch, v := range sdy {
			f32(db)[ch] = float32(v)
		}
		return db, nil
	}
	dx := o.output(false, n, c, h, w)
	dxd := f32(dx)
	m := float32(n * p)
	parallel.For(n*c, 4, func(lo, hi int) {
		for k := lo; k < hi; k++ {
			ch := k % c
			is := bn.invStd[ch]
			off := k * p
			if !bn.Train {
				// Fixed statistics: the layer is affine in x.
				s := gamma[ch] * is
				for j, g := range dy[off : off+p] {
					dxd[off+j] = g * s
				}
				continue
			}
			mdy, mdyx := float32(sdy[ch])/m, float32(sdyx[ch])/m
			s := gamma[ch] * is
			xs := x[off : off+p]
			for j, g := range dy[off : off+p] {
				xh := (xs[j] - bn.mean[ch]) * is
				dxd[off+j] = s * (g - mdy - xh*mdyx)
			}
		}
	})
	return dx, nil
}

func growF64(s []float64, n int) []float64 {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]float64, n)
}
