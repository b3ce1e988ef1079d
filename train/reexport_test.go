package train

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"osr/internal/imageio"
	"osr/model"
)

// engineOn runs package dir on im with the logits kept.
func engineOn(t *testing.T, dir string, im model.Image) model.Result {
	t.Helper()
	pkg, err := model.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	o := model.DefaultOptions()
	o.Logits = true
	e, err := model.NewEngine(pkg, o)
	if err != nil {
		t.Skipf("ONNX Runtime: %v (bash scripts/setup.sh installs it)", err)
	}
	defer e.Close()
	var r model.Result
	if err := e.Run(im, &r); err != nil {
		t.Fatal(err)
	}
	r.Logits = append([]float32(nil), r.Logits...)
	return r
}

// The shipped model re-exported at its own size gives its logits bit for
// bit (the same weights and network); at the frame's size it reads a
// 480x360 frame without resizing and keeps the model.yaml but the size.
func TestReexportKeepsTheWeights(t *testing.T) {
	src := "../models/camvid-so"
	frame, err := imageio.ReadFile("../demo/camvid/0001TP_008550.jpg")
	if err != nil {
		t.Fatal(err)
	}
	small := model.Image{Width: 240, Height: 180, Pix: make([]uint8, 3*240*180)}
	for y := range 180 {
		for x := range 240 {
			copy(small.Pix[3*(y*240+x):], frame.Pix[3*(2*y*480+2*x):3*(2*y*480+2*x)+3])
		}
	}
	dir := t.TempDir()
	same := filepath.Join(dir, "same")
	if err := Reexport(src, same, 240, 180); err != nil {
		t.Fatal(err)
	}
	want, got := engineOn(t, src, small), engineOn(t, same, small)
	if len(got.Logits) != len(want.Logits) || len(want.Logits) == 0 {
		t.Fatalf("%d logits, want %d", len(got.Logits), len(want.Logits))
	}
	for i := range want.Logits {
		if got.Logits[i] != want.Logits[i] {
			t.Fatalf("logit %d: %g, the shipped model's %g", i, got.Logits[i], want.Logits[i])
		}
	}

	big := filepath.Join(dir, "camvid-so-480x360")
	if err := Reexport(src, big, 480, 360); err != nil {
		t.Fatal(err)
	}
	pkg, err := model.Load(big)
	if err != nil {
		t.Fatal(err)
	}
	orig, _ := model.Load(src)
	if pkg.Spec.Input.Width != 480 || pkg.Spec.Input.Height != 360 || pkg.Spec.Name != "camvid-so-480x360" {
		t.Errorf("spec input %dx%d name %s, want 480x360 camvid-so-480x360", pkg.Spec.Input.Width, pkg.Spec.Input.Height, pkg.Spec.Name)
	}
	if pkg.Spec.Scoring.Threshold != orig.Spec.Scoring.Threshold || len(pkg.Spec.Classes) != len(orig.Spec.Classes) {
		t.Errorf("scoring or classes changed: %+v", pkg.Spec.Scoring)
	}
	r := engineOn(t, big, frame)
	if r.Width != 480 || r.Height != 360 || len(r.Logits) != len(orig.Spec.Classes)*480*360 {
		t.Fatalf("result %dx%d with %d logits", r.Width, r.Height, len(r.Logits))
	}
	// The same weights at twice the resolution still see the road.
	agree := 0
	small2 := engineOn(t, src, frame)
	for i := range r.Labels {
		if r.Labels[i] == small2.Labels[i] {
			agree++
		}
	}
	if share := float64(agree) / float64(len(r.Labels)); share < 0.5 {
		t.Errorf("labels agree with the shipped model's on %.1f %% of the frame, want most", 100*share)
	}
}

// A package without the network's description, weights of another shape and a
// bad size are errors that say what is wrong.
func TestReexportErrors(t *testing.T) {
	dir := t.TempDir()
	if err := Reexport("../models/camvid-so", filepath.Join(dir, "x"), 0, 360); err == nil || !strings.Contains(err.Error(), "positive") {
		t.Errorf("size 0x360: %v", err)
	}
	pkg, err := model.Load("../models/camvid-so")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("../models/camvid-so/model.onnx")
	if err != nil {
		t.Fatal(err)
	}
	// writePackage writes the shipped model.onnx with spec beside it.
	writePackage := func(name string, spec model.Spec) string {
		d := filepath.Join(dir, name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, model.ONNXFile), data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := model.WriteSpec(d, spec); err != nil {
			t.Fatal(err)
		}
		return d
	}
	spec := pkg.Spec
	spec.Provenance.Config = nil
	noCfg := writePackage("nocfg", spec)
	if err := Reexport(noCfg, filepath.Join(dir, "y"), 480, 360); err == nil || !strings.Contains(err.Error(), "provenance.config.model") {
		t.Errorf("no provenance config: %v", err)
	}
	spec = pkg.Spec
	m := map[string]any{}
	for k, v := range spec.Provenance.Config["model"].(map[string]any) {
		m[k] = v
	}
	m["growth"] = 24
	spec.Provenance.Config = map[string]any{"model": m}
	wider := writePackage("wider", spec)
	if err := Reexport(wider, filepath.Join(dir, "z"), 480, 360); err == nil || !strings.Contains(err.Error(), "shape") {
		t.Errorf("growth 24 against a growth-16 ONNX: %v", err)
	}
}
