package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// randTensor is a tensor of N(0, scale²) values.
func randTensor(r *rand.Rand, scale float64, shape ...int) *tensor.Dense {
	t := tensor.New(tensor.WithShape(shape...), tensor.Of(tensor.Float32))
	for i, d := 0, t.Float32s(); i < len(d); i++ {
		d[i] = float32(r.NormFloat64() * scale)
	}
	return t
}

// project turns a tensor into a scalar loss Σ y·p with a fixed random p, so
// that every output element gets a different gradient.
func project(r *rand.Rand, y *G.Node) (*G.Node, error) {
	p := G.NewTensor(y.Graph(), tensor.Float32, y.Dims(), G.WithShape(y.Shape()...),
		G.WithValue(randTensor(r, 1, y.Shape()...)), G.WithName("proj"))
	return G.Sum(G.Must(G.HadamardProd(y, p)))
}

// gradCheck builds loss = build(inputs) and compares gorgonia's gradient of
// every input with central differences at up to 12 random elements each.
func gradCheck(t *testing.T, seed uint64, build func(ins []*G.Node) (*G.Node, error), inputs ...*tensor.Dense) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 7))
	g := G.NewGraph()
	nodes := make([]*G.Node, len(inputs))
	for i, in := range inputs {
		nodes[i] = G.NewTensor(g, tensor.Float32, in.Dims(), G.WithShape(in.Shape()...), G.WithValue(in), G.WithName(fmt.Sprintf("in%d", i)))
	}
	loss, err := build(nodes)
	if err != nil {
		t.Fatal(err)
	}
	grads, err := G.Grad(loss, nodes...)
	if err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	run := func() float64 {
		m.Reset()
		if err := m.RunAll(); err != nil {
			t.Fatal(err)
		}
		return float64(scalar(loss.Value()))
	}
	run()
	analytic := make([][]float32, len(grads))
	for i, gr := range grads {
		analytic[i] = append([]float32(nil), f32(gr.Value())...)
	}
	for i, in := range inputs {
		d := in.Float32s()
		for range min(12, len(d)) {
			j := r.IntN(len(d))
			v := d[j]
			// A ReLU kink inside the step spoils a central difference and
			// float32 round-off spoils tiny steps: the best of three steps
			// must match.
			best, bestNum := math.Inf(1), 0.0
			for _, eps := range []float32{1e-2, 3e-3, 1e-3} {
				d[j] = v + eps
				lp := run()
				d[j] = v - eps
				lm := run()
				d[j] = v
				num := (lp - lm) / float64(2*eps)
				if e := math.Abs(float64(analytic[i][j])-num) / math.Max(1, math.Abs(num)); e < best {
					best, bestNum = e, num
				}
			}
			if best > 2e-2 {
				t.Errorf("input %d element %d: analytic %.5f, numeric %.5f", i, j, analytic[i][j], bestNum)
			}
		}
	}
}

func TestConvOpGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, s := range []ConvSpec{{3, 1, 1}, {3, 2, 1}, {1, 1, 0}, {2, 2, 0}, {3, 1, 0}, {2, 1, 1}} {
		for _, keep := range []bool{false, true} {
			ws := &Workspace{KeepColumns: keep}
			gradCheck(t, 3, func(in []*G.Node) (*G.Node, error) {
				y, err := Conv(ws, in[0], in[1], in[2], s)
				if err != nil {
					return nil, err
				}
				return project(r, y)
			}, randTensor(r, 1, 2, 3, 7, 6), randTensor(r, 0.5, 4, 3, s.K, s.K), randTensor(r, 1, 4))
		}
	}
	// Wide enough that a conv works in several row tiles.
	ws := &Workspace{}
	gradCheck(t, 4, func(in []*G.Node) (*G.Node, error) {
		y, err := Conv(ws, in[0], in[1], nil, ConvSpec{3, 1, 1})
		if err != nil {
			return nil, err
		}
		if rows := (geometry{ConvSpec: ConvSpec{3, 1, 1}, c: 16, h: 40, w: 64, oh: 40, ow: 64}).tileRows(); rows >= 40 {
			t.Fatalf("one tile of %d rows: the test does not cover tiling", rows)
		}
		return project(r, y)
	}, randTensor(r, 1, 2, 16, 40, 64), randTensor(r, 0.2, 3, 16, 3, 3))
}

func TestBatchNormGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 2))
	for _, c := range []struct{ train, relu bool }{{true, false}, {false, false}, {true, true}, {false, true}} {
		bn := NewBatchNorm(3)
		bn.Train = c.train
		apply := bn.Apply
		if c.relu {
			apply = bn.ApplyReLU
		}
		gradCheck(t, 5, func(in []*G.Node) (*G.Node, error) {
			y, err := apply(in[0], in[1], in[2])
			if err != nil {
				return nil, err
			}
			return project(r, y)
		}, randTensor(r, 2, 2, 3, 4, 5), randTensor(r, 1, 3), randTensor(r, 1, 3))
	}
}

func TestLayerGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 2))
	layers := map[string]func(x *G.Node) (*G.Node, error){
		"relu":      ReLU,
		"avgpool":   func(x *G.Node) (*G.Node, error) { return AvgPool(x, 2) },
		"maxpool":   func(x *G.Node) (*G.Node, error) { return MaxPool(x, 3, 2, 1) },
		"bilinear":  func(x *G.Node) (*G.Node, error) { return Bilinear(x, 9, 5) },
		"squeeze":   func(x *G.Node) (*G.Node, error) { return Squeeze(G.Must(Bilinear(x, 8, 6))) },
		"unsqueeze": func(x *G.Node) (*G.Node, error) { return Unsqueeze(G.Must(Squeeze(G.Must(Bilinear(x, 8, 6))))) },
		"slice":     func(x *G.Node) (*G.Node, error) { return SliceChannels(x, 1, 3) },
		"concat":    func(x *G.Node) (*G.Node, error) { return Concat(x, G.Must(SliceChannels(x, 0, 2)), x) },
	}
	for name, layer := range layers {
		t.Run(name, func(t *testing.T) {
			gradCheck(t, 7, func(in []*G.Node) (*G.Node, error) {
				y, err := layer(in[0])
				if err != nil {
					return nil, err
				}
				return project(r, y)
			}, randTensor(r, 1, 2, 4, 7, 5))
		})
	}
}

// The segmentation loss's test case: 2 images of 3x5 pixels, 4 classes;
// a sixth of the pixels each outlier and ignored, class weights and λ 0.3.
const segN, segK, segH, segW = 2, 4, 3, 5

func segLossCase(seed uint64) (*Targets, *tensor.Dense) {
	tg := &Targets{Labels: make([]uint8, segN*segH*segW), Weights: []float32{1, 2, 0.5, 1}, Lambda: 0.3}
	for i := range tg.Labels {
		tg.Labels[i] = []uint8{0, 1, 2, 3, LabelOutlier, LabelIgnore}[i%6]
	}
	return tg, randTensor(rand.New(rand.NewPCG(8, seed)), 1, segN, segK, segH, segW)
}

func TestSegLossGradientAndValue(t *testing.T) {
	const n, k, h, w = segN, segK, segH, segW
	tg, logits := segLossCase(2)
	gradCheck(t, 9, func(in []*G.Node) (*G.Node, error) { return SegLoss(in[0], tg) }, logits)

	// The value, pixel by pixel from the definitions.
	z := logits.Float32s()
	var ce, wsum, kl float64
	for q, l := range tg.Labels {
		img, px := q/(h*w), q%(h*w)
		lp := make([]float64, k)
		var sum float64
		for c := range k {
			sum += math.Exp(float64(z[(img*k+c)*h*w+px]))
		}
		for c := range k {
			lp[c] = float64(z[(img*k+c)*h*w+px]) - math.Log(sum)
		}
		switch {
		case l == LabelOutlier:
			for c := range k { // Σ u·log(u/p)
				kl += (math.Log(1.0/k) - lp[c]) / k
			}
		case l < k:
			ce -= float64(tg.Weights[l]) * lp[l]
			wsum += float64(tg.Weights[l])
		}
	}
	// The mean form, and the paper's sum form over the 25 counted pixels.
	for _, sum := range []bool{false, true} {
		tg.Sum = sum
		want := ce/wsum + 0.3*kl/5
		if sum {
			want = (ce + 0.3*kl) / 25
		}
		g := G.NewGraph()
		x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(n, k, h, w), G.WithValue(logits))
		loss := G.Must(SegLoss(x, tg))
		m := G.NewTapeMachine(g)
		if err := m.RunAll(); err != nil {
			t.Fatal(err)
		}
		m.Close()
		if got := float64(scalar(loss.Value())); math.Abs(got-want) > 1e-5 || tg.Outliers != 5 || tg.Inliers != 20 {
			t.Errorf("sum %v: loss %.6f, want %.6f (inliers %d, outliers %d)", sum, got, want, tg.Inliers, tg.Outliers)
		}
	}
}

