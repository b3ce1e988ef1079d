package train

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"osr/dataset"
	"osr/model"
	"osr/train/nn"
)

// The exported ONNX graph must compute what the Go network computes.
func TestExportMatchesGoForward(t *testing.T) {
	for _, in := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "instance-norm"}[in], func(t *testing.T) { testExport(t, in) })
	}
}

func testExport(t *testing.T, instanceNorm bool) {
	ds, err := dataset.Open("../testdata/camvid-mini")
	if err != nil {
		t.Fatal(err)
	}
	classes, _ := compactLabels(ds, ds.Protocol.OutlierIDs)
	cfg := DefaultSmallNet(len(classes))
	cfg.InstanceNorm = instanceNorm
	net, err := NewSmallNet(cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	samples, _ := ds.Samples("test")
	im, _, err := dataset.Load(samples[0])
	if err != nil {
		t.Fatal(err)
	}
	wk := newWorker(net)
	net.Prepare(im.Pix, false, wk.acts[0])
	goLogits := wk.forward()

	spec := model.Spec{Name: "t", Classes: make([]string, len(classes)), Palette: make([][3]uint8, len(classes)),
		Input:   model.Input{Name: "image", Layout: "NCHW", Width: 480, Height: 360, Mean: net.Cfg.Mean, Std: net.Cfg.Std},
		Output:  model.Output{Name: "logits"},
		Scoring: model.ScoreSpec{Kind: "msp", Temperature: 1, Threshold: 0.5}}
	for i := range spec.Classes {
		spec.Classes[i] = ds.Classes[classes[i]]
	}
	res := engineLogits(t, net.ExportONNX("test", nil), spec, im)
	// ORT's logits are upsampled to 480x360; upsample the Go logits the same
	// way (training's Resize) and compare.
	lh, lw := net.LogitSize()
	up := make([]float32, len(classes)*360*480)
	nn.NewResize(lh, lw, 360, 480).Forward(goLogits, len(classes), up)
	worst := 0.0
	for i := range up {
		worst = math.Max(worst, math.Abs(float64(up[i]-res.Logits[i])))
	}
	if worst > 1e-3 {
		t.Fatalf("ONNX logits differ from the Go forward pass by up to %g", worst)
	}
}

// A short training run on the fixture must lower the loss and produce a
// model package that loads and records how it was made.
func TestTrainSmallNetLearns(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for a few seconds")
	}
	// The fixture has one split; serve it as train and val as well.
	mini := t.TempDir()
	yaml, err := os.ReadFile("../testdata/camvid-mini/dataset.yaml")
	if err != nil {
		t.Fatal(err)
	}
	yaml = []byte(strings.Replace(string(yaml), "splits:\n", "splits:\n  train: test\n  val: test\n", 1))
	if err := os.WriteFile(filepath.Join(mini, "dataset.yaml"), yaml, 0o644); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs("../testdata/camvid-mini/test")
	if err := os.Symlink(abs, filepath.Join(mini, "test")); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "m")
	rep, err := TrainSmallNet(context.Background(), SmallNetOptions{Data: mini, Out: out, Epochs: 30, Batch: 2, LR: 3e-3, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("4 images, 30 epochs: loss %.3f -> %.3f, pixel accuracy %.3f, mIoU %.3f", rep.FirstLoss, rep.FinalLoss, rep.ValPixelAcc, rep.ValMIoU)
	if rep.TrainImages != 4 || rep.FinalLoss > 0.6*rep.FirstLoss || rep.ValPixelAcc < 0.6 {
		t.Fatalf("the network did not learn its 4 training images: %+v", rep)
	}
	pkg, err := model.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if pkg.Spec.Provenance.Metrics["val_miou_inliers"] == nil || pkg.Spec.Scoring.Threshold <= 0 || len(pkg.Spec.Classes) != 11 {
		t.Fatalf("model.yaml lacks metrics, threshold or classes: %+v", pkg.Spec)
	}
}
