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

	"osr/dataset"
	"osr/internal/imageio"
	"osr/model"
)

// DefaultTemperatures is the grid osr calibrate searches.
var DefaultTemperatures = []float64{1, 1.5, 2, 3, 5, 10}

// How the temperature of each score kind is chosen.
const (
	RuleNLL      = "nll"      // lowest NLL of the inlier pixels (temperature scaling); no outliers used
	RulePaper    = "paper"    // the paper's: T = 10 for MSP, T = 2 for entropy
	RuleOutliers = "outliers" // highest AP on the split's outlier pixels, per score kind
)

// PaperTemperatures are the temperatures Grcić et al. score with.
var PaperTemperatures = map[string]float64{"msp": 10, "entropy": 2}

// CalibrateOptions configure Calibrate.
type CalibrateOptions struct {
	Split        string
	Protocol     bool      // leave the protocol's outlier pixels out (they are never used)
	TargetTPR    float64   // share of inlier pixels kept below the threshold; default 0.95
	Temperatures []float64 // grid; one value fixes T
	// Rule chooses each kind's temperature: RuleNLL (default), RulePaper
	// or RuleOutliers. Thresholds always keep TargetTPR of the inliers.
	Rule     string
	Limit    int
	Progress io.Writer
}

// KindCalibration is the temperature and threshold for one score kind.
type KindCalibration struct {
	Temperature float64 `yaml:"temperature" json:"temperature"`
	Threshold   float64 `yaml:"threshold" json:"threshold"`
}

// Calibration is what osr calibrate chose, and from what.
type Calibration struct {
	Rule         string              `yaml:"rule" json:"rule"`
	Dataset      string              `yaml:"dataset" json:"dataset"`
	Split        string              `yaml:"split" json:"split"`
	Images       int                 `yaml:"images" json:"images"`
	InlierPixels int64               `yaml:"inlier_pixels" json:"inlier_pixels"`
	TargetTPR    float64             `yaml:"target_tpr" json:"target_tpr"`
	NLL          map[float64]float64 `yaml:"nll_per_temperature" json:"nll_per_temperature"`
	// AP is, with RuleOutliers, each kind's outlier AP per temperature.
	AP          map[string]map[float64]float64 `yaml:"ap_per_temperature,omitempty" json:"ap_per_temperature,omitempty"`
	Temperature float64                        `yaml:"temperature" json:"temperature"`
	Kinds       map[string]KindCalibration     `yaml:"kinds" json:"kinds"`
	Date        string                         `yaml:"date" json:"date"`
}

