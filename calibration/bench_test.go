package calibration

import (
	"context"
	"os"
	"testing"

	"osr/dataset"
	"osr/internal/cputime"
	"osr/model"
)

// BenchmarkEvaluate is osr eval's path (decode, run, metrics, extremes) on
// the bundled mini split; osr bench all reports the same as pixels/s.
func BenchmarkEvaluate(b *testing.B) {
	eng, ds := openMini(b, mini)
	b.ResetTimer()
	for b.Loop() {
		rep, err := Evaluate(context.Background(), eng, ds, EvalOptions{Split: "test", Protocol: true})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(rep.PixelsPerSecond/1e6, "Mpixel/s")
	}
}

// BenchmarkEvaluateVal is the same over the camvid val split (101 images)
// beside the checkout, or at $OSR_CAMVID.
func BenchmarkEvaluateVal(b *testing.B) {
	dir := camvid
	if d := os.Getenv("OSR_CAMVID"); d != "" {
		dir = d
	}
	if _, err := os.Stat(dir); err != nil {
		b.Skip("no camvid dataset at " + dir + " (set OSR_CAMVID)")
	}
	eng, ds := openMini(b, dir)
	cpu, images := cputime.Process(), 0
	for b.Loop() {
		rep, err := Evaluate(context.Background(), eng, ds, EvalOptions{Split: "val", Protocol: true})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(rep.PixelsPerSecond/1e6, "Mpixel/s")
		images += rep.Images
	}
	b.ReportMetric(float64((cputime.Process()-cpu).Microseconds())/1e3/float64(images), "cpu-ms/image")
}

// BenchmarkEvaluatorAdd is the metrics of osr eval alone: Evaluator.Add
// on the engine's outputs for 16 camvid val images (or the mini split's
// 4), one image per op.
func BenchmarkEvaluatorAdd(b *testing.B) {
	dir, split := camvid, "val"
	if _, err := os.Stat(dir); err != nil {
		dir, split = mini, "test"
	}
	eng, ds := openMini(b, dir)
	samples, err := ds.Samples(split)
	if err != nil {
		b.Fatal(err)
	}
	lm := NewLabelMap(ds, eng.Spec().Classes, ds.Protocol.OutlierIDs)
	type image struct {
		gt  []uint8
		res model.Result
	}
	var ims []image
	for _, s := range samples[:min(16, len(samples))] {
		rgb, lab, err := dataset.Load(s)
		if err != nil {
			b.Fatal(err)
		}
		var im image
		if err := eng.Run(rgb, &im.res); err != nil {
			b.Fatal(err)
		}
		im.gt = make([]uint8, len(lab.Pix))
		lm.Apply(im.gt, lab.Pix)
		ims = append(ims, im)
	}
	ev := NewEvaluator(eng.Spec().Classes)
	i := 0
	cpu := cputime.Process()
	for b.Loop() {
		im := &ims[i%len(ims)]
		if _, err := ev.Add("x", im.gt, im.res.Labels, im.res.Score, im.res.Mask); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64((cputime.Process()-cpu).Microseconds())/1e3/float64(i), "cpu-ms/op")
}
