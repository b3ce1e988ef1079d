package calibration

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"osr/dataset"
	"osr/model"
)

const camvid = "../../shared/datasets/camvid"

func copyModel(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	for _, f := range []string{model.SpecFile, model.ONNXFile} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// Calibrating the shipped model on camvid val must keep the target share
// of val inlier pixels through the engine's in-graph mask (the node's
// mask), for both score kinds. On camvid test, a different set of
// sequences, the node's mask (the model's own kind, entropy) keeps it
// within 2 points; the other kind is measured and logged (camvid-so keeps
// 93.09 % with entropy, 92.89 % with MSP: docs/results.md).
func TestCalibrationOnCamVid(t *testing.T) {
	if _, err := os.Stat(filepath.Join(camvid, "dataset.yaml")); err != nil {
		t.Skipf("CamVid not found at %s (the shared datasets folder beside the checkout): %v", camvid, err)
	}
	if testing.Short() {
		t.Skip("runs the model over 668 CamVid images")
	}
	ds, err := dataset.Open(camvid)
	if err != nil {
		t.Fatal(err)
	}
	dir := copyModel(t, "../models/camvid-so")
	pkg, err := model.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	opts := model.DefaultOptions()
	opts.Spin = false
	opts.Logits, opts.Overrides.Temperature, opts.Overrides.OpenSet = true, 1, false
	eng, err := model.NewEngine(pkg, opts)
	if err != nil {
		t.Fatal(err)
	}
	cal, err := Calibrate(context.Background(), eng, ds, CalibrateOptions{Split: "val", Protocol: true, TargetTPR: 0.95})
	eng.Close()
	if err != nil {
		t.Fatal(err)
	}
	spec := pkg.Spec
	if err := cal.Apply(&spec, ""); err != nil {
		t.Fatal(err)
	}
	if err := model.WriteSpec(dir, spec); err != nil {
		t.Fatal(err)
	}
	pkg, err = model.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if pkg.Spec.Scoring.Calibration["split"] != "val" {
		t.Fatalf("model.yaml does not record the calibration data: %v", pkg.Spec.Scoring.Calibration)
	}
	for _, kind := range []string{"msp", "entropy"} {
		opts = model.DefaultOptions()
		opts.Spin = false
		opts.Overrides.OpenSet, opts.Overrides.Kind = false, kind
		if kind != pkg.Spec.Scoring.Kind { // the model's own kind comes from model.yaml
			opts.Overrides.Temperature, opts.Overrides.Threshold = cal.Kinds[kind].Temperature, cal.Kinds[kind].Threshold
		}
		eng, err = model.NewEngine(pkg, opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, split := range []string{"val", "test"} {
			rep, err := Evaluate(context.Background(), eng, ds, EvalOptions{Split: split, Protocol: true})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %s T=%g threshold %.4f: inlier TPR %.2f %%, AP %.2f %%, AUROC %.2f %%, FPR95 %.2f %%, mIoU %.2f %%",
				split, rep.Score, rep.Temperature, rep.Threshold, 100*rep.InlierTPR, 100**rep.AP, 100**rep.AUROC, 100**rep.FPR95, 100*rep.MIoU)
			d := math.Abs(rep.InlierTPR - 0.95)
			if split == "val" && d > 0.005 {
				t.Errorf("val, %s: inlier TPR %.2f %% through the engine's mask is %.2f points from the 95 %% target it was calibrated for", kind, 100*rep.InlierTPR, 100*d)
			}
			if split == "test" && kind == pkg.Spec.Scoring.Kind && d > 0.02 {
				t.Errorf("test, %s: inlier TPR %.2f %% at the val threshold is %.2f points from the 95 %% target (want within 2)", kind, 100*rep.InlierTPR, 100*d)
			}
		}
		eng.Close()
	}
}
