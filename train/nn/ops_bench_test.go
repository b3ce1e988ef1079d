package nn

import (
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"osr/internal/cputime"
)

// benchGraph times forward and backward of build over one input of the
// given shape, as a training step runs them.
func benchGraph(b *testing.B, build func(x *G.Node) (*G.Node, error), shape ...int) {
	r := rand.New(rand.NewPCG(1, 2))
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float32, len(shape), G.WithShape(shape...), G.WithValue(randTensor(r, 1, shape...)), G.WithName("x"))
	loss, err := build(x)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := G.Grad(loss, x); err != nil {
		b.Fatal(err)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	cpu := cputime.Process()
	for b.Loop() {
		m.Reset()
		if err := m.RunAll(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((cputime.Process()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// BenchmarkSegLoss is the loss of one replica of the benchmark step:
// 2 images of 11 classes at 480x360.
func BenchmarkSegLoss(b *testing.B) {
	tg := &Targets{Labels: make([]uint8, 2*360*480)}
	for i := range tg.Labels {
		tg.Labels[i] = uint8(i % 11)
	}
	benchGraph(b, func(x *G.Node) (*G.Node, error) { return SegLoss(x, tg) }, 2, 11, 360, 480)
}

// BenchmarkBNReLU is a dense layer's batch norm and ReLU at 1/4 of a
// 480x360 crop, 2 images of 64 channels: forward and the three gradients.
func BenchmarkBNReLU(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	const n, c, h, w = 2, 64, 90, 120
	fwd := &bnOp{op: newOp("bn", 4, 4, 1, 1), bn: NewBatchNorm(c), relu: true, update: true,
		mean: make([]float32, c), invStd: make([]float32, c)}
	x, dy := randTensor(r, 1, n, c, h, w), randTensor(r, 1, n, c, h, w)
	gamma, beta := randTensor(r, 1, c), randTensor(r, 1, c)
	grads := make([]*bnGrad, 3)
	for i := range grads {
		grads[i] = &bnGrad{op: newOp("bn/d", 4, 4, 1, 4, 4), fwd: fwd, which: i}
	}
	cpu := cputime.Process()
	for b.Loop() {
		y, err := fwd.Do(x, gamma, beta)
		if err != nil {
			b.Fatal(err)
		}
		for _, g := range grads {
			if _, err := g.Do(x, gamma, y, dy); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64((cputime.Process()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// BenchmarkConvDenseLayer is a dense layer's 3x3 convolution (64 to 16
// channels) at 1/4 of a 480x360 crop, 2 images: forward and both
// gradients, as one replica runs them (one worker).
func BenchmarkConvDenseLayer(b *testing.B) { benchConv3x3(b, 64, 16) }

// BenchmarkConvBlend is the ladder's last blend (3x3, 64 to 64 channels) at
// 1/4 of a 480x360 crop, 2 images, as BenchmarkConvDenseLayer.
func BenchmarkConvBlend(b *testing.B) { benchConv3x3(b, 64, 64) }

func benchConv3x3(b *testing.B, c, out int) {
	r := rand.New(rand.NewPCG(5, 6))
	const n, h, w = 2, 90, 120
	ws := &Workspace{Workers: 1}
	s := ConvSpec{3, 1, 1}
	fwd := &convOp{op: newOp("conv", 4, 4, 4), spec: s, ws: ws}
	dx := &convDataGrad{op: newOp("conv/dx", 4, 4, 4, 4), spec: s, ws: ws}
	dw := &convFilterGrad{op: newOp("conv/dw", 4, 4, 4), spec: s, ws: ws, fwd: fwd}
	x, wt, dy := randTensor(r, 1, n, c, h, w), randTensor(r, 0.1, out, c, 3, 3), randTensor(r, 1, n, out, h, w)
	cpu := cputime.Process()
	for b.Loop() {
		if _, err := fwd.Do(x, wt); err != nil {
			b.Fatal(err)
		}
		if _, err := dx.Do(x, wt, dy); err != nil {
			b.Fatal(err)
		}
		if _, err := dw.Do(x, dy); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((cputime.Process()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/op")
	b.ReportMetric(3*2*float64(n*out*h*w*c*9)/1e9/((cputime.Process()-cpu).Seconds()/float64(b.N)), "GFLOP/cpu-s")
}

// BenchmarkAvgPool is the stem's 2x2 average pooling of one replica
// (2 images, 32 channels, 240x180 to 120x90), forward and backward.
func BenchmarkAvgPool(b *testing.B) {
	benchGraph(b, func(x *G.Node) (*G.Node, error) {
		y, err := AvgPool(x, 2)
		if err != nil {
			return nil, err
		}
		return G.Sum(y)
	}, 2, 32, 180, 240)
}

// BenchmarkConvStem is the stem's 3x3 stride-2 convolution (3 to 32
// channels, 480x360 to 240x180) of one replica, 2 images: forward and
// the weight gradient, each with its stride-2 im2col.
func BenchmarkConvStem(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 8))
	const n, c, h, w, out = 2, 3, 360, 480, 32
	ws := &Workspace{Workers: 1}
	s := ConvSpec{3, 2, 1}
	fwd := &convOp{op: newOp("conv", 4, 4, 4), spec: s, ws: ws}
	dw := &convFilterGrad{op: newOp("conv/dw", 4, 4, 4), spec: s, ws: ws, fwd: fwd}
	x, wt, dy := randTensor(r, 1, n, c, h, w), randTensor(r, 0.1, out, c, 3, 3), randTensor(r, 1, n, out, h/2, w/2)
	cpu := cputime.Process()
	for b.Loop() {
		if _, err := fwd.Do(x, wt); err != nil {
			b.Fatal(err)
		}
		if _, err := dw.Do(x, dy); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((cputime.Process()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}
