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
		Library:        c.Runtime.Library,
		Device:         c.Runtime.Device,
		Fallback:       c.Runtime.Fallback,
		GPUID:          c.Runtime.GPUID,
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
func resolveScoring(s Spec, o config.Scoring) (Scoring, error) {
	sc := Scoring{Kind: s.Scoring.Kind, Temperature: s.Scoring.Temperature, Threshold: s.Scoring.Threshold, UnknownID: -1}
	if o.Kind != "" {
		sc.Kind = o.Kind
	}
	if o.Temperature > 0 {
		sc.Temperature = float32(o.Temperature)
	}
	if o.Threshold >= 0 {
		sc.Threshold = float32(o.Threshold)
	}
	if o.OpenSet && s.Scoring.UnknownID != nil {
		sc.UnknownID = *s.Scoring.UnknownID
	}
	if sc.Kind != "msp" && sc.Kind != "entropy" {
		return sc, fmt.Errorf("score kind %q: want msp or entropy", sc.Kind)
	}
	return sc, nil
}
