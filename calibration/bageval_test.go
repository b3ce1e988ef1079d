package calibration

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"osr/bags"
	"osr/dataset"
	"osr/model"
	"osr/msgs"
)

func openBagEngine(t *testing.T) *model.Engine {
	t.Helper()
	pkg, err := model.Load("../models/camvid-so")
	if err != nil {
		t.Fatal(err)
	}
	opts := model.DefaultOptions()
	opts.Overrides.OpenSet = false
	e, err := model.NewEngine(pkg, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func same(t *testing.T, what string, a, b *float64) {
	t.Helper()
	if a == nil || b == nil || math.Abs(*a-*b) > 1e-9 {
		t.Errorf("%s: bag %v, dataset %v", what, deref(a), deref(b))
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// A dataset turned into a bag must measure exactly as the dataset does.
func TestBagEvalMatchesDatasetEval(t *testing.T) {
	eng := openBagEngine(t)
	ds, err := dataset.Open("../testdata/camvid-mini")
	if err != nil {
		t.Fatal(err)
	}
	want, err := Evaluate(context.Background(), eng, ds, EvalOptions{Split: "test", Protocol: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{".bag", ".mcap"} {
		path := filepath.Join(t.TempDir(), "mini"+ext)
		n, err := bags.FromDataset(context.Background(), ds, path, bags.FromDatasetOptions{Split: "test", Rate: 5})
		if err != nil || n != 4 {
			t.Fatalf("from-dataset: %d frames, %v", n, err)
		}
		res, err := EvaluateBag(context.Background(), eng, path, BagEvalOptions{ImageTopic: bags.DefaultImageTopic, LabelTopic: bags.DefaultLabelTopic, Protocol: "camvid-ood"})
		if err != nil {
			t.Fatal(err)
		}
		got := res.Report
		if res.Frames != 4 || got.Images != 4 || got.OutlierPixels != want.OutlierPixels || got.InlierPixels != want.InlierPixels {
			t.Fatalf("%s: %d frames, %d images, %d/%d pixels; dataset %d/%d", ext, res.Frames, got.Images, got.OutlierPixels, got.InlierPixels, want.OutlierPixels, want.InlierPixels)
		}
		same(t, ext+" AP", got.AP, want.AP)
		same(t, ext+" AUROC", got.AUROC, want.AUROC)
		same(t, ext+" FPR95", got.FPR95, want.FPR95)
		same(t, ext+" AP per image", got.APPerImage, want.APPerImage)
		if math.Abs(got.MIoU-want.MIoU) > 1e-12 {
			t.Errorf("%s mIoU %g, dataset %g", ext, got.MIoU, want.MIoU)
		}
	}
}

func TestBagEvalTimelineWithoutLabels(t *testing.T) {
	eng := openBagEngine(t)
	ds, err := dataset.Open("../testdata/camvid-mini")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "mini.bag")
	if _, err := bags.FromDataset(context.Background(), ds, path, bags.FromDatasetOptions{Split: "test", Rate: 2}); err != nil {
		t.Fatal(err)
	}
	res, err := EvaluateBag(context.Background(), eng, path, BagEvalOptions{ImageTopic: bags.DefaultImageTopic})
	if err != nil {
		t.Fatal(err)
	}
	tl := res.Timeline
	if tl == nil || tl.Frames != 4 || math.Abs(tl.Times[3]-1.5) > 1e-6 || tl.Max <= 0 || tl.Max > 1 {
		t.Fatalf("timeline %+v", tl)
	}
	dir := t.TempDir()
	if err := res.Write(dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"timeline.png", "timeline.csv", "timeline.json"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s not written: %v", f, err)
		}
	}
}

// Recorders write topics in arrival order: /dataset_info may follow the
// first label.
func TestBagEvalDatasetInfoAfterLabels(t *testing.T) {
	t0 := time.Unix(1700000000, 250000000)
	eng := openBagEngine(t)
	ds, err := dataset.Open("../testdata/camvid-mini")
	if err != nil {
		t.Fatal(err)
	}
	samples, _ := ds.Samples("test")
	im, lab, err := dataset.Load(samples[0])
	if err != nil {
		t.Fatal(err)
	}
	yaml, _ := os.ReadFile("../testdata/camvid-mini/dataset.yaml")
	path := filepath.Join(t.TempDir(), "late.bag")
	w, err := bags.CreateROS1(path, "none", 0)
	if err != nil {
		t.Fatal(err)
	}
	h := msgs.Header{Stamp: t0, FrameId: "camera"}
	for _, step := range []func() error{
		func() error {
			return w.Write(bags.DefaultLabelTopic, t0, msgs.Mono8Image(h, im.Width, im.Height, lab.Pix))
		},
		func() error { return w.Write(bags.DatasetInfoTopic, t0, &msgs.String{Data: string(yaml)}) },
		func() error {
			return w.Write(bags.DefaultImageTopic, t0, msgs.RGB8Image(h, im.Width, im.Height, im.Pix))
		},
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	res, err := EvaluateBag(context.Background(), eng, path, BagEvalOptions{ImageTopic: bags.DefaultImageTopic, LabelTopic: bags.DefaultLabelTopic, Protocol: "camvid-ood"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Frames != 1 || res.Report.OutlierPixels == 0 {
		t.Fatalf("frames %d, outlier pixels %d", res.Frames, res.Report.OutlierPixels)
	}
}
