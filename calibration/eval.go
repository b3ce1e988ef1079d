package calibration

import (
	"context"
	"fmt"
	"io"
	"math"
	"time"

	"osr/dataset"
	"osr/internal/imageio"
	"osr/model"
)

// Report is what osr eval writes to report.json.
type Report struct {
	Model       string  `json:"model"`
	Dataset     string  `json:"dataset"`
	Split       string  `json:"split"`
	Protocol    string  `json:"protocol,omitempty"`
	Score       string  `json:"score"`
	Temperature float32 `json:"temperature"`
	Threshold   float32 `json:"threshold"`

	Images        int   `json:"images"`
	OutlierPixels int64 `json:"outlier_pixels"`
	InlierPixels  int64 `json:"inlier_pixels"`

	MIoU        float64            `json:"miou"`
	PerClassIoU map[string]float64 `json:"per_class_iou"`
	// MeanScore is the mean outlier score per ground-truth class, and of
	// the outlier pixels ("outliers").
	MeanScore map[string]float64 `json:"mean_score_per_class"`
	// FalseAlarms is which inlier classes score like outliers; null
	// without outlier pixels.
	FalseAlarms *FalseAlarms `json:"false_alarms,omitempty"`
	OpenMIoU    float64      `json:"open_miou"`
	// InlierTPR is the share of inlier pixels the mask leaves unflagged.
	InlierTPR float64 `json:"inlier_tpr"`

	// Pixel-level over the split (Fishyscapes style); null when undefined.
	AP     *float64 `json:"ap"`
	FPR95  *float64 `json:"fpr95"`
	AUROC  *float64 `json:"auroc"`
	TNR95  *float64 `json:"tnr95"`
	DetAcc *float64 `json:"detection_accuracy"`
	// Averaged over images with outliers (StreetHazards style).
	APPerImage         *float64 `json:"ap_per_image"`
	FPR95PerImage      *float64 `json:"fpr95_per_image"`
	AUROCPerImage      *float64 `json:"auroc_per_image"`
	ImagesWithOutliers int      `json:"images_with_outliers"`

	Notes           []string      `json:"notes,omitempty"`
	PerImage        []ImageResult `json:"per_image"`
	Seconds         float64       `json:"seconds"`
	PixelsPerSecond float64       `json:"pixels_per_second"`

	PixelAccuracy float64 `json:"pixel_accuracy"` // closed-set, over inlier pixels

	// Curve is the PR/ROC operating points, thinned to steps of 1e-3 in
	// TPR or FPR; osr eval compare draws several reports' curves together.
	Curve []CurvePoint `json:"curve,omitempty"`

	best, worst *Example
	hist        *Hist
}

// InlierThreshold is the score threshold that keeps q of the split's
// inlier pixels (see Hist.InlierQuantile).
func (r *Report) InlierThreshold(q float64) float64 {
	if r.hist == nil {
		return math.NaN()
	}
	return r.hist.InlierQuantile(q)
}

// Example is an image kept for the report: its overlay and its figures.
type Example struct {
	Result  ImageResult
	quality float64
	Width   int
	Height  int
	Overlay []uint8
}

// Extremes are the best and worst images by per-image AP (or, for images
// without outliers, pixel accuracy).
func (r *Report) Extremes() (best, worst *Example) { return r.best, r.worst }

// KeepExtremes remembers the image if it is the best or worst so far.
func (r *Report) KeepExtremes(ir ImageResult, res model.Result) {
	q := ir.PixelAccuracy
	if ir.AP != nil {
		q = 1 + *ir.AP // images with outliers rank by AP, above the others
	}
	keep := func(slot **Example, better bool) {
		if *slot != nil && !better {
			return
		}
		e := *slot
		if e == nil {
			e = &Example{}
			*slot = e
		}
		e.Result, e.quality, e.Width, e.Height = ir, q, res.Width, res.Height
		e.Overlay = append(e.Overlay[:0], res.Overlay...)
	}
	keep(&r.best, r.best == nil || q > r.best.quality)
	keep(&r.worst, r.worst == nil || q < r.worst.quality)
}

// CurvePoint is one operating point of the PR and ROC curves.
type CurvePoint struct {
	TPR       float64 `json:"tpr"`
	Precision float64 `json:"precision"`
	FPR       float64 `json:"fpr"`
}

