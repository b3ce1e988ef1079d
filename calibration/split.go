package calibration

import (
	"context"
	"fmt"
	"image"
	"io"
	"sync"
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
//
// Decoding, inference and fn run as a three-stage pipeline (one goroutine
// each, two images in flight per stage), so that on a small CPU the PNG
// decoding and the metrics overlap the runtime instead of adding to it.
// fn sees images in split order and must copy what it keeps of res.
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

	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup

	// Stage 1: decode.
	type loaded struct {
		s   dataset.Sample
		im  imageio.RGB
		lab *image.Gray
		err error
	}
	loads := make(chan loaded, 2)
	wg.Go(func() {
		defer close(loads)
		for _, s := range samples {
			im, lab, err := dataset.Load(s)
			select {
			case loads <- loaded{s, im, lab, err}:
			case <-pctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	})

	// Stage 3: measure, in split order; slots go back to stage 2 when done.
	type slot struct {
		name string
		im   imageio.RGB
		gt   []uint8
		res  model.Result
	}
	free, ran := make(chan *slot, 2), make(chan *slot, 2)
	free <- &slot{}
	free <- &slot{}
	var measureErr error
	wg.Go(func() {
		for sl := range ran {
			if measureErr == nil && ctx.Err() == nil {
				if err := fn(sl.name, sl.im, sl.gt, &sl.res); err != nil {
					measureErr = fmt.Errorf("%s: %w", sl.name, err)
					cancel()
				}
				bar.Add(1)
			}
			free <- sl
		}
	})

	// Stage 2: infer.
	runErr := func() error {
		defer close(ran)
		for l := range loads {
			if l.err != nil {
				return l.err
			}
			var sl *slot
			select {
			case sl = <-free:
			case <-pctx.Done():
				return nil
			}
			if err := eng.Run(l.im, &sl.res); err != nil {
				return fmt.Errorf("%s: %w", l.s.Image, err)
			}
			if cap(sl.gt) < len(l.lab.Pix) {
				sl.gt = make([]uint8, len(l.lab.Pix))
			}
			sl.gt = sl.gt[:len(l.lab.Pix)]
			lm.Apply(sl.gt, l.lab.Pix)
			sl.name, sl.im = l.s.Name, l.im
			ran <- sl
		}
		return nil
	}()
	if runErr != nil {
		cancel() // the decoder may be waiting to hand over its next image
	}
	wg.Wait()
	switch {
	case ctx.Err() != nil:
		return lm, protocol, fmt.Errorf("%s stopped: %w", o.Verb, ctx.Err())
	case measureErr != nil:
		return lm, protocol, measureErr
	case runErr != nil:
		return lm, protocol, runErr
	}
	bar.Finish()
	fmt.Fprintln(progress)
	return lm, protocol, nil
}