// Calibrate picks the temperature that minimises the negative
// log-likelihood of the inlier pixels of a split (temperature scaling),
// then, for MSP and for entropy at that temperature, the threshold that
// keeps TargetTPR of the inlier pixels. Outlier pixels are never looked
// at. The engine must be opened with Options.Logits at temperature 1, and
// should be opened with Options.Spin off (see Evaluate).
func Calibrate(ctx context.Context, eng Engine, ds *dataset.Dataset, opts CalibrateOptions) (*Calibration, error) {
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
	switch opts.Rule {
	case "", RuleNLL:
		opts.Rule = RuleNLL
	case RulePaper:
		temps = []float64{PaperTemperatures["entropy"], PaperTemperatures["msp"]}
	case RuleOutliers:
		if !opts.Protocol {
			return nil, errors.New("calibrate: the outliers rule needs a protocol whose outlier pixels it ranks (--protocol)")
		}
	default:
		return nil, fmt.Errorf("calibrate: rule %q: want %s, %s or %s", opts.Rule, RuleNLL, RulePaper, RuleOutliers)
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
	acc := newTempAccum(temps, len(spec.Classes), opts.Rule == RuleOutliers)
	var frame []float32
	cal := &Calibration{Dataset: ds.Name, Split: opts.Split, TargetTPR: opts.TargetTPR}
	_, _, err := runSplit(ctx, eng, ds, splitRun{Split: opts.Split, Protocol: opts.Protocol, Limit: opts.Limit, Progress: opts.Progress, Verb: "calibrate"},
		func(name string, im imageio.RGB, gt []uint8, res *model.Result) error {
			if len(res.Logits) != len(spec.Classes)*spec.Input.Width*spec.Input.Height {
				return errors.New("calibrate: the engine gives no logits (open it with logits on)")
			}
			logits := res.Logits
			if rows, cols := res.ModelRows, res.ModelCols; rows != nil {
				// Frames of another size: score each frame pixel with the
				// logits its outputs came from, as evaluation does.
				frame = frameLogits(frame, res.Logits, len(spec.Classes), spec.Input.Width*spec.Input.Height, spec.Input.Width, rows, cols)
				logits = frame
			}
			cal.InlierPixels += acc.add(gt, logits)
			cal.Images++
			return nil
		})
	if err != nil {
		return nil, err
	}
	nll, msp, ent := acc.nll, acc.msp, acc.ent
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
	chosen := map[string]int{"msp": best, "entropy": best}
	switch opts.Rule {
	case RuleNLL:
		cal.Rule = fmt.Sprintf("temperature minimises the NLL of %s inlier pixels over %v; threshold keeps %.1f %% of them (outlier and void pixels unused)",
			opts.Split, temps, 100*opts.TargetTPR)
	case RulePaper:
		chosen = map[string]int{"entropy": 0, "msp": 1}
		cal.Rule = fmt.Sprintf("the paper's temperatures (MSP %g, entropy %g); threshold keeps %.1f %% of %s inlier pixels (outlier and void pixels unused)",
			PaperTemperatures["msp"], PaperTemperatures["entropy"], 100*opts.TargetTPR, opts.Split)
	case RuleOutliers:
		if acc.outliers == 0 {
			return nil, fmt.Errorf("calibrate: split %s has no outlier pixels of the protocol: the outliers rule needs some "+
				"(osr dataset paste makes a split with pasted objects as outliers)", opts.Split)
		}
		cal.AP = map[string]map[float64]float64{}
		for kind, hists := range map[string][2][][]uint32{"msp": {msp, acc.mspOut}, "entropy": {ent, acc.entOut}} {
			cal.AP[kind] = map[float64]float64{}
			bestAP := -1.0
			for i, t := range temps {
				r, err := (&Hist{neg: hists[0][i], pos: hists[1][i]}).Ranking(nil)
				if err != nil {
					return nil, fmt.Errorf("calibrate: %s at T = %g: %w", kind, t, err)
				}
				cal.AP[kind][t] = r.AP
				if r.AP > bestAP {
					bestAP, chosen[kind] = r.AP, i
				}
			}
		}
		cal.Rule = fmt.Sprintf("temperature maximises the AP of %s outlier pixels over %v, per score; threshold keeps %.1f %% of the inlier pixels (void pixels unused)",
			opts.Split, temps, 100*opts.TargetTPR)
	}
	cal.Kinds = map[string]KindCalibration{
		"msp":     {Temperature: temps[chosen["msp"]], Threshold: quantile(msp[chosen["msp"]], opts.TargetTPR)},
		"entropy": {Temperature: temps[chosen["entropy"]], Threshold: quantile(ent[chosen["entropy"]], opts.TargetTPR)},
	}
	cal.Date = time.Now().UTC().Format(time.RFC3339)
	return cal, nil
}

// tempAccum gathers, for each temperature of the grid, the NLL of the
// inlier pixels and histograms of their MSP and entropy scores, and with
// withOutliers those of the outlier pixels too.
type tempAccum struct {
	temps          []float64
	k              int
	invLogK        float64
	nll            []float64
	msp, ent       [][]uint32
	mspOut, entOut [][]uint32
	outliers       int64
}

func newTempAccum(temps []float64, classes int, withOutliers bool) *tempAccum {
	a := &tempAccum{temps: temps, k: classes, invLogK: 1 / math.Log(float64(classes)), nll: make([]float64, len(temps))}
	hists := func() [][]uint32 {
		h := make([][]uint32, len(temps))
		for i := range h {
			h[i] = make([]uint32, HistBins+1)
		}
		return h
	}
	a.msp, a.ent = hists(), hists()
	if withOutliers {
		a.mspOut, a.entOut = hists(), hists()
	}
	return a
}

// add accumulates one image's inlier pixels (gt below the class count)
// from its logits [classes][pixels], split over the CPUs, and returns how
// many pixels it counted.
func (a *tempAccum) add(gt []uint8, logits []float32) int64 {
	hw := len(gt)
	workers := min(runtime.GOMAXPROCS(0), 8)
	partial := make([][]float64, workers)
	counts, outliers := make([]int64, workers), make([]int64, workers)
	var wg sync.WaitGroup
	for w := range workers {
		partial[w] = make([]float64, len(a.temps))
		wg.Add(1)
		go func() {
			defer wg.Done()
			z := make([]float64, a.k)
			for p := w * hw / workers; p < (w+1)*hw/workers; p++ {
				g := gt[p]
				if g == GTOutlier && a.mspOut != nil {
					outliers[w]++
					for c := range a.k {
						z[c] = float64(logits[c*hw+p])
					}
					for ti, t := range a.temps {
						_, maxP, h := softmaxStats(z, 1/t)
						atomic.AddUint32(&a.mspOut[ti][bin(float32(1-maxP))], 1)
						atomic.AddUint32(&a.entOut[ti][bin(float32(h*a.invLogK))], 1)
					}
					continue
				}
				if int(g) >= a.k {
					continue // void, outlier or unknown to the model
				}
				counts[w]++
				for c := range a.k {
					z[c] = float64(logits[c*hw+p])
				}
				for ti, t := range a.temps {
					lse, maxP, h := softmaxStats(z, 1/t)
					partial[w][ti] += lse - z[g]/t
					atomic.AddUint32(&a.msp[ti][bin(float32(1-maxP))], 1)
					atomic.AddUint32(&a.ent[ti][bin(float32(h*a.invLogK))], 1)
				}
			}
		}()
	}
	wg.Wait()
	var n int64
	for w := range workers {
		n += counts[w]
		a.outliers += outliers[w]
		for ti := range a.temps {
			a.nll[ti] += partial[w][ti]
		}
	}
	return n
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
	if c.AP != nil {
		ap := map[string]any{}
		for k, m := range c.AP {
			byT := map[string]float64{}
			for t, v := range m {
				byT[fmt.Sprint(t)] = math.Round(v*1e5) / 1e5
			}
			ap[k] = byT
		}
		spec.Scoring.Calibration["ap_per_temperature"] = ap
	}
	return nil
}

// frameLogits gathers model-sized logits [K, mh*mw] into frame-sized
// planes [K, len(rows)*len(cols)] through the result's pixel map.
func frameLogits(dst, logits []float32, k, plane, mw int, rows, cols []int) []float32 {
	n := len(rows) * len(cols)
	if cap(dst) < k*n {
		dst = make([]float32, k*n)
	}
	dst = dst[:k*n]
	for c := range k {
		src, out := logits[c*plane:(c+1)*plane], dst[c*n:(c+1)*n]
		for y, my := range rows {
			row := out[y*len(cols) : (y+1)*len(cols)]
			for x, mx := range cols {
				row[x] = src[my*mw+mx]
			}
		}
	}
	return dst
}
