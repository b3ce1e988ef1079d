package calibration

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"

	"osr/dataset"
	"osr/internal/imageio"
	"osr/model"
)

// splitRun says which images of a dataset to run and how to show it.
type splitRun struct {
	Split    string
	Protocol bool // the dataset's ood_protocol classes are outliers
	Limit    int
	Progress io.Writer
	Verb     string // for the progress bar: "eval", "calibrate"
}

// runSplit runs eng over a split's images in order, with a progress bar,
// and calls fn with each image, its ground truth mapped to the model's
// classes (GTOutlier, GTIgnore) and the engine's result. It returns the
// label map used and the protocol's name.
func runSplit(ctx context.Context, eng *model.Engine, ds *dataset.Dataset, o splitRun,
	fn func(name string, im imageio.RGB, gt []uint8, res *model.Result) error) (LabelMap, string, error) {
	var outliers []int
	protocol := ""
	if o.Protocol {
		if ds.Protocol == nil {
			return LabelMap{}, "", fmt.Errorf("dataset %s: %w", ds.Name, dataset.ErrNoProtocol)
		}
		outliers, protocol = ds.Protocol.OutlierIDs, ds.Protocol.Name
	}
	lm := NewLabelMap(ds, eng.Spec().Classes, outliers)
	samples, err := ds.Samples(o.Split)
	if err != nil {
		return lm, protocol, err
	}
	if o.Limit > 0 && len(samples) > o.Limit {
		samples = samples[:o.Limit]
	}
	progress := o.Progress
	if progress == nil {
		progress = io.Discard
	}
	bar := progressbar.NewOptions(len(samples), progressbar.OptionSetWriter(progress),
		progressbar.OptionSetDescription(o.Verb+" "+o.Split), progressbar.OptionShowCount(),
		progressbar.OptionSetItsString("img"), progressbar.OptionShowIts(), progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(200*time.Millisecond))
	var res model.Result
	var gt []uint8
	for _, s := range samples {
		if err := ctx.Err(); err != nil {
			return lm, protocol, fmt.Errorf("%s stopped: %w", o.Verb, err)
		}
		im, lab, err := dataset.Load(s)
		if err != nil {
			return lm, protocol, err
		}
		if err := eng.Run(im, &res); err != nil {
			return lm, protocol, fmt.Errorf("%s: %w", s.Image, err)
		}
		if cap(gt) < len(lab.Pix) {
			gt = make([]uint8, len(lab.Pix))
		}
		gt = gt[:len(lab.Pix)]
		lm.Apply(gt, lab.Pix)
		if err := fn(s.Name, im, gt, &res); err != nil {
			return lm, protocol, fmt.Errorf("%s: %w", s.Name, err)
		}
		bar.Add(1)
	}
	bar.Finish()
	fmt.Fprintln(progress)
	return lm, protocol, nil
}
