package calibration

import (
	"context"
	"fmt"
	"image"
	"io"
	"runtime"
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

// splitDecoders is how many goroutines decode a split's images.
const splitDecoders = 2

// runSplit runs eng over a split's images in order, with a progress bar,
// and calls fn with each image, its ground truth mapped to the model's
// classes (GTOutlier, GTIgnore) and the engine's result. It returns the
// label map used and the protocol's name.
//
// Decoding, inference and fn run as a three-stage pipeline (splitDecoders
// goroutines decode, one runs the model, one runs fn; two images in flight
// per goroutine), so that on a small CPU the decoding and the metrics
// overlap the runtime instead of adding to it; decoding and fn run on at
// most GOMAXPROCS-1 processors at a time, so that the model's goroutine
// finds one free.
// fn sees images in split order and must copy what it keeps of res.
func runSplit(ctx context.Context, eng Engine, ds *dataset.Dataset, o splitRun,
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

	// Decoding and measuring hold a token while they run, so that they
	// leave a processor to the goroutine that runs the model: Go's
	// scheduler has no priorities, and with every processor held by a
	// decoder or the measurer, the runner waited for one after each
	// decoded image and each return from the runtime, the runtime idle.
	tokens := make(chan struct{}, max(1, runtime.GOMAXPROCS(0)-1))
	meas := NewMeasurer(ctx, func(s *Slot) error {
		tokens <- struct{}{}
		err := fn(s.Name, s.Image, s.GT, &s.Res)
		<-tokens
		if err != nil {
			return err
		}
		bar.Add(1)
		return nil
	})

	// Decoding runs ahead on decoders goroutines, sample i on decoder
	// i % decoders, each with up to two images in flight, read back in
	// split order: decoding a JPEG and a PNG costs about half of what the
	// runtime does per image, more than one goroutine keeps up with on a
	// loaded machine.
	type loaded struct {
		s   dataset.Sample
		im  imageio.RGB
		lab *image.Gray
		err error
	}
	decoders := min(splitDecoders, max(1, len(samples)))
	queues := make([]chan loaded, decoders)
	var wg sync.WaitGroup
	for d := range queues {
		q := make(chan loaded, 2)
		queues[d] = q
		wg.Go(func() {
			defer close(q)
			for i := d; i < len(samples); i += decoders {
				select {
				case tokens <- struct{}{}:
				case <-meas.Done():
					return
				}
				im, lab, err := dataset.Load(samples[i])
				if err == nil {
					// The label image is this sample's own: mapped in
					// place here, it becomes the slot's ground truth
					// without a pass on the runner's goroutine.
					lm.Apply(lab.Pix, lab.Pix)
				}
				<-tokens
				select {
				case q <- loaded{samples[i], im, lab, err}:
				case <-meas.Done():
					return
				}
				if err != nil {
					return
				}
			}
		})
	}
	loads := func(yield func(loaded) bool) {
		for i := range samples {
			l, ok := <-queues[i%decoders]
			if !ok || !yield(l) {
				return
			}
		}
	}
	runErr := func() error {
		for l := range loads {
			if l.err != nil {
				return l.err
			}
			sl, err := meas.Next()
			if err != nil {
				return nil // Close says why
			}
			if err := eng.Run(l.im, &sl.Res); err != nil {
				return fmt.Errorf("%s: %w", l.s.Image, err)
			}
			sl.GT = l.lab.Pix
			sl.Name, sl.Image = l.s.Name, l.im
			meas.Submit(sl)
		}
		return nil
	}()
	measErr := meas.Close() // also releases a decoder waiting to hand over
	wg.Wait()
	switch {
	case ctx.Err() != nil:
		return lm, protocol, fmt.Errorf("%s stopped: %w", o.Verb, ctx.Err())
	case measErr != nil:
		return lm, protocol, measErr
	case runErr != nil:
		return lm, protocol, runErr
	}
	bar.Finish()
	fmt.Fprintln(progress)
	return lm, protocol, nil
}