// EvalOptions configure Evaluate.
type EvalOptions struct {
	Split    string
	Protocol bool // use the dataset's ood_protocol outlier ids
	Limit    int  // evaluate at most this many images (0 = all)
	Progress io.Writer
}

// Evaluate runs eng over a dataset split and measures it. The engine must
// be opened with open-set labels off, so that labels are the argmax, and
// should be opened with Options.Spin off: decoding and metrics run on
// other goroutines beside the runtime (see runSplit).
func Evaluate(ctx context.Context, eng Engine, ds *dataset.Dataset, opts EvalOptions) (*Report, error) {
	start := time.Now()
	spec, sc := eng.Spec(), eng.Scoring()
	if sc.UnknownID >= 0 {
		return nil, fmt.Errorf("evaluate: open the engine with open-set labels off (scoring.open_set: false)")
	}
	rep := &Report{Model: spec.Name, Dataset: ds.Name, Split: opts.Split, Score: sc.Kind, Temperature: sc.Temperature, Threshold: sc.Threshold}
	ev := NewEvaluator(spec.Classes)
	var pixels int64
	lm, protocol, err := runSplit(ctx, eng, ds, splitRun{Split: opts.Split, Protocol: opts.Protocol, Limit: opts.Limit, Progress: opts.Progress, Verb: "eval"},
		func(name string, _ imageio.RGB, gt []uint8, res *model.Result) error {
			r, err := ev.Add(name, gt, res.Labels, res.Score, res.Mask)
			if err != nil {
				return err
			}
			rep.KeepExtremes(r, *res)
			pixels += int64(len(gt))
			return nil
		})
	if err != nil {
		return nil, err
	}
	rep.Protocol = protocol
	rep.Notes = append(rep.Notes, lm.Notes...)
	rep.Finish(ev)
	rep.Seconds = time.Since(start).Seconds()
	rep.PixelsPerSecond = float64(pixels) / rep.Seconds
	return rep, nil
}

// Finish fills the report from an evaluator that has seen every image.
func (rep *Report) Finish(ev *Evaluator) {
	rep.PerImage = ev.Images()
	rep.Images = len(rep.PerImage)
	rep.PerClassIoU, rep.MIoU = ev.IoU()
	rep.MeanScore = ev.MeanScores()
	rep.FalseAlarms = ev.FalseAlarms()
	rep.PixelAccuracy = ev.PixelAccuracy()
	rep.hist = ev.Hist()
	_, rep.OpenMIoU = ev.OpenIoU()
	var flaggedInliers, inliers int64
	for _, r := range rep.PerImage {
		rep.OutlierPixels += r.OutlierPixels
		rep.InlierPixels += r.InlierPixels
	}
	// Inlier TPR from the histogram: inlier pixels with score <= threshold.
	h := ev.Hist()
	thrBin := bin(rep.Threshold)
	for b, c := range h.neg {
		inliers += int64(c)
		if b > thrBin {
			flaggedInliers += int64(c)
		}
	}
	if inliers > 0 {
		rep.InlierTPR = 1 - float64(flaggedInliers)/float64(inliers)
	}
	var pts []CurvePoint
	last := CurvePoint{-1, -1, -1}
	rk, err := h.Ranking(func(tpr, prec, fpr float64) {
		if math.Abs(tpr-last.TPR) > 1e-3 || math.Abs(fpr-last.FPR) > 1e-3 {
			last = CurvePoint{tpr, prec, fpr}
			pts = append(pts, last)
		}
	})
	rep.Curve = pts
	if err != nil {
		rep.Notes = append(rep.Notes, fmt.Sprintf("split %s: %v", rep.Split, err))
	} else {
		rep.AP, rep.FPR95, rep.AUROC, rep.TNR95, rep.DetAcc = ptr(rk.AP), ptr(rk.FPR95), ptr(rk.AUROC), ptr(rk.TNR95), ptr(rk.DetAcc)
	}
	ap, fpr, auroc, n := ev.PerImageMeans()
	rep.ImagesWithOutliers = n
	if n > 0 {
		rep.APPerImage, rep.FPR95PerImage, rep.AUROCPerImage = ptr(ap), ptr(fpr), ptr(auroc)
	} else {
		rep.Notes = append(rep.Notes, "no image contains both outlier and inlier pixels: per-image metrics are undefined")
	}
}
