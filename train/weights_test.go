package train

import (
	"context"
	"encoding/binary"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"osr/train/nn"
)

// torchParity runs a parity script of testdata: a randomly initialised
// network in PyTorch, its weights as a state dict (zip and legacy format)
// and as ONNX, one input and the encoder's feature maps.
func torchParity(t *testing.T, script string, h, w int) (dir string, input []float32, feats [][]float32, shapes [][]int) {
	t.Helper()
	if exec.Command("/usr/bin/python3", "-c", "import torch").Run() != nil {
		t.Skipf("PyTorch not installed: apt-get install -y --no-install-recommends python3-torch (python3-torchvision optional) for %s", script)
	}
	dir = t.TempDir()
	out, err := exec.Command("/usr/bin/python3", "-B", "-W", "ignore", filepath.Join("testdata", script), dir, // -B: no __pycache__ in testdata
		strconv.Itoa(h), strconv.Itoa(w)).CombinedOutput()
	if err != nil {
		t.Fatalf("parity script: %v\n%s", err, out)
	}
	t.Logf("PyTorch network of %s from %s", script, strings.TrimSpace(string(out)))
	text, err := os.ReadFile(filepath.Join(dir, "shapes.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(text)), "\n") {
		var s []int
		for _, f := range strings.Fields(line) {
			d, _ := strconv.Atoi(f)
			s = append(s, d)
		}
		shapes = append(shapes, s)
	}
	input = readFloats(t, filepath.Join(dir, "input.bin"))
	all := readFloats(t, filepath.Join(dir, "features.bin"))
	for _, s := range shapes[1:] {
		n := s[0] * s[1] * s[2] * s[3]
		feats, all = append(feats, all[:n]), all[n:]
	}
	return dir, input, feats, shapes
}

func readFloats(t *testing.T, path string) []float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

// The LDN-121 encoder loaded from PyTorch's DenseNet-121 weights gives
// PyTorch's feature maps (denseblock1..3 and relu(norm5)), in evaluation
// mode, from the state dict in both of torch.save's formats (the legacy
// one with torchvision's old norm.1 names, as its ImageNet download is)
// and from the ONNX export's initializers.
func TestInitEncoderMatchesPyTorch(t *testing.T) {
	encoderParity(t, LDN121(5), "densenet121", 64, 64)
}

// The same for ResNet-18 (layer1..4), at a size whose stages are uneven.
func TestInitResNet18MatchesPyTorch(t *testing.T) {
	encoderParity(t, ResNet18(5), "resnet18", 64, 96)
}

// encoderParity loads the weights the parity script NAME_parity.py wrote
// into cfg's encoder, from each of the three files, and compares its
// feature maps with PyTorch's.
func encoderParity(t *testing.T, cfg LDNConfig, name string, h, w int) {
	dir, input, want, shapes := torchParity(t, name+"_parity.py", h, w)
	for _, file := range []string{name + ".pth", name + "_legacy.pth", name + ".onnx"} {
		t.Run(file, func(t *testing.T) {
			m, err := NewLDN(cfg, 9)
			if err != nil {
				t.Fatal(err)
			}
			g := nn.NewGraph(m.Store)
			x, xv := g.Input("image", 1, 3, h, w)
			skips, top := m.Encode(g, x)
			p, err := nn.Compile(g, append(skips, top)...)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			weights, err := ReadWeights(filepath.Join(dir, file))
			if err != nil {
				t.Fatal(err)
			}
			n, err := m.LoadEncoder(weights)
			if err != nil {
				t.Fatal(err)
			}
			m.Store.SetTrain(false)
			copy(xv.Float32s(), input)
			if _, err := p.Run(); err != nil {
				t.Fatal(err)
			}
			for i, ref := range want {
				got := p.Output(i)
				if len(got) != len(ref) {
					t.Fatalf("feature map %d: %d values, PyTorch's %v has %d", i, len(got), shapes[i+1], len(ref))
				}
				worst, scale := 0.0, 0.0
				for j := range ref {
					worst = math.Max(worst, math.Abs(float64(got[j]-ref[j])))
					scale = math.Max(scale, math.Abs(float64(ref[j])))
				}
				t.Logf("%d tensors; feature map %d %v: max |Go - PyTorch| = %.2g, values up to %.2g", n, i, shapes[i+1], worst, scale)
				if worst > 1e-4*math.Max(1, scale) || scale < 0.1 {
					t.Errorf("feature map %d %v differs from PyTorch's by %g (values up to %g)", i, shapes[i+1], worst, scale)
				}
			}
		})
	}
}

// tinyTorchvisionLDN is a small network in torchvision's DenseNet layout.
func tinyTorchvisionLDN(t *testing.T, seed uint64) *LDN {
	t.Helper()
	return builtLDN(t, LDNConfig{Classes: 5, Layout: LayoutTorchvision, Stem: 8, Growth: 4, Blocks: []int{1, 2, 1},
		Bottleneck: 2, Compression: 0.5, Up: 8, SPP: []int{2, 1}, Ladder: []int{8, 4}}, seed)
}

// builtLDN is a network of cfg with its parameters made by a forward
// graph at 64x64.
func builtLDN(t *testing.T, cfg LDNConfig, seed uint64) *LDN {
	t.Helper()
	m, err := NewLDN(cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	g := nn.NewGraph(m.Store)
	x, _ := g.Input("image", 1, 3, 64, 64)
	if m.Forward(g, x, false); g.Err() != nil {
		t.Fatal(g.Err())
	}
	return m
}

// exportFile writes m's ONNX export at 64x64 to a temporary file and
// returns its path.
func exportFile(t *testing.T, m *LDN) string {
	t.Helper()
	onnx, err := m.ExportONNX(64, 64, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "encoder.onnx")
	if err := os.WriteFile(path, onnx, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Encoder weights load by name from an ONNX file (here osr's own export)
// and from state-dict names; every missing or mis-shaped tensor, a network
// in osr's own layout and a file of neither format are errors that name
// the problem.
func TestLoadEncoderChecksNamesAndShapes(t *testing.T) {
	src, dst := tinyTorchvisionLDN(t, 1), tinyTorchvisionLDN(t, 2)
	src.Store.Norms[0].RunMean[0] = 0.75
	w, err := ReadWeights(exportFile(t, src))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dst.LoadEncoder(w); err != nil {
		t.Fatal(err)
	}
	for i, p := range dst.Store.Params {
		if len(p.Shape) != 4 { // gammas and betas start equal
			continue
		}
		same := maxDiff(p.W, src.Store.Params[i].W) == 0
		if enc := strings.HasPrefix(p.Name, "enc."); same != enc {
			t.Errorf("%s: loaded %v, want loaded only for the encoder", p.Name, same)
		}
	}
	if got := dst.Store.Norms[0].RunMean[0]; got != 0.75 {
		t.Errorf("%s running mean %g, want the file's 0.75", dst.Store.Norms[0].Name, got)
	}

	// The same tensors under torchvision's names.
	tv := map[string]Tensor{}
	for name, v := range w {
		tv["features."+strings.TrimPrefix(name, "enc.")] = v
	}
	if _, err := dst.LoadEncoder(tv); err != nil {
		t.Fatal(err)
	}
	const victim = "features.denseblock2.denselayer2.conv1.weight"
	bad := tv[victim]
	tv[victim] = Tensor{Shape: []int{bad.Shape[0], bad.Shape[1] + 1, 1, 1}, Data: make([]float32, len(bad.Data)+bad.Shape[0])}
	if _, err := dst.LoadEncoder(tv); err == nil || !strings.Contains(err.Error(), victim) || !strings.Contains(err.Error(), "shape") {
		t.Errorf("mis-shaped %s: err = %v", victim, err)
	}
	delete(tv, victim)
	if _, err := dst.LoadEncoder(tv); err == nil || !strings.Contains(err.Error(), "no tensor "+victim) {
		t.Errorf("missing %s: err = %v", victim, err)
	}
	const stat = "features.norm5.running_var"
	tv[victim] = bad
	delete(tv, stat)
	if _, err := dst.LoadEncoder(tv); err == nil || !strings.Contains(err.Error(), stat) {
		t.Errorf("missing %s: err = %v", stat, err)
	}

	if _, err := tinyLDN(t).LoadEncoder(w); err == nil || !strings.Contains(err.Error(), "layout: torchvision") {
		t.Errorf("osr layout: err = %v, want the layout named", err)
	}
	junk := filepath.Join(t.TempDir(), "junk.pth")
	os.WriteFile(junk, []byte("not weights at all"), 0o644)
	if _, err := ReadWeights(junk); err == nil || !strings.Contains(err.Error(), "neither a PyTorch state dict nor an ONNX model") {
		t.Errorf("junk file: err = %v", err)
	}
	empty := filepath.Join(t.TempDir(), "empty.pth")
	os.WriteFile(empty, nil, 0o644)
	if _, err := ReadWeights(empty); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty file: err = %v", err)
	}
}

// A run with Init starts its encoder from the file: after one step at a
// small learning rate its encoder weights are the file's but for the step,
// and its upsampling path is its own; for a DenseNet and a ResNet. Init
// with Resume is refused.
func TestRunInitStartsFromTheFile(t *testing.T) {
	for _, model := range []LDNConfig{
		{Layout: LayoutTorchvision, Stem: 8, Growth: 4, Blocks: []int{1, 2, 1}, Bottleneck: 2, Compression: 0.5, Up: 8, SPP: []int{2, 1}, Ladder: []int{8, 4}},
		{Layout: LayoutResNet, Stem: 4, Blocks: []int{1, 2, 1}, Up: 8, SPP: []int{2, 1}, Ladder: []int{8, 4}},
	} {
		t.Run(model.Layout, func(t *testing.T) { runInit(t, model) })
	}
}

func runInit(t *testing.T, model LDNConfig) {
	cfg := tinyConfig(t, 1)
	cfg.Model = model
	cfg.LR.Encoder, cfg.LR.Upsampling = 1e-4, 1e-4
	model.Classes = 5
	src, err := NewLDN(model, 77)
	if err != nil {
		t.Fatal(err)
	}
	file := exportFile(t, src)
	out := t.TempDir()
	var progress strings.Builder
	if _, err := Run(context.Background(), cfg, RunOptions{Out: out, Init: file, Progress: &progress}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(progress.String(), "encoder initialised from "+file) {
		t.Errorf("progress does not say where the encoder came from:\n%s", progress.String())
	}
	ck := loadParams(t, out)
	compared := 0
	for _, p := range src.Store.Params {
		got := ck.Params["seg/"+p.Name]
		if len(p.Shape) != 4 || len(got) != len(p.W) { // random conv weights tell runs apart; the logits differ in classes
			continue
		}
		compared++
		d := maxDiff(got, p.W)
		if enc := strings.HasPrefix(p.Name, "enc."); enc && d > 1e-2 || !enc && d < 1e-2 {
			t.Errorf("%s differs from the file's by %g after one step", p.Name, d)
		}
	}
	if compared < 10 {
		t.Errorf("only %d convolutions compared", compared)
	}
	if _, err := Run(context.Background(), cfg, RunOptions{Out: out, Init: file, Resume: true}); err == nil || !strings.Contains(err.Error(), "--resume") {
		t.Errorf("init with resume: err = %v", err)
	}
}

// A ResNet's encoder loads from torchvision's ResNet names (no
// "features."); a mis-shaped or missing tensor, a downsampling one
// included, is an error naming it, and DenseNet weights are refused with
// the first ResNet tensor they lack.
func TestLoadResNetChecksNamesAndShapes(t *testing.T) {
	src, dst := builtLDN(t, ResNet18(5), 1), builtLDN(t, ResNet18(5), 2)
	w, err := ReadWeights(exportFile(t, src))
	if err != nil {
		t.Fatal(err)
	}
	tv := map[string]Tensor{}
	for name, v := range w {
		if rest, ok := strings.CutPrefix(name, "enc."); ok {
			tv[rest] = v
		}
	}
	n, err := dst.LoadEncoder(tv)
	if err != nil {
		t.Fatal(err)
	}
	if n != 100 { // 20 convolutions, 20 batch norms of 4 tensors each
		t.Errorf("loaded %d tensors, ResNet-18 has 100", n)
	}
	for i, p := range dst.Store.Params {
		if strings.HasPrefix(p.Name, "enc.") && maxDiff(p.W, src.Store.Params[i].W) != 0 {
			t.Errorf("%s not loaded", p.Name)
		}
	}
	const victim = "layer3.0.downsample.0.weight"
	bad := tv[victim]
	tv[victim] = Tensor{Shape: []int{bad.Shape[0], bad.Shape[1] / 2, 1, 1}, Data: bad.Data[:len(bad.Data)/2]}
	if _, err := dst.LoadEncoder(tv); err == nil || !strings.Contains(err.Error(), victim) || !strings.Contains(err.Error(), "shape") {
		t.Errorf("mis-shaped %s: err = %v", victim, err)
	}
	delete(tv, victim)
	if _, err := dst.LoadEncoder(tv); err == nil || !strings.Contains(err.Error(), "no tensor "+victim) || !strings.Contains(err.Error(), "ResNet") {
		t.Errorf("missing %s: err = %v", victim, err)
	}
	if _, err := dst.LoadEncoder(map[string]Tensor{"features.conv0.weight": {Shape: []int{64, 3, 7, 7}}}); err == nil || !strings.Contains(err.Error(), "no tensor conv1.weight") {
		t.Errorf("DenseNet weights into a ResNet: err = %v", err)
	}
}
