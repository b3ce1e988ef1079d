package model

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"osr/internal/onnxgraph"
)

// testNet is a tiny network for engine tests: a 1x1 convolution from RGB to
// logits at half resolution (AveragePool), so that the engine's in-graph
// upsampling runs too.
type testNet struct {
	classes, w, h int
	weights       []float32 // classes x 3
	bias          []float32
	pool          bool
}

func newTestNet(classes, w, h int, seed uint64) testNet {
	r := rand.New(rand.NewPCG(seed, 1))
	n := testNet{classes: classes, w: w, h: h, pool: true}
	for range classes * 3 {
		n.weights = append(n.weights, float32(r.NormFloat64()*2))
	}
	for range classes {
		n.bias = append(n.bias, float32(r.NormFloat64()))
	}
	return n
}

func (n testNet) onnx() []byte {
	g := &onnxgraph.Graph{Name: "test"}
	x := g.Input(onnxgraph.Value{Name: "image", Type: onnxgraph.Float32, Shape: []int64{1, 3, int64(n.h), int64(n.w)}})
	if n.pool {
		x = g.Op("AveragePool", []string{x}, onnxgraph.Ints("kernel_shape", 2, 2), onnxgraph.Ints("strides", 2, 2))
	}
	wt := g.FloatTensor("w", []int64{int64(n.classes), 3, 1, 1}, n.weights)
	b := g.FloatTensor("b", []int64{int64(n.classes)}, n.bias)
	g.Node("Conv", []string{x, wt, b}, []string{"logits"})
	lh, lw := n.h, n.w
	if n.pool {
		lh, lw = n.h/2, n.w/2
	}
	g.Output(onnxgraph.Value{Name: "logits", Type: onnxgraph.Float32, Shape: []int64{1, int64(n.classes), int64(lh), int64(lw)}})
	return onnxgraph.Model{Producer: "osr-test"}.Encode(g)
}

func (n testNet) spec() Spec {
	s := Spec{
		Name:       "test",
		Input:      Input{Name: "image", Layout: "NCHW", Width: n.w, Height: n.h, Mean: [3]float32{0.5, 0.5, 0.5}, Std: [3]float32{0.25, 0.25, 0.25}},
		Output:     Output{Name: "logits"},
		Scoring:    ScoreSpec{Kind: "msp", Temperature: 1, Threshold: 0.5},
		Provenance: Provenance{Method: "random test network", Data: "none"},
	}
	for i := range n.classes {
		s.Classes = append(s.Classes, "c"+string(rune('a'+i)))
		s.Palette = append(s.Palette, [3]uint8{uint8(40 * i), uint8(255 - 40*i), 100})
	}
	return s
}

func writePackage(t *testing.T, spec Spec, onnx []byte) string {
	t.Helper()
	dir := t.TempDir()
	if err := WriteSpec(dir, spec); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ONNXFile), onnx, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func openEngine(t testing.TB, dir string, opts Options) *Engine {
	t.Helper()
	e, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// Open of a directory without a model package says which directory.
func TestOpenNamesMissingPackage(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nomodel")
	if e, err := Open(dir, DefaultOptions()); err == nil || !strings.Contains(err.Error(), dir) {
		if e != nil {
			e.Close()
		}
		t.Fatalf("Open(%s): %v, want an error naming the directory", dir, err)
	}
}

func randomImage(w, h int, seed uint64) Image {
	r := rand.New(rand.NewPCG(seed, 2))
	im := Image{Width: w, Height: h, Pix: make([]uint8, 3*w*h)}
	for i := range im.Pix {
		im.Pix[i] = uint8(r.IntN(256))
	}
	return im
}

func TestEngineMatchesReference(t *testing.T) {
	net := newTestNet(5, 32, 24, 7)
	dir := writePackage(t, net.spec(), net.onnx())
	im := randomImage(32, 24, 3)
	for _, kind := range []string{"msp", "entropy"} {
		for _, temp := range []float64{1, 2, 10} {
			opts := DefaultOptions()
			opts.Spin = kind == "msp" // both session configurations
			opts.Overrides.Kind = kind
			opts.Overrides.Temperature = temp
			opts.Overrides.Threshold = 0.3
			e := openEngine(t, dir, opts)
			var out Result
			if err := e.Run(im, &out); err != nil {
				t.Fatal(err)
			}
			ref := referenceOutputs(t, net, im, Scoring{Kind: kind, Temperature: float32(temp), Threshold: 0.3, UnknownID: -1})
			checkAgainstReference(t, kind, temp, out, ref)
			e.Close()
		}
	}
}

func checkAgainstReference(t *testing.T, kind string, temp float64, out, ref Result) {
	t.Helper()
	mismatchLabels, mismatchMask := 0, 0
	for i := range ref.Score {
		if d := math.Abs(float64(out.Score[i] - ref.Score[i])); d > 1e-4 {
			t.Fatalf("%s T=%g: score[%d] = %g, reference %g", kind, temp, i, out.Score[i], ref.Score[i])
		}
		// Ties within float rounding may differ; count them instead of failing.
		if out.Labels[i] != ref.Labels[i] {
			mismatchLabels++
		}
		if out.Mask[i] != ref.Mask[i] && math.Abs(float64(ref.Score[i]-0.3)) > 1e-4 {
			mismatchMask++
		}
	}
	if mismatchLabels > len(ref.Labels)/500 || mismatchMask > 0 {
		t.Fatalf("%s T=%g: %d label and %d mask mismatches against the reference", kind, temp, mismatchLabels, mismatchMask)
	}
}

func TestEngineRejectsMismatch(t *testing.T) {
	net := newTestNet(4, 16, 16, 1)
	cases := []struct {
		name string
		edit func(*Spec)
		want string
	}{
		{"classes", func(s *Spec) { s.Classes = append(s.Classes, "x"); s.Palette = append(s.Palette, [3]uint8{}) }, "model.yaml lists 5 classes"},
		{"input name", func(s *Spec) { s.Input.Name = "img" }, `input.name "img" is not a graph input`},
		{"output name", func(s *Spec) { s.Output.Name = "scores" }, `output.name "scores" is not a graph output`},
		{"input size", func(s *Spec) { s.Input.Width = 32 }, "want [1 3 16 32]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := net.spec()
			c.edit(&s)
			dir := writePackage(t, s, net.onnx())
			pkg, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			e, err := NewEngine(pkg, DefaultOptions())
			if err == nil {
				e.Close()
				t.Fatal("NewEngine accepted a mismatched package")
			}
			for _, want := range []string{c.want, "model.onnx", "model.yaml"} {
				if !strings.Contains(err.Error(), want) {
					t.Fatalf("error %q does not mention %q", err, want)
				}
			}
		})
	}
}

func TestEngineCorruptONNX(t *testing.T) {
	net := newTestNet(4, 16, 16, 1)
	dir := writePackage(t, net.spec(), []byte("this is not protobuf"))
	pkg, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if e, err := NewEngine(pkg, DefaultOptions()); err == nil {
		e.Close()
		t.Fatal("NewEngine accepted a corrupt model.onnx")
	} else if !strings.Contains(err.Error(), "model.onnx") {
		t.Fatalf("error %q does not name model.onnx", err)
	}
}
