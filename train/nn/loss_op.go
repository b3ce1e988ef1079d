package nn

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"osr/internal/parallel"
)

// Label codes beside class ids: pasted outlier pixels, and pixels that do
// not count.
const (
	LabelOutlier = 254
	LabelIgnore  = 255
)

// Targets are one step's labels for SegLoss, set before each run.
type Targets struct {
	Labels  []uint8   // N*H*W: class id, LabelOutlier or LabelIgnore
	Weights []float32 // per-class weights of the cross-entropy; nil = 1
	Lambda  float32   // weight of the outlier term
	// Sum weighs the summed KL against the summed (weighted) CE, as the
	// paper writes the loss, both over the counted pixels; otherwise λ
	// weighs the mean KL of the outlier pixels against the mean CE of the
	// inliers. Sum's λ = mean's λ × inliers / outliers.
	Sum bool

	// Results of the last forward pass.
	CE, KL            float64
	Inliers, Outliers int
}

// SegLoss is the paper's dense loss over logits [N,K,H,W]: the (weighted)
// mean cross-entropy over inlier pixels plus λ times the mean
// KL(Uniform ‖ softmax) over pasted outlier pixels. KL(U‖P) is
// -log K - (1/K)·Σ_k log p_k, whose gradient wrt the logits is p - 1/K.
func SegLoss(logits *G.Node, t *Targets) (*G.Node, error) {
	return G.ApplyOp(&segLoss{op: newOp("segloss", 0, 4), t: t}, logits)
}

type segLoss struct {
	op
	t       *Targets
	prob    []float32 // softmax kept for the backward pass
	wsum    float64
	count   float64      // inlier and outlier pixels, the sum form's divisor
	parts   [][3]float64 // per chunk: CE·w, Σw, KL
	counts  [][2]int
	scratch [][]float32 // per chunk: a block's maxima and sums
}

// lossBlock is how many pixels the loss takes at once, one class plane
// after the other.
const lossBlock = 512

func (o *segLoss) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if _, _, _, _, err := shape4(in[0]); err != nil {
		return nil, err
	}
	return tensor.ScalarShape(), nil
}

func (o *segLoss) Do(in ...G.Value) (G.Value, error) {
	n, k, h, w := dims(in[0])
	p := h * w
	t := o.t
	if len(t.Labels) != n*p {
		return nil, fmt.Errorf("segloss: %d labels for %d pixels", len(t.Labels), n*p)
	}
	z := f32(in[0])
	o.prob = grow(o.prob, len(z))
	const chunks = 8
	if len(o.parts) != chunks {
		o.parts, o.counts = make([][3]float64, chunks), make([][2]int, chunks)
	}
	logK := math.Log(float64(k))
	if len(o.scratch) != chunks {
		o.scratch = make([][]float32, chunks)
	}
	parallel.For(chunks, 2, func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			var part [3]float64
			var cnt [2]int
			o.scratch[ch] = grow(o.scratch[ch], 2*lossBlock)
			mx, sum := o.scratch[ch][:lossBlock], o.scratch[ch][lossBlock:]
			// Blocks of pixels within one image, each class plane read
			// and written in a row: per pixel, the planes are p apart.
			for q0, end := ch*n*p/chunks, (ch+1)*n*p/chunks; q0 < end; {
				img, px0 := q0/p, q0%p
				m := min(lossBlock, end-q0, p-px0)
				base := img*k*p + px0
				mx, sum := mx[:m], sum[:m]
				copy(mx, z[base:base+m])
				for c := 1; c < k; c++ {
					maxRow(mx, z[base+c*p:][:m])
				}
				clear(sum)
				for c := range k {
					expShifted(o.prob[base+c*p:][:m], z[base+c*p:], mx, sum)
				}
				for j, q := 0, q0; j < m; j, q = j+1, q+1 {
					lse := float64(mx[j]) + math.Log(float64(sum[j]))
					switch l := t.Labels[q]; {
					case l == LabelOutlier:
						var mean float64
						for c := range k {
							mean += float64(z[base+c*p+j])
						}
						part[2] += lse - mean/float64(k) - logK
						cnt[1]++
					case int(l) < k:
						wt := 1.0
						if t.Weights != nil {
							wt = float64(t.Weights[l])
						}
						part[0] += wt * (lse - float64(z[base+int(l)*p+j]))
						part[1] += wt
						cnt[0]++
					}
					sum[j] = 1 / sum[j]
				}
				for c := range k {
					mulRow(o.prob[base+c*p:][:m], sum)
				}
				q0 += m
			}
			o.parts[ch], o.counts[ch] = part, cnt
		}
	})
	var ce, wsum, kl float64
	t.Inliers, t.Outliers = 0, 0
	for i := range o.parts {
		ce, wsum, kl = ce+o.parts[i][0], wsum+o.parts[i][1], kl+o.parts[i][2]
		t.Inliers += o.counts[i][0]
		t.Outliers += o.counts[i][1]
	}
	o.wsum, o.count = wsum, float64(t.Inliers+t.Outliers)
	t.CE, t.KL = 0, 0
	if wsum > 0 {
		t.CE = ce / wsum
	}
	if t.Outliers > 0 {
		t.KL = kl / float64(t.Outliers)
	}
	if t.Sum {
		if o.count == 0 {
			return G.NewF32(0), nil
		}
		return G.NewF32(float32((ce + float64(t.Lambda)*kl) / o.count)), nil
	}
	return G.NewF32(float32(t.CE + float64(t.Lambda)*t.KL)), nil
}

func (o *segLoss) DiffWRT(int) []bool { return []bool{true} }

func (o *segLoss) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	dz, err := G.ApplyOp(&segLossGrad{op: newOp("segloss/dz", 4, 4, 0), fwd: o}, in[0], grad)
	return G.Nodes{dz}, err
}

type segLossGrad struct {
	op
	fwd *segLoss
}

func (o *segLossGrad) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	return in[0].(tensor.Shape).Clone(), nil
}

func (o *segLossGrad) Do(in ...G.Value) (G.Value, error) {
	n, k, h, w := dims(in[0])
	p := h * w
	f, t := o.fwd, o.fwd.t
	g := scalar(in[1])
	var ce, kl float32
	switch {
	case t.Sum && f.count > 0:
		ce, kl = g/float32(f.count), g*t.Lambda/float32(f.count)
	case t.Sum:
	default:
		if f.wsum > 0 {
			ce = g / float32(f.wsum)
		}
		if t.Outliers > 0 {
			kl = g * t.Lambda / float32(t.Outliers)
		}
	}
	dz := o.output(false, n, k, h, w)
	d := f32(dz)
	uni := 1 / float32(k)
	parallel.For(n*p, 4096, func(lo, hi int) {
		for q := lo; q < hi; q++ {
			img, px := q/p, q%p
			base := img*k*p + px
			switch l := t.Labels[q]; {
			case l == LabelOutlier:
				for c := range k {
					d[base+c*p] = kl * (f.prob[base+c*p] - uni)
				}
			case int(l) < k:
				s := ce
				if t.Weights != nil {
					s *= t.Weights[l]
				}
				for c := range k {
					d[base+c*p] = s * f.prob[base+c*p]
				}
				d[base+int(l)*p] -= s
			default:
				for c := range k {
					d[base+c*p] = 0
				}
			}
		}
	})
	return dz, nil
}
