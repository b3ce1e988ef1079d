package train

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"gopkg.in/yaml.v3"

	"osr/calibration"
	"osr/dataset"
	"osr/internal/atomicfile"
	"osr/model"
)

// baseSpec is the part of model.yaml every trainer fills the same way:
// classes and palette of the inlier ids, the unknown id under a protocol.
func baseSpec(dir string, ds *dataset.Dataset, classes []int, outliers []int) model.Spec {
	spec := model.Spec{Name: filepath.Base(dir), Output: model.Output{Name: "logits"}}
	for _, id := range classes {
		spec.Classes = append(spec.Classes, ds.Classes[id])
		spec.Palette = append(spec.Palette, ds.Palette[id])
	}
	if len(outliers) > 0 {
		unknown := outliers[0]
		spec.Scoring.UnknownID = &unknown
	}
	return spec
}

// recordVal writes the val figures into spec: the threshold keeping 95 %
// of val inlier pixels, and the metrics.
func recordVal(spec *model.Spec, val *calibration.Report, extra map[string]any) float32 {
	threshold := float32(val.InlierThreshold(0.95))
	spec.Scoring.Threshold = threshold
	spec.Scoring.Calibration = map[string]any{
		"rule":   "threshold keeps 95% of val inlier pixels (outlier and void pixels unused)",
		"split":  "val",
		"images": val.Images,
	}
	perClass := map[string]float64{}
	for c, v := range val.PerClassIoU {
		perClass[c] = round4(v)
	}
	m := map[string]any{
		"val_miou_inliers":   round4(val.MIoU),
		"val_pixel_accuracy": round4(val.PixelAccuracy),
		"val_images":         val.Images,
		"per_class_iou":      perClass,
		"metric_note":        "full frame resolution through ONNX Runtime; outlier and void pixels excluded",
	}
	for k, v := range extra {
		m[k] = v
	}
	spec.Provenance.Metrics = m
	return threshold
}

// export writes the segmenter as a model package in Out/model, evaluates
// it on the val split through ONNX Runtime and records the figures.
func (t *trainer) export(ctx context.Context, rep *Report) (*calibration.Report, error) {
	if t.opts.beforeExport != nil {
		t.opts.beforeExport(t.at)
	}
	cfg := t.cfg
	dir := filepath.Join(t.opts.Out, ModelDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	w := int(float64(t.ds.ImageSize[0])*cfg.Scale + 0.5)
	h := int(float64(t.ds.ImageSize[1])*cfg.Scale + 0.5)
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("dataset %s has no image_size; it sets the model's input size", t.ds.Name)
	}
	var outliers []int
	if cfg.Protocol != "" {
		outliers, _ = t.ds.OutlierIDs(cfg.Protocol)
	}
	spec := baseSpec(t.opts.Out, t.ds, t.classes, outliers) // named after the run
	spec.Description = fmt.Sprintf("LDN segmenter (%s) for %dx%d road scenes", cfg.Mode, t.ds.ImageSize[0], t.ds.ImageSize[1])
	spec.Input = model.Input{Name: "image", Layout: "NCHW", Width: w, Height: h, Mean: cfg.Mean, Std: cfg.Std}
	spec.Scoring.Kind, spec.Scoring.Temperature, spec.Scoring.Threshold = "msp", 1, 0.5
	var config map[string]any
	yaml.Unmarshal(cfg.Marshal(), &config)
	spec.Provenance = model.Provenance{
		Method: fmt.Sprintf("ladder-style DenseNet (blocks %v, growth %d, upsampling width %d) trained from scratch in Go "+
			"(gorgonia, OpenBLAS) with class-weighted cross-entropy (mode %s)", cfg.Model.Blocks, cfg.Model.Growth, cfg.Model.Up, cfg.Mode),
		Data:    fmt.Sprintf("%s train split, %d images at scale %g", t.ds.Name, len(t.images), cfg.Scale),
		Command: t.opts.Command,
		Created: time.Now().UTC().Format(time.RFC3339),
		Config:  config,
	}
	if len(outliers) > 0 {
		spec.Provenance.Data += fmt.Sprintf(", without any image containing the %s outlier ids %v", cfg.Protocol, outliers)
	}
	onnx, err := t.net.ExportONNX(h, w, spec.Description, map[string]string{"classes": fmt.Sprint(spec.Classes)})
	if err != nil {
		return nil, err
	}
	if err := atomicfile.Write(filepath.Join(dir, model.ONNXFile), onnx); err != nil {
		return nil, err
	}
	if err := model.WriteSpec(dir, spec); err != nil {
		return nil, err
	}
	val, err := evaluateVal(ctx, dir, t.ds, cfg.Protocol != "", cfg.Limit)
	if err != nil {
		return nil, fmt.Errorf("validate exported model: %w", err)
	}
	rep.ValMIoU = val.MIoU
	rep.Threshold = recordVal(&spec, val, map[string]any{"steps": t.at, "train_loss": round4(rep.FinalLoss)})
	t.log(logLine{Step: t.at, Loss: rep.FinalLoss, ValMIoU: val.MIoU})
	fmt.Fprintf(t.opts.Progress, "step %d: val mIoU %.2f %% over %d images\n", t.at, 100*val.MIoU, val.Images)
	return val, model.WriteSpec(dir, spec)
}

func round4(v float64) float64 { return math.Round(v*1e4) / 1e4 }
