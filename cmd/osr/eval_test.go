package main

import (
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const mini = "../../testdata/camvid-mini"

func TestEvalCommandWritesReport(t *testing.T) {
	out := t.TempDir()
	printed, err := runOSR(t, "eval", "--model", bundledModel, "--data", mini, "--split", "test", "--protocol", "camvid-ood", "--out", out)
	if err != nil {
		t.Fatalf("%v\n%s", err, printed)
	}
	data, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep map[string]any
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"miou", "ap", "fpr95", "auroc", "ap_per_image", "fpr95_per_image", "auroc_per_image", "per_class_iou", "images", "outlier_pixels"} {
		if _, ok := rep[k]; !ok {
			t.Errorf("report.json lacks %q", k)
		}
	}
	if rep["images"].(float64) != 4 {
		t.Errorf("images %v", rep["images"])
	}
	matches, _ := filepath.Glob(filepath.Join(out, "*"))
	names := strings.Join(matches, " ")
	for _, f := range []string{"report.md", "pr.png", "roc.png", "best_", "worst_"} {
		if !strings.Contains(names, f) {
			t.Errorf("%s not written: %s", f, names)
		}
	}
	if _, err := runOSR(t, "eval", "--model", bundledModel, "--data", mini, "--split", "test", "--protocol", "streethazards", "--out", out); err == nil {
		t.Error("unknown protocol accepted")
	}
}

func TestCalibrateCommandWritesModelYAML(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"model.yaml", "model.onnx"} {
		b, _ := os.ReadFile(filepath.Join(bundledModel, f))
		os.WriteFile(filepath.Join(dir, f), b, 0o644)
	}
	printed, err := runOSR(t, "calibrate", "--model", dir, "--data", mini, "--split", "test", "--protocol", "camvid-ood", "--kind", "msp", "--temperatures", "1,2")
	if err != nil {
		t.Fatalf("%v\n%s", err, printed)
	}
	yaml, _ := os.ReadFile(filepath.Join(dir, "model.yaml"))
	for _, want := range []string{"kind: msp", "nll_per_temperature", "target_tpr: 0.95", "split: test"} {
		if !strings.Contains(string(yaml), want) {
			t.Errorf("model.yaml lacks %q:\n%s", want, yaml)
		}
	}
	if !strings.Contains(printed, "<- chosen") {
		t.Errorf("no choice printed:\n%s", printed)
	}
}

func TestCalibrateRefusesBadKind(t *testing.T) {
	_, err := runOSR(t, "calibrate", "--model", bundledModel, "--data", mini, "--kind", "bogus", "--dry-run")
	if err == nil || !strings.Contains(err.Error(), "--kind") || !strings.Contains(err.Error(), "bogus") {
		t.Fatalf("calibrate --kind bogus: error %v does not name --kind and the value", err)
	}
}

func TestBagCommands(t *testing.T) {
	dir := t.TempDir()
	bag := filepath.Join(dir, "mini.bag")
	if printed, err := runOSR(t, "bag", "from-dataset", "--data", mini, "--split", "test", "--out", bag); err != nil {
		t.Fatalf("%v\n%s", err, printed)
	}
	printed, err := runOSR(t, "bag", "eval", bag, "--model", bundledModel, "--out", filepath.Join(dir, "tl"))
	if err != nil || !strings.Contains(printed, "outlier share: mean") {
		t.Fatalf("%v\n%s", err, printed)
	}
	if _, err := os.Stat(filepath.Join(dir, "tl", "timeline.png")); err != nil {
		t.Error(err)
	}
	if _, err := runOSR(t, "bag", "eval", filepath.Join(dir, "nope.txt"), "--model", bundledModel, "--out", dir); err == nil || !strings.Contains(err.Error(), ".bag") {
		t.Errorf("bad bag name: %v", err)
	}
}

func TestEvalCompareDrawsEveryReport(t *testing.T) {
	dir := t.TempDir()
	for _, score := range []string{"msp", "entropy"} {
		if out, err := runOSR(t, "eval", "--model", bundledModel, "--data", mini, "--split", "test", "--protocol", "camvid-ood",
			"--score", score, "--out", filepath.Join(dir, score)); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
	}
	cmp := filepath.Join(dir, "cmp")
	if out, err := runOSR(t, "eval", "compare", "--out", cmp, "max-softmax="+filepath.Join(dir, "msp"), filepath.Join(dir, "entropy", "report.json")); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	md, err := os.ReadFile(filepath.Join(cmp, "compare.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, score := range []string{"msp", "entropy"} {
		var rep struct {
			AP    float64 `json:"ap"`
			T     float64 `json:"temperature"`
			Curve []any   `json:"curve"`
		}
		b, _ := os.ReadFile(filepath.Join(dir, score, "report.json"))
		if err := json.Unmarshal(b, &rep); err != nil || len(rep.Curve) < 2 {
			t.Fatalf("%s report.json: curve of %d points, %v", score, len(rep.Curve), err)
		}
		name := map[string]string{"msp": "max-softmax", "entropy": "entropy"}[score]
		if row := fmt.Sprintf("| %s | %s | %g | %.2f |", name, score, rep.T, 100*rep.AP); !strings.Contains(string(md), row) {
			t.Errorf("compare.md lacks %q:\n%s", row, md)
		}
	}
	for _, f := range []string{"pr.png", "roc.png"} {
		fh, err := os.Open(filepath.Join(cmp, f))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(fh)
		fh.Close()
		if err != nil || img.Bounds().Dx() < 100 {
			t.Errorf("%s: %v", f, err)
		}
	}

	// A report without its curve (written before osr kept curves) is named.
	old := filepath.Join(dir, "old")
	os.MkdirAll(old, 0o755)
	b, _ := os.ReadFile(filepath.Join(dir, "msp", "report.json"))
	var m map[string]any
	json.Unmarshal(b, &m)
	delete(m, "curve")
	b, _ = json.Marshal(m)
	os.WriteFile(filepath.Join(old, "report.json"), b, 0o644)
	if out, err := runOSR(t, "eval", "compare", "--out", cmp, old); err == nil || !strings.Contains(out+err.Error(), `"old" has no curve`) {
		t.Errorf("report without a curve: %v\n%s", err, out)
	}
}