// The sum form's gradient is the mean form's (checked against finite
// differences above), scaled per pixel: an inlier's by Σw / N, an
// outlier's by outliers / N, with N the counted pixels.
func TestSegLossSumGradient(t *testing.T) {
	const n, k, h, w = segN, segK, segH, segW
	tg, logits := segLossCase(3)
	grad := func(sum bool) []float32 {
		tg.Sum = sum
		_, g := segLossAndGrad(t, tg, logits)
		return g
	}
	mean, sum := grad(false), grad(true)
	wsum := 0.0
	for _, l := range tg.Labels {
		if l < k {
			wsum += float64(tg.Weights[l])
		}
	}
	const count, outliers = 25.0, 5.0
	for i := range mean {
		q := (i/(k*h*w))*h*w + i%(h*w)
		scale := 0.0
		switch l := tg.Labels[q]; {
		case l == LabelOutlier:
			scale = outliers / count
		case l < k:
			scale = wsum / count
		}
		if want := float64(mean[i]) * scale; math.Abs(float64(sum[i])-want) > 1e-6 {
			t.Fatalf("element %d (label %d): sum-form gradient %g, want %g", i, tg.Labels[q], sum[i], want)
		}
	}
}

func TestSqueezeLayout(t *testing.T) {
	g := G.NewGraph()
	in := tensor.New(tensor.WithShape(1, 1, 2, 4), tensor.WithBacking([]float32{0, 1, 2, 3, 4, 5, 6, 7}))
	x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(1, 1, 2, 4), G.WithValue(in))
	y := G.Must(Squeeze(x))
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	// Channel 2dy+dx holds the (dy, dx) phase of each 2x2 block.
	want := []float32{0, 2, 1, 3, 4, 6, 5, 7}
	for i, v := range f32(y.Value()) {
		if v != want[i] {
			t.Fatalf("squeeze = %v, want %v", f32(y.Value()), want)
		}
	}
}

// With each of the loss's 8 chunks longer than a block and chunks that
// cross images, the loss and its gradient match a per-pixel float64
// reference: mean CE over inliers, λ times mean KL(U‖P) over outliers.
func TestSegLossAcrossBlocks(t *testing.T) {
	const n, k, h, w, lambda = 3, 5, 61, 53, 0.3
	p := h * w
	if n*p/8 <= lossBlock || p%lossBlock == 0 {
		t.Fatalf("%d pixels per image, %d per chunk, do not span blocks of %d unevenly", p, n*p/8, lossBlock)
	}
	tg := &Targets{Labels: make([]uint8, n*p), Weights: []float32{1, 2, 0.5, 1, 3}, Lambda: lambda}
	for i := range tg.Labels {
		tg.Labels[i] = []uint8{0, 1, 2, 3, 4, LabelOutlier, LabelIgnore}[i%7]
	}
	logits := randTensor(rand.New(rand.NewPCG(8, 9)), 3, n, k, h, w)
	z := logits.Float32s()
	prob := make([]float64, len(z))
	var ce, wsum, kl float64
	outliers := 0
	for q, l := range tg.Labels {
		img, px := q/p, q%p
		var sum float64
		for c := range k {
			sum += math.Exp(float64(z[(img*k+c)*p+px]))
		}
		for c := range k {
			i := (img*k+c)*p + px
			prob[i] = math.Exp(float64(z[i])) / sum
			switch {
			case l == LabelOutlier:
				kl += (math.Log(1.0/k) - math.Log(prob[i])) / k
			case int(l) == c:
				ce -= float64(tg.Weights[l]) * math.Log(prob[i])
				wsum += float64(tg.Weights[l])
			}
		}
		if l == LabelOutlier {
			outliers++
		}
	}
	loss, grad := segLossAndGrad(t, tg, logits)
	if got, want := loss, ce/wsum+lambda*kl/float64(outliers); math.Abs(got-want) > 1e-5*want {
		t.Errorf("loss %.7f, want %.7f", got, want)
	}
	for i, d := range grad {
		q := (i/(k*p))*p + i%p
		c := (i / p) % k
		var want float64
		switch l := tg.Labels[q]; {
		case l == LabelOutlier:
			want = lambda / float64(outliers) * (prob[i] - 1.0/k)
		case int(l) < k:
			want = float64(tg.Weights[l]) / wsum * prob[i]
			if int(l) == c {
				want -= float64(tg.Weights[l]) / wsum
			}
		}
		if math.Abs(float64(d)-want) > 1e-6*math.Max(1e-3, math.Abs(want)) {
			t.Fatalf("gradient element %d (label %d, class %d) = %g, want %g", i, tg.Labels[q], c, d, want)
		}
	}
}

// segLossAndGrad is SegLoss of logits (N x K x H x W) and its gradient
// with respect to them, through a gorgonia graph.
func segLossAndGrad(t *testing.T, tg *Targets, logits *tensor.Dense) (float64, []float32) {
	t.Helper()
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(logits.Shape()...), G.WithValue(logits))
	loss := G.Must(SegLoss(x, tg))
	gr, err := G.Grad(loss, x)
	if err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	return float64(scalar(loss.Value())), append([]float32(nil), f32(gr[0].Value())...)
}
