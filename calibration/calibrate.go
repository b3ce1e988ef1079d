package calibration

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"

	"osr/dataset"
	"osr/model"
)

// DefaultTemperatures is the grid osr calibrate searches.
var DefaultTemperatures = []float64{1, 1.5, 2, 3, 5, 10}

// CalibrateOptions configure Calibrate.
type CalibrateOptions struct {
	Split        string
	Protocol     bool      // leave the protocol's outlier pixels out (they are never used)
	TargetTPR    float64   // share of inlier pixels kept below the threshold; default 0.95
	Temperatures []float64 // grid; one value fixes T
	Limit        int
	Progress     io.Writer
}

// KindCalibration is the temperature and threshold for one score kind.
type KindCalibration struct {
	Temperature float64 `yaml:"temperature" json:"temperature"`
	Threshold   float64 `yaml:"threshold" json:"threshold"`
}

// Calibration is what osr calibrate chose, and from what.
type Calibration struct {
	Rule         string                     `yaml:"rule" json:"rule"`
	Dataset      string                     `yaml:"dataset" json:"dataset"`
	Split        string                     `yaml:"split" json:"split"`
	Images       int                        `yaml:"images" json:"images"`
	InlierPixels int64                      `yaml:"inlier_pixels" json:"inlier_pixels"`
	TargetTPR    float64                    `yaml:"target_tpr" json:"target_tpr"`
	NLL          map[float64]float64        `yaml:"nll_per_temperature" json:"nll_per_temperature"`
	Temperature  float64                    `yaml:"temperature" json:"temperature"`
	Kinds        map[string]KindCalibration `yaml:"kinds" json:"kinds"`
	Date         string                     `yaml:"date" json:"date"`
}

// Calibrate picks the temperature that minimises the negative
// log-likelihood of the inlier pixels of a split (temperature scaling),
// then, for MSP and for entropy at that temperature, the threshold that
// keeps TargetTPR of the inlier pixels. Outlier pixels are never looked
// at. The engine must be opened with Options.Logits at temperature 1.
func Calibrate(ctx context.Context, eng *model.Engine, ds *dataset.Dataset, opts CalibrateOptions) (*Calibration, error) {
	if opts.TargetTPR == 0 {
		opts.TargetTPR = 0.95
	}
	if opts.TargetTPR <= 0 || opts.TargetTPR >= 1 {
		return nil, fmt.Errorf("calibrate: target TPR must be in (0, 1), got %g", opts.TargetTPR)
	}
	temps := opts.Temperatures
	if len(temps) == 0 {
		temps = DefaultTemperatures
	}
	for _, t := range temps {
		if !(t > 0) {
			return nil, fmt.Errorf("calibrate: temperatures must be > 0, got %g", t)
		}
	}
	spec := eng.Spec()
	if sc := eng.Scoring(); sc.Temperature != 1 {
		return nil, errors.New("calibrate: open the engine at temperature 1 with logits")
	}
	var outliers []int
	if opts.Protocol {
		if ds.Protocol == nil {
			return nil, fmt.Errorf("dataset %s: %w", ds.Name, dataset.ErrNoProtocol)
		}
		outliers = ds.Protocol.OutlierIDs
	}
	lm := NewLabelMap(ds, spec.Classes, outliers)
	samples, err := ds.Samples(opts.Split)
	if err != nil {
		return nil, err
	}
	if opts.Limit > 0 && len(samples) > opts.Limit {
		samples = samples[:opts.Limit]
	}
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	}
	bar := progressbar.NewOptions(len(samples), progressbar.OptionSetWriter(progress),
		progressbar.OptionSetDescription("calibrate "+opts.Split), progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(200*time.Millisecond))
	k := len(spec.Classes)
	nll := make([]float64, len(temps))
	msp := make([][]uint32, len(temps))
	ent := make([][]uint32, len(temps))
	for i := range temps {
		msp[i] = make([]uint32, HistBins+1)
		ent[i] = make([]uint32, HistBins+1)
	}
	cal := &Calibration{Dataset: ds.Name, Split: opts.Split, TargetTPR: opts.TargetTPR}
	var res model.Result
	var gt []uint8
	invLogK := 1 / math.Log(float64(k))
	for _, s := range samples {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("calibration stopped: %w", err)
		}
		im, lab, err := dataset.Load(s)
		if err != nil {
			return nil, err
		}
		if im.Width != spec.Input.Width || im.Height != spec.Input.Height {
			return nil, fmt.Errorf("%s: calibration needs images at the model's input size %dx%d, got %dx%d",
				s.Image, spec.Input.Width, spec.Input.Height, im.Width, im.Height)
		}
		if err := eng.Run(im, &res); err != nil {
			return nil, fmt.Errorf("%s: %w", s.Image, err)
		}
		if cap(gt) < len(lab.Pix) {
			gt = make([]uint8, len(lab.Pix))
		}
		gt = gt[:len(lab.Pix)]
		lm.Apply(gt, lab.Pix)
		hw := len(gt)
		workers := min(runtime.GOMAXPROCS(0), 8)
		partial := make([][]float64, workers)
		counts := make([]int64, workers)
		var wg sync.WaitGroup
		for w := range workers {
			partial[w] = make([]float64, len(temps))
			wg.Add(1)
			go func() {
				defer wg.Done()
				z := make([]float64, k)
				for p := w * hw / workers; p < (w+1)*hw/workers; p++ {
					g := gt[p]
					if int(g) >= k {
						continue // void, outlier or unknown to the model
					}
					counts[w]++
					for c := range k {
						z[c] = float64(res.Logits[c*hw+p])
					}
					for ti, t := range temps {
						lse, maxP, h := softmaxStats(z, 1/t)
						partial[w][ti] += lse - z[g]/t
						atomic.AddUint32(&msp[ti][bin(float32(1-maxP))], 1)
						atomic.AddUint32(&ent[ti][bin(float32(h*invLogK))], 1)
					}
				}
			}()
		}
		wg.Wait()
		for w := range workers {
			cal.InlierPixels += counts[w]
			for ti := range temps {
				nll[ti] += partial[w][ti]
			}
		}
		cal.Images++
		bar.Add(1)
	}
	bar.Finish()
	fmt.Fprintln(progress)
	if cal.InlierPixels == 0 {
		return nil, fmt.Errorf("calibrate: split %s has no inlier pixels of the model's classes", opts.Split)
	}
	best := 0
	cal.NLL = map[float64]float64{}
	for i, t := range temps {
		cal.NLL[t] = nll[i] / float64(cal.InlierPixels)
		if nll[i] < nll[best] {
			best = i
		}
	}
	cal.Temperature = temps[best]
	cal.Kinds = map[string]KindCalibration{
		"msp":     {Temperature: temps[best], Threshold: quantile(msp[best], opts.TargetTPR)},
		"entropy": {Temperature: temps[best], Threshold: quantile(ent[best], opts.TargetTPR)},
	}
	cal.Rule = fmt.Sprintf("temperature minimises the NLL of %s inlier pixels over %v; threshold keeps %.1f %% of them (outlier and void pixels unused)",
		opts.Split, temps, 100*opts.TargetTPR)
	cal.Date = time.Now().UTC().Format(time.RFC3339)
	return cal, nil
}

