package model

import (
	"fmt"
	"log/slog"
)

// Options configure an Engine. The command layer builds them from the
// configuration; DefaultOptions are the configuration's defaults.
type Options struct {
	Library        string
	Device         string // cpu, cuda or tensorrt
	Fallback       string // cpu or fail
	GPUID          int
	GPU            GPUOptions // the CUDA and TensorRT plugins
	IntraOpThreads int
	InterOpThreads int
	Spin           bool // let the runtime's workers busy-wait between runs
	Letterbox      bool
	Overrides      Overrides
	OverlayAlpha   float32
	OutlierColor   [3]uint8
	Logger         *slog.Logger
	// Logits adds the temperature-scaled logits at the input size to every
	// Result (Result.Logits), for calibration.
	Logits bool
	// MaxBatch opens sessions for up to this many frames in one run
	// (RunBatch), one per batch size, besides the one-frame session; 0 or
	// 1: none. Not with Logits.
	MaxBatch int
}

// Overrides change the model's calibrated outlier scoring (the config's
// scoring section). Zero values keep the model's, except Threshold, which
// a negative value keeps.
type Overrides struct {
	Kind        string  // msp or entropy; empty keeps the model's
	Temperature float64 // divides the logits before the softmax; 0 keeps the model's
	Threshold   float64 // on the score in [0,1]; negative keeps the model's
	OpenSet     bool    // paint outlier pixels with the model's unknown id in the labels
}

// DefaultOptions are the engine options of the default configuration:
// CPU with CPU fallback, the model's own scoring with open-set labels, a
// half-transparent overlay with magenta outliers. (A test in cmd/osr
// checks that they match config.Default.)
func DefaultOptions() Options {
	return Options{
		Device:       "cpu",
		Fallback:     "cpu",
		GPU:          GPUOptions{ConvAlgoSearch: "exhaustive"},
		Overrides:    Overrides{Threshold: -1, OpenSet: true},
		OverlayAlpha: 0.5,
		OutlierColor: [3]uint8{255, 0, 255},
		Logger:       slog.Default(),
	}
}

// resolveScoring applies config overrides to the model's calibrated scoring.
// Another score kind takes that kind's calibrated temperature and threshold
// when model.yaml has them (osr calibrate writes both kinds); a threshold
// that no longer matches the score is named in a warning, since the mask
// then does not keep the calibrated share of inliers.
func resolveScoring(s Spec, o Overrides, log *slog.Logger) (Scoring, error) {
	sc := Scoring{Kind: s.Scoring.Kind, Temperature: s.Scoring.Temperature, Threshold: s.Scoring.Threshold, UnknownID: -1}
	calibrated := s.Scoring.Calibration != nil
	if o.Kind != "" && o.Kind != sc.Kind {
		sc.Kind = o.Kind
		t, thr, ok := s.Scoring.CalibratedKind(o.Kind)
		if ok {
			sc.Temperature, sc.Threshold = t, thr
		}
		calibrated = ok
	}
	calT := sc.Temperature
	if o.Temperature > 0 {
		sc.Temperature = float32(o.Temperature)
	}
	if o.Threshold >= 0 {
		sc.Threshold = float32(o.Threshold)
	} else if calibrated && sc.Temperature != calT {
		log.Warn("the threshold was calibrated at another temperature: the outlier mask will not keep the calibrated share of inliers",
			"score", sc.Kind, "temperature", sc.Temperature, "calibrated_temperature", calT, "threshold", sc.Threshold)
	} else if !calibrated && o.Kind != "" && o.Kind != s.Scoring.Kind {
		log.Warn("model.yaml has no threshold calibrated for this score: it keeps the one for "+s.Scoring.Kind+" (osr calibrate --kind "+sc.Kind+" writes one)",
			"score", sc.Kind, "threshold", sc.Threshold)
	}
	if o.OpenSet && s.Scoring.UnknownID != nil {
		sc.UnknownID = *s.Scoring.UnknownID
	}
	if sc.Kind != "msp" && sc.Kind != "entropy" {
		return sc, fmt.Errorf("score kind %q: want msp or entropy", sc.Kind)
	}
	return sc, nil
}
