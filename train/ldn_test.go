package train

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"gopkg.in/yaml.v3"

	"osr/internal/atomicfile"
	"osr/model"
	"osr/train/nn"
)

func tinyLDN(t *testing.T) *LDN {
	t.Helper()
	m, err := NewLDN(LDNConfig{Classes: 5, Stem: 8, Growth: 4, Blocks: []int{1, 2, 1}, Bottleneck: 2, Compression: 0.5, Up: 8}, 1)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// The exported model, run by ONNX Runtime through the inference engine
// (with its post-processing head), gives the gorgonia forward pass's
// logits. The odd size exercises the ceil-mode pools and the ladder's
// resizes to uneven skip sizes.
func TestLDNExportMatchesONNXRuntime(t *testing.T) {
	m := tinyLDN(t)
	randomNorms(m, rand.New(rand.NewPCG(3, 4)))
	exportMatches(t, m, 50, 38, rand.New(rand.NewPCG(5, 6)))
}

// randomNorms gives batch norms random statistics and affine parameters,
// so that evaluation mode is not the identity.
func randomNorms(m *LDN, r *rand.Rand) {
	for _, bn := range m.Store.Norms {
		for i := range bn.RunMean {
			bn.RunMean[i] = float32(r.NormFloat64() * 0.3)
			bn.RunVar[i] = float32(0.5 + r.Float64())
		}
	}
	for _, prm := range m.Store.Params {
		if prm.Shape[0] == len(prm.W) { // gammas, betas, biases
			for i := range prm.W {
				prm.W[i] += float32(r.NormFloat64() * 0.2)
			}
		}
	}
}

// exportMatches checks that m exported at h x w and run by ONNX Runtime
// through the inference engine (with its post-processing head) gives the
// gorgonia forward pass's logits in evaluation mode.
func exportMatches(t *testing.T, m *LDN, h, w int, r *rand.Rand) {
	t.Helper()
	g := nn.NewGraph(m.Store)
	x, xv := g.Input("image", 1, 3, h, w)
	logits := m.Forward(g, x, true)
	p, err := nn.Compile(g, logits)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	m.Store.SetTrain(false)
	defer m.Store.SetTrain(true)

	im := model.Image{Width: w, Height: h, Pix: make([]uint8, 3*w*h)}
	for i := range im.Pix {
		im.Pix[i] = uint8(r.IntN(256))
	}
	mean, std := [3]float32{0.4, 0.45, 0.5}, [3]float32{0.25, 0.2, 0.3}
	d := xv.Float32s()
	for c := range 3 {
		for i := range w * h {
			d[c*w*h+i] = (float32(im.Pix[3*i+c])/255 - mean[c]) / std[c]
		}
	}
	if _, err := p.Run(); err != nil {
		t.Fatal(err)
	}
	goLogits := p.Output(0)

	onnx, err := m.ExportONNX(h, w, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	classes := make([]string, m.Config.Classes)
	for i := range classes {
		classes[i] = string(rune('a' + i))
	}
	spec := model.Spec{Name: "t", Classes: classes, Palette: make([][3]uint8, len(classes)),
		Input:   model.Input{Name: "image", Layout: "NCHW", Width: w, Height: h, Mean: mean, Std: std},
		Output:  model.Output{Name: "logits"},
		Scoring: model.ScoreSpec{Kind: "msp", Temperature: 1, Threshold: 0.5}}
	res := engineLogits(t, onnx, spec, im)
	if len(res.Logits) != len(goLogits) {
		t.Fatalf("ONNX Runtime gave %d logits, gorgonia %d", len(res.Logits), len(goLogits))
	}
	worst, scale := 0.0, 0.0
	for i := range goLogits {
		worst = math.Max(worst, math.Abs(float64(goLogits[i]-res.Logits[i])))
		scale = math.Max(scale, math.Abs(float64(goLogits[i])))
	}
	t.Logf("max |ORT - gorgonia| = %.2g over logits up to %.2g", worst, scale)
	if worst > 1e-4*math.Max(1, scale) || scale < 0.01 {
		t.Fatalf("ONNX logits differ from the gorgonia forward pass by up to %g (logits up to %g)", worst, scale)
	}
}

// The LDN-121 config itself (DenseNet-121 with checkpointed blocks, SPP,
// the paper's ladder) trains at a tiny size: a few Adam steps on one batch
// lower its loss; and its ONNX export, SPP and max pool included, gives
// the gorgonia forward pass.
func TestLDN121TrainsAndExports(t *testing.T) {
	trainsAndExports(t, LDN121(5))
}

// So does the SwiftNet-style ResNet-18 config, residual sums and strided
// downsampling included.
func TestResNet18TrainsAndExports(t *testing.T) {
	trainsAndExports(t, ResNet18(5))
}

func trainsAndExports(t *testing.T, cfg LDNConfig) {
	const h, w = 64, 96
	net, err := NewLDN(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	st, err := newSegStep(net, nil, 2, h, w, 1, false)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	enc, up := net.Groups()
	st.opt = nn.NewAdam([]nn.Group{{Params: enc, LR: 1e-3}, {Params: up, LR: 4e-3}}, 4, 1e-4)
	r := rand.New(rand.NewPCG(7, 7))
	for i := range st.Input {
		st.Input[i] = float32(r.NormFloat64())
	}
	for i := range st.Labels { // left half class 1, right half class 3
		st.Labels[i] = uint8(1 + 2*((i%w)*2/w))
	}
	var first, last float64
	for i := range 4 {
		loss, err := st.Run()
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = loss
		}
		last = loss
	}
	t.Logf("%s layout at %dx%d, batch 2: loss %.3f after one step, %.3f after four", cfg.Layout, w, h, first, last)
	if !(last < first) {
		t.Errorf("loss went from %g to %g in four steps on one batch", first, last)
	}
	exportMatches(t, net, h, w, r)
}

// The full-size shape builds: DenseNet-121's encoder (about 7 M weights)
// plus SPP and the 256/128/128 ladder, logits at 1/4.
func TestLDN121Builds(t *testing.T) {
	m, err := NewLDN(LDN121(19), 1)
	if err != nil {
		t.Fatal(err)
	}
	g := nn.NewGraph(m.Store)
	x, _ := g.Input("image", 1, 3, 96, 128)
	y := m.Forward(g, x, false)
	if err := g.Err(); err != nil {
		t.Fatal(err)
	}
	if s := y.Shape(); s[1] != 19 || s[2] != 24 || s[3] != 32 {
		t.Errorf("logits %v, want [1 19 24 32]", s)
	}
	enc, up := m.Groups()
	count := func(ps []*nn.Param) (n int) {
		for _, p := range ps {
			n += len(p.W)
		}
		return n
	}
	if e := count(enc); e < 6_500_000 || e > 7_500_000 {
		t.Errorf("encoder has %d weights, DenseNet-121 about 7 M", e)
	}
	t.Logf("LDN-121: encoder %d weights, upsampling path %d", count(enc), count(up))
}

// engineLogits writes a model package and runs one image through the
// inference engine (ONNX Runtime plus its post-processing head), returning
// the logits upsampled to the image.
func engineLogits(t *testing.T, onnx []byte, spec model.Spec, im model.Image) model.Result {
	t.Helper()
	dir := t.TempDir()
	if err := atomicfile.Write(filepath.Join(dir, model.ONNXFile), onnx); err != nil {
		t.Fatal(err)
	}
	if err := model.WriteSpec(dir, spec); err != nil {
		t.Fatal(err)
	}
	pkg, err := model.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	opts := model.DefaultOptions()
	opts.Logits, opts.Overrides.OpenSet = true, false
	eng, err := model.NewEngine(pkg, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	var res model.Result
	if err := eng.Run(im, &res); err != nil {
		t.Fatal(err)
	}
	return res
}

// config/camvid-ldn121.yaml is the LDN121 shape, config/camvid-resnet18.yaml
// the ResNet18 one, both at batch 4 at half resolution.
func TestLDN121ConfigFile(t *testing.T) {
	for file, want := range map[string]LDNConfig{"camvid-ldn121.yaml": LDN121(0), "camvid-resnet18.yaml": ResNet18(0)} {
		configIs(t, "../config/"+file, want)
	}
}

func configIs(t *testing.T, file string, model LDNConfig) {
	c, err := LoadConfig(file)
	if err != nil {
		t.Fatal(err)
	}
	m := c.Model
	if m.Layout == LayoutResNet { // the defaults' dense-block settings, which a ResNet ignores
		m.Growth, m.Bottleneck, m.Compression = 0, 0, 0
	}
	got, _ := yaml.Marshal(m)
	want, _ := yaml.Marshal(model)
	if string(got) != string(want) {
		t.Errorf("%s model:\n%s\nwant:\n%s", file, got, want)
	}
	if c.Batch != 4 || c.Scale != 0.5 {
		t.Errorf("%s: batch %d at scale %g, want 4 at half resolution", file, c.Batch, c.Scale)
	}
}
