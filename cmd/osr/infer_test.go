package main

import (
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"osr/model"
)

const bundledModel = "../../models/camvid-so"

func runOSR(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newRootCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	stdout := os.Stdout
	r, w, _ := os.Pipe()
	os.Stdout = w
	err := cmd.Execute()
	w.Close()
	os.Stdout = stdout
	var printed bytes.Buffer
	printed.ReadFrom(r)
	return printed.String() + out.String(), err
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	im, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return im
}

func TestInferBundledModelOnCamVid(t *testing.T) {
	out := t.TempDir()
	frame := "../../demo/camvid/0001TP_008550.jpg"
	printed, err := runOSR(t, "infer", "--model", bundledModel, frame, "--out", out)
	if err != nil {
		t.Fatalf("infer: %v\n%s", err, printed)
	}
	if !strings.Contains(printed, "0001TP_008550.jpg 480x360") || !strings.Contains(printed, "ms") {
		t.Errorf("no timing line printed:\n%s", printed)
	}
	pkg, err := model.Load(bundledModel)
	if err != nil {
		t.Fatal(err)
	}
	classes := len(pkg.Spec.Classes)
	base := filepath.Join(out, "0001TP_008550")
	labels, ok := readPNG(t, base+"_labels.png").(*image.Gray)
	if !ok {
		t.Fatal("labels PNG is not 8-bit gray")
	}
	if _, ok := readPNG(t, base+"_score.png").(*image.Gray16); !ok {
		t.Fatal("score PNG is not 16-bit gray")
	}
	mask, ok := readPNG(t, base+"_mask.png").(*image.Gray)
	if !ok {
		t.Fatal("mask PNG is not 8-bit gray")
	}
	overlay := readPNG(t, base+"_overlay.png")
	for _, im := range []image.Image{labels, mask, overlay} {
		if b := im.Bounds(); b.Dx() != 480 || b.Dy() != 360 {
			t.Fatalf("output is %dx%d, want 480x360", b.Dx(), b.Dy())
		}
	}
	unknown := *pkg.Spec.Scoring.UnknownID
	counts := map[string]int{}
	for y := 0; y < 360; y++ {
		for x := 0; x < 480; x++ {
			l := int(labels.GrayAt(x, y).Y)
			m := mask.GrayAt(x, y).Y
			if l >= classes && l != unknown {
				t.Fatalf("label %d at (%d,%d) outside the %d classes", l, x, y, classes)
			}
			if m != 0 && m != 255 {
				t.Fatalf("mask value %d", m)
			}
			if l < classes {
				band := "middle"
				if y < 60 {
					band = "top"
				} else if y >= 300 {
					band = "bottom"
				}
				counts[band+"/"+pkg.Spec.Classes[l]]++
			}
		}
	}
	// A CamVid street scene: sky above, road below. A model that learned
	// nothing fails this.
	if counts["top/sky"]+counts["top/building"]+counts["top/tree"] < 480*60*7/10 {
		t.Errorf("top band is mostly not sky/building/tree: %v", counts)
	}
	if counts["bottom/road"]+counts["bottom/pavement"] < 480*60*6/10 {
		t.Errorf("bottom band is mostly not road/pavement: %v", counts)
	}
}

func TestInferBadImagesAreReportedAndTheRestGoOn(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	empty := filepath.Join(dir, "empty.jpg")
	os.WriteFile(empty, nil, 0o644)
	truncated := filepath.Join(dir, "truncated.jpg")
	data, err := os.ReadFile("../../demo/camvid/0001TP_008580.jpg")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(truncated, data[:len(data)/3], 0o644)
	gray := filepath.Join(dir, "gray.png")
	var b bytes.Buffer
	png.Encode(&b, image.NewGray16(image.Rect(0, 0, 200, 150)))
	os.WriteFile(gray, b.Bytes(), 0o644)
	good := "../../demo/camvid/0001TP_008580.jpg"
	printed, err := runOSR(t, "infer", "--model", bundledModel, empty, truncated, filepath.Join(dir, "missing.png"), gray, good, "--out", out)
	if err == nil || !strings.Contains(err.Error(), "3 of 5 images failed") {
		t.Fatalf("want '3 of 5 images failed', got %v\n%s", err, printed)
	}
	for _, name := range []string{"0001TP_008580_overlay.png", "gray_overlay.png", "gray_labels.png"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("good image output missing: %v", err)
		}
	}
	if b := readPNG(t, filepath.Join(out, "gray_labels.png")).Bounds(); b.Dx() != 200 || b.Dy() != 150 {
		t.Errorf("gray output %v, want its own 200x150", b)
	}
	if !strings.Contains(printed, "16-bit grayscale") {
		t.Errorf("conversion of the 16-bit image not reported:\n%s", printed)
	}
	if _, err := os.Stat(filepath.Join(out, "empty_overlay.png")); err == nil {
		t.Error("outputs written for an empty image")
	}
}

