package calibration

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/schollz/progressbar/v3"

	"osr/bags"
	"osr/dataset"
	"osr/internal/imageio"
	"osr/msgs"
)

// BagEvalOptions configure EvaluateBag.
type BagEvalOptions struct {
	ImageTopic string
	LabelTopic string // "" for a drive without labels
	// Protocol names the open-set protocol whose classes are outliers.
	Protocol string
	// Dataset describes the label ids; when nil, the bag's /dataset_info is used.
	Dataset  *dataset.Dataset
	Progress io.Writer
}

// BagEvalResult is a bag evaluation: a metrics report when the bag has
// labels, else the outlier share over time.
type BagEvalResult struct {
	Report    *Report        `json:"report,omitempty"`
	Timeline  *Timeline      `json:"timeline,omitempty"`
	Stats     bags.ReadStats `json:"read"`
	Frames    int            `json:"frames"`
	BadFrames int            `json:"bad_frames"`
	Unmatched int            `json:"unmatched_frames"`
	Skipped   map[string]int `json:"skipped_types,omitempty"`
}

// pendingLimit bounds the images or labels waiting for their partner.
const pendingLimit = 64

// EvaluateBag runs eng over every image on opts.ImageTopic of a ROS 1 bag
// or MCAP file. With a label topic, images and labels are paired by
// header stamp and measured as Evaluate measures a dataset split. The
// engine must have open-set labels off.
func EvaluateBag(ctx context.Context, eng Engine, path string, opts BagEvalOptions) (*BagEvalResult, error) {
	if opts.ImageTopic == "" {
		return nil, errors.New("bag eval: an image topic is required")
	}
	res := &BagEvalResult{Skipped: map[string]int{}}
	spec, sc := eng.Spec(), eng.Scoring()
	var ev *Evaluator
	var lm *LabelMap
	var rep *Report
	if opts.LabelTopic != "" {
		ev = NewEvaluator(spec.Classes)
		rep = &Report{Model: spec.Name, Split: filepath.Base(path), Score: sc.Kind, Temperature: sc.Temperature, Threshold: sc.Threshold}
	} else {
		res.Timeline = &Timeline{Model: spec.Name, Bag: filepath.Base(path), Threshold: sc.Threshold}
	}
	ds := opts.Dataset
	if ds == nil && opts.LabelTopic != "" {
		// Recorders write topics in arrival order, so /dataset_info may come
		// after the first label: look for it in a first pass.
		var err error
		if ds, err = bags.DatasetInfo(path); err != nil {
			return nil, err
		}
	}
	setLabels := func() error {
		if lm != nil || ev == nil {
			return nil
		}
		if ds == nil {
			return errors.New("bag eval: labels need the dataset's classes: the bag has no " + bags.DatasetInfoTopic + "; pass --data")
		}
		outliers, err := ds.OutlierIDs(opts.Protocol)
		if err != nil {
			return err
		}
		rep.Protocol = opts.Protocol
		m := NewLabelMap(ds, spec.Classes, outliers)
		lm = &m
		rep.Dataset = ds.Name
		rep.Notes = append(rep.Notes, m.Notes...)
		return nil
	}
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	}
	// No spinner ticker: progressbar v3.19.1's ticker goroutine reads the
	// bar's state unlocked (a data race) and outlives a run that fails.
	bar := progressbar.NewOptions(-1, progressbar.OptionSetWriter(progress), progressbar.OptionSetDescription("bag eval"),
		progressbar.OptionSetSpinnerChangeInterval(0),
		progressbar.OptionShowCount(), progressbar.OptionSetItsString("frame"), progressbar.OptionShowIts(),
		progressbar.OptionThrottle(200*time.Millisecond))
	images := map[int64]any{}     // stamp -> *msgs.Image or *msgs.CompressedImage
	labels := map[int64][]uint8{} // stamp -> label ids
	// Decoding and inference run on the reading goroutine; the metrics
	// (a sort of each frame's pixels) on the measurer's.
	meas := NewMeasurer(ctx, func(sl *Slot) error {
		out := &sl.Res
		if ev == nil {
			res.Timeline.add(time.Unix(0, sl.Stamp), float64(out.OutlierPixels)/float64(out.Width*out.Height))
			return nil
		}
		r, err := ev.Add(sl.Name, sl.GT, out.Labels, out.Score, out.Mask)
		if err != nil {
			return err
		}
		rep.KeepExtremes(r, *out)
		return nil
	})
	var rgb imageio.RGB
	run := func(stamp int64, img any, lab []uint8) error {
		if err := msgs.FrameToRGB(img, &rgb); err != nil {
			res.BadFrames++
			return nil
		}
		sl, err := meas.Next()
		if err != nil {
			return err
		}
		if err := eng.Run(rgb, &sl.Res); err != nil {
			meas.Release(sl)
			return err
		}
		if ev != nil && len(lab) != len(sl.Res.Labels) {
			meas.Release(sl)
			res.BadFrames++
			return nil
		}
		res.Frames++
		bar.Add(1)
		sl.Name, sl.Stamp, sl.GT = fmt.Sprintf("t%.3f", float64(stamp)/1e9), stamp, sl.GT[:0]
		if ev != nil {
			sl.GT = slices.Grow(sl.GT, len(lab))[:len(lab)]
			lm.Apply(sl.GT, lab)
		}
		meas.Submit(sl)
		return nil
	}
	stats, err := bags.Read(path, func(m bags.Message) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if m.Topic != opts.ImageTopic && m.Topic != opts.LabelTopic && m.Topic != bags.DatasetInfoTopic {
			return nil
		}
		v, err := bags.Decode(m)
		if err != nil {
			res.Skipped[m.Type]++
			return nil
		}
		switch x := v.(type) {
		case *msgs.String:
			return nil
		case *msgs.Image:
			if m.Topic == opts.LabelTopic {
				if x.Encoding != msgs.Mono8 || int(x.Step) != int(x.Width) || len(x.Data) != int(x.Width*x.Height) {
					res.BadFrames++
					return nil
				}
				if err := setLabels(); err != nil {
					return err
				}
				return pair(x.Header.Stamp.UnixNano(), nil, x.Data, images, labels, run, res)
			}
		}
		if m.Topic != opts.ImageTopic {
			return nil
		}
		stamp := headerOf(v).Stamp.UnixNano()
		if ev == nil {
			return run(stamp, v, nil)
		}
		return pair(stamp, v, nil, images, labels, run, res)
	})
	res.Stats = stats
	if measErr := meas.Close(); measErr != nil {
		err = measErr // the reader's error is then only the cancel it caused
	}
	if err != nil {
		return nil, err
	}
	bar.Finish()
	fmt.Fprintln(progress)
	res.Unmatched += len(images) + len(labels)
	if ev != nil {
		if res.Frames == 0 {
			return nil, fmt.Errorf("bag eval: no image on %s had a label on %s with the same stamp", opts.ImageTopic, opts.LabelTopic)
		}
		rep.Finish(ev)
		res.Report = rep
	}
	return res, nil
}