// softmaxStats returns log-sum-exp of z*s, the largest probability and
// the entropy (nats) of softmax(z*s).
func softmaxStats(z []float64, s float64) (lse, maxP, h float64) {
	m := math.Inf(-1)
	for _, v := range z {
		m = math.Max(m, v*s)
	}
	var sum, ed float64
	for _, v := range z {
		d := v*s - m
		e := math.Exp(d)
		sum += e
		ed += e * d
	}
	return m + math.Log(sum), 1 / sum, math.Log(sum) - ed/sum
}

func quantile(neg []uint32, q float64) float64 {
	return (&Hist{neg: neg, pos: nil}).InlierQuantile(q)
}

// Apply writes the calibration into a model spec for the given score kind
// ("" keeps the spec's kind).
func (c *Calibration) Apply(spec *model.Spec, kind string) error {
	if kind == "" {
		kind = spec.Scoring.Kind
	}
	kc, ok := c.Kinds[kind]
	if !ok {
		return fmt.Errorf("calibration has no score kind %q", kind)
	}
	spec.Scoring.Kind = kind
	spec.Scoring.Temperature = float32(kc.Temperature)
	spec.Scoring.Threshold = float32(kc.Threshold)
	nll := map[string]float64{}
	for t, v := range c.NLL {
		nll[fmt.Sprint(t)] = math.Round(v*1e5) / 1e5
	}
	kinds := map[string]any{}
	for k, v := range c.Kinds {
		kinds[k] = map[string]any{"temperature": v.Temperature, "threshold": math.Round(v.Threshold*1e6) / 1e6}
	}
	spec.Scoring.Calibration = map[string]any{
		"rule": c.Rule, "dataset": c.Dataset, "split": c.Split, "images": c.Images,
		"inlier_pixels": c.InlierPixels, "target_tpr": c.TargetTPR, "nll_per_temperature": nll,
		"kinds": kinds, "date": c.Date,
	}
	return nil
}
