package model

import (
	"fmt"
	"log/slog"

	"osr/config"
)

// Options configure an Engine. Build them with OptionsFromConfig.
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
	Overrides      config.Scoring
	OverlayAlpha   float32
	OutlierColor   [3]uint8
	Logger         *slog.Logger
	// Logits adds the temperature-scaled logits at the input size to every
	// Result (Result.Logits), for calibration.
	Logits bool
}

// OptionsFromConfig maps the validated configuration onto engine options.
func OptionsFromConfig(c config.Config, log *slog.Logger) Options {
	o := Options{
		Library:  c.Runtime.Library,
		Device:   c.Runtime.Device,
		Fallback: c.Runtime.Fallback,
		GPUID:    c.Runtime.GPUID,
		GPU: GPUOptions{Plugins: c.Runtime.Plugins, ConvAlgoSearch: c.Runtime.CUDNNConvAlgoSearch,
			MemLimitMB: c.Runtime.GPUMemLimitMB, CUDAGraph: c.Runtime.CUDAGraph},
		IntraOpThreads: c.Runtime.IntraOpThreads,
		InterOpThreads: c.Runtime.InterOpThreads,
		Spin:           c.Runtime.Spin,
		Letterbox:      c.Preprocess.Resize == "letterbox",
		Overrides:      c.Scoring,
		OverlayAlpha:   float32(c.Overlay.Alpha),
		Logger:         log,
	}
	for i := 0; i < 3 && i < len(c.Overlay.OutlierColor); i++ {
		o.OutlierColor[i] = uint8(c.Overlay.OutlierColor[i])
	}
	return o
}

// DefaultOptions are the engine options of the default configuration.
func DefaultOptions() Options {
	return OptionsFromConfig(config.Default(), slog.Default())
}

// resolveScoring applies config overrides to the model's calibrated scoring.
// Another score kind takes that kind's calibrated temperature and threshold
// when model.yaml has them (osr calibrate writes both kinds); a threshold
// that no longer matches the score is named in a warning, since the mask
// then does not keep the calibrated share of inliers.
func resolveScoring(s Spec, o config.Scoring, log *slog.Logger) (Scoring, error) {
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