func headerOf(v any) msgs.Header {
	switch m := v.(type) {
	case *msgs.Image:
		return m.Header
	case *msgs.CompressedImage:
		return m.Header
	}
	return msgs.Header{}
}

// pair runs an image as soon as its label (same stamp) is there, keeping
// at most pendingLimit unmatched ones of each.
func pair(stamp int64, img any, lab []uint8, images map[int64]any, labels map[int64][]uint8,
	run func(int64, any, []uint8) error, res *BagEvalResult) error {
	if img != nil {
		if l, ok := labels[stamp]; ok {
			delete(labels, stamp)
			return run(stamp, img, l)
		}
		images[stamp] = img
	} else {
		if im, ok := images[stamp]; ok {
			delete(images, stamp)
			return run(stamp, im, lab)
		}
		labels[stamp] = lab
	}
	for _, m := range []int{len(images), len(labels)} {
		if m > pendingLimit {
			res.Unmatched++
			dropOldest(images, labels)
		}
	}
	return nil
}

func dropOldest(images map[int64]any, labels map[int64][]uint8) {
	oldest := int64(1<<63 - 1)
	for k := range images {
		oldest = min(oldest, k)
	}
	for k := range labels {
		oldest = min(oldest, k)
	}
	delete(images, oldest)
	delete(labels, oldest)
}

// Write saves the result: the metrics report (as osr eval writes it), or
// timeline.json, timeline.csv and timeline.png.
func (r *BagEvalResult) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if r.Report != nil {
		return r.Report.Write(dir)
	}
	return r.Timeline.Write(dir)
}
