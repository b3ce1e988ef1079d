package bags

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/schollz/progressbar/v3"

	"osr/dataset"
	"osr/msgs"
)

// Topics written by FromDataset.
const (
	DefaultImageTopic = "/camera/image_raw"
	DefaultLabelTopic = "/camera/labels"
	DatasetInfoTopic  = "/dataset_info"
	datasetFrameID    = "camera"
)

// FromDatasetOptions configure FromDataset.
type FromDatasetOptions struct {
	Split      string
	Rate       float64 // frames per second of bag time
	Limit      int
	ImageTopic string
	LabelTopic string
	Start      time.Time // bag time of the first frame; default now
	Progress   io.Writer
}

// FromDataset writes a labelled split as a bag: rgb8 images and mono8
// label images with equal header stamps, and the dataset.yaml text on
// /dataset_info first, so that bag eval can map the labels.
func FromDataset(ctx context.Context, ds *dataset.Dataset, out string, opts FromDatasetOptions) (int, error) {
	if opts.Rate <= 0 {
		return 0, fmt.Errorf("rate must be > 0, got %g", opts.Rate)
	}
	if opts.ImageTopic == "" {
		opts.ImageTopic = DefaultImageTopic
	}
	if opts.LabelTopic == "" {
		opts.LabelTopic = DefaultLabelTopic
	}
	if opts.Start.IsZero() {
		opts.Start = time.Now()
	}
	if opts.Progress == nil {
		opts.Progress = io.Discard
	}
	samples, err := ds.Samples(opts.Split)
	if err != nil {
		return 0, err
	}
	if opts.Limit > 0 && len(samples) > opts.Limit {
		samples = samples[:opts.Limit]
	}
	yaml, err := os.ReadFile(filepath.Join(ds.Dir, "dataset.yaml"))
	if err != nil {
		return 0, err
	}
	w, err := Create(out)
	if err != nil {
		return 0, err
	}
	abort := func(err error) (int, error) {
		w.Abort()
		return 0, err
	}
	if err := w.Write(DatasetInfoTopic, opts.Start, &msgs.String{Data: string(yaml)}); err != nil {
		return abort(err)
	}
	bar := progressbar.NewOptions(len(samples), progressbar.OptionSetWriter(opts.Progress),
		progressbar.OptionSetDescription("bag "+opts.Split), progressbar.OptionShowCount())
	period := time.Duration(float64(time.Second) / opts.Rate)
	for i, s := range samples {
		if err := ctx.Err(); err != nil {
			return abort(err)
		}
		im, lab, err := dataset.Load(s)
		if err != nil {
			return abort(err)
		}
		t := opts.Start.Add(time.Duration(i) * period)
		h := msgs.Header{Seq: uint32(i), Stamp: t, FrameId: datasetFrameID}
		if err := w.Write(opts.ImageTopic, t, msgs.RGB8Image(h, im.Width, im.Height, im.Pix)); err != nil {
			return abort(err)
		}
		if err := w.Write(opts.LabelTopic, t, msgs.Mono8Image(h, im.Width, im.Height, lab.Pix)); err != nil {
			return abort(err)
		}
		bar.Add(1)
	}
	fmt.Fprintln(opts.Progress)
	return len(samples), w.Close()
}

// Abort drops the unfinished bag.
func (b *ROS1Writer) Abort() { b.f.Close(); os.Remove(b.tmp) }

// Abort drops the unfinished file.
func (b *MCAPWriter) Abort() { b.f.Close(); os.Remove(b.tmp) }

// DatasetInfo reads the dataset.yaml text a bag carries on
// DatasetInfoTopic (FromDataset writes it); nil when it has none.
func DatasetInfo(path string) (*dataset.Dataset, error) {
	var ds *dataset.Dataset
	_, err := Read(path, func(m Message) error {
		if m.Topic != DatasetInfoTopic || ds != nil {
			return nil
		}
		v, err := Decode(m)
		if s, ok := v.(*msgs.String); ok && err == nil {
			if d, err := dataset.Parse([]byte(s.Data)); err == nil {
				ds = d
			}
		}
		return nil
	})
	return ds, err
}