func TestInferMismatchedModelFailsClearly(t *testing.T) {
	dir := copyModel(t)
	yaml, err := os.ReadFile(filepath.Join(dir, "model.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "model.yaml"), bytes.Replace(yaml, []byte("name: logits"), []byte("name: scores"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = runOSR(t, "infer", "--model", dir, "../../demo/camvid/0001TP_008580.jpg", "--out", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), `output.name "scores"`) || !strings.Contains(err.Error(), "model.onnx") {
		t.Fatalf("want a mismatch error naming output.name and model.onnx, got %v", err)
	}
	os.Remove(filepath.Join(dir, "model.onnx"))
	_, err = runOSR(t, "infer", "--model", dir, "../../demo/camvid/0001TP_008580.jpg", "--out", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "model.onnx") {
		t.Fatalf("missing model.onnx: %v", err)
	}
}

func TestBenchJSON(t *testing.T) {
	printed, err := runOSR(t, "bench", "--model", bundledModel, "--frames", "3", "--rounds", "2", "--json", "--image", "../../demo/camvid/0001TP_008550.jpg")
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, printed)
	}
	// The node's default engine settings: the runtime does not spin.
	for _, key := range []string{`"ratio"`, `"raw_ms"`, `"e2e_ms"`, `"jpeg_e2e_ms"`, `"provider": "CPUExecutionProvider"`, `"spin": false`, `"device": "cpu"`} {
		if !strings.Contains(printed, key) {
			t.Errorf("bench JSON lacks %s:\n%s", key, printed)
		}
	}
	var r model.BenchResult
	if err := json.Unmarshal([]byte(printed[strings.Index(printed, "{"):]), &r); err != nil {
		t.Fatalf("%v\n%s", err, printed)
	}
	checkNodeRounds(t, r, 2)
}

// checkNodeRounds checks that the node figures are the medians of the
// rounds' figures (with two rounds, their means).
func checkNodeRounds(t *testing.T, r model.BenchResult, rounds int) {
	t.Helper()
	if len(r.Rounds) != rounds {
		t.Fatalf("%d rounds, want %d: %+v", len(r.Rounds), rounds, r)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, rd := range r.Rounds {
		if rd.RawMS <= 0 || math.Abs(rd.Ratio-rd.E2EMS/rd.RawMS) > 1e-9*rd.Ratio {
			t.Errorf("round %+v: ratio is not e2e / raw", rd)
		}
		lo, hi = min(lo, rd.Ratio), max(hi, rd.Ratio)
	}
	if r.Ratio < lo || r.Ratio > hi {
		t.Errorf("ratio %g outside the rounds' %g to %g", r.Ratio, lo, hi)
	}
}

// bench all's table has the node rows (the shipped model and the one at
// the frame's size) and the eval row, each with a ratio of two measured
// figures (the training row needs minutes; its parts are tested in package
// train).
func TestBenchAllJSON(t *testing.T) {
	printed, err := runOSR(t, "bench", "all", "--model", bundledModel, "--frames", "3", "--rounds", "3", "--passes", "1", "--skip-train", "--skip-cpu", "--json",
		"--image", "../../demo/camvid/0001TP_008550.jpg", "--data", mini, "--frame-model", "../../models/camvid-so-480x360")
	if err != nil {
		t.Fatalf("bench all: %v\n%s", err, printed)
	}
	var res benchAll
	if err := json.Unmarshal([]byte(printed[strings.Index(printed, "{"):]), &res); err != nil {
		t.Fatalf("%v\n%s", err, printed)
	}
	if len(res.Rows) != 3 || res.Eval.Images != 4 || res.Runtime == "" {
		t.Fatalf("rows %+v, eval %+v, runtime %q", res.Rows, res.Eval, res.Runtime)
	}
	// The node row is osr bench's result: its ratio the median round's.
	checkNodeRounds(t, *res.Inference, 3)
	if n := res.Rows[0]; n.Ratio != res.Inference.Ratio || n.OSR != res.Inference.E2EMS || n.Ref != res.Inference.RawMS || res.Inference.Spin {
		t.Errorf("node row %+v from %+v", n, *res.Inference)
	}
	fs := res.FrameSize
	if fs == nil || fs.Model != "camvid-so-480x360" || fs.Width != 480 || fs.Height != 360 {
		t.Fatalf("frame-size row %+v", fs)
	}
	checkNodeRounds(t, *fs, 3)
	if n := res.Rows[1]; n.Ratio != fs.Ratio || n.OSR != fs.E2EMS || n.Ref != fs.RawMS || !strings.Contains(n.Figure, "480x360 input") {
		t.Errorf("frame-size row %+v from %+v", n, *fs)
	}
	for _, r := range res.Rows[2:] { // the node rows' ratio is the median round's, checked above
		if r.OSR <= 0 || r.Ref <= 0 || math.Abs(r.Ratio-r.OSR/r.Ref) > 1e-3*r.Ratio {
			t.Errorf("row %+v: ratio is not osr / reference", r)
		}
	}
}

// bench all's CPU row runs a real osr node on ROS 1 at 10 Hz: the frames
// come back as masks and the node's CPU time is read from /proc.
func TestBenchAllNodeCPU(t *testing.T) {
	if _, err := exec.LookPath("roscore"); err != nil {
		t.Skip("roscore not installed (Debian ros-core)")
	}
	out, code := runBinary(t, nil, "bench", "all", "--model", bundledModel, "--frames", "3", "--rounds", "1", "--passes", "1",
		"--skip-train", "--cpu-window", "4s", "--json", "--image", "../../demo/camvid/0001TP_008550.jpg", "--data", mini, "--frame-model=")
	if code != 0 {
		t.Fatalf("bench all exited %d:\n%s", code, out)
	}
	var res benchAll
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{\n"):]), &res); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	nc := res.NodeCPU
	if nc == nil || nc.Skipped != "" || len(res.Rows) != 3 {
		t.Fatalf("node CPU %+v, rows %+v", nc, res.Rows)
	}
	if nc.FramesIn < 30 || nc.FramesOut < nc.FramesIn/2 || nc.CPUSec <= 0 || math.Abs(nc.Cores-nc.CPUSec/nc.Seconds) > 1e-9 {
		t.Errorf("node CPU %+v: want about 40 frames in, most of them out, and cores = CPU-s / s", *nc)
	}
	if r := res.Rows[1]; r.Unit != "cores" || r.OSR != nc.Cores || r.Ref <= 0 || math.Abs(r.Ratio-r.OSR/r.Ref) > 1e-9 {
		t.Errorf("CPU row %+v", r)
	}
}
