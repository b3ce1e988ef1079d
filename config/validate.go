package config

import (
	"errors"
	"fmt"
)

// Validate checks ranges and enumerations, returning every problem found.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if c.Model == "" {
		bad("model", "must name a model directory")
	}
	oneOf(bad, "runtime.device", c.Runtime.Device, "cpu", "cuda", "tensorrt")
	oneOf(bad, "runtime.fallback", c.Runtime.Fallback, "cpu", "fail")
	if c.Runtime.GPUID < 0 {
		bad("runtime.gpu_id", "must be >= 0, got %d", c.Runtime.GPUID)
	}
	if c.Runtime.IntraOpThreads < 0 || c.Runtime.IntraOpThreads > 1024 {
		bad("runtime.intra_op_threads", "must be in [0,1024] (0 = ONNX Runtime default), got %d", c.Runtime.IntraOpThreads)
	}
	if c.Runtime.InterOpThreads < 0 || c.Runtime.InterOpThreads > 1024 {
		bad("runtime.inter_op_threads", "must be in [0,1024] (0 = ONNX Runtime default), got %d", c.Runtime.InterOpThreads)
	}
	if c.Scoring.Kind != "" {
		oneOf(bad, "scoring.kind", c.Scoring.Kind, "msp", "entropy")
	}
	if c.Scoring.Temperature < 0 || c.Scoring.Temperature > 1000 {
		bad("scoring.temperature", "must be in (0,1000], or 0 to keep the model's, got %g", c.Scoring.Temperature)
	}
	if c.Scoring.Threshold > 1 {
		bad("scoring.threshold", "must be in [0,1], or negative to keep the model's, got %g", c.Scoring.Threshold)
	}
	oneOf(bad, "preprocess.resize", c.Preprocess.Resize, "stretch", "letterbox")
	if c.Overlay.Alpha < 0 || c.Overlay.Alpha > 1 {
		bad("overlay.alpha", "must be in [0,1], got %g", c.Overlay.Alpha)
	}
	if len(c.Overlay.OutlierColor) != 3 {
		bad("overlay.outlier_color", "must be 3 values [r, g, b], got %d", len(c.Overlay.OutlierColor))
	}
	for _, v := range c.Overlay.OutlierColor {
		if v < 0 || v > 255 {
			bad("overlay.outlier_color", "values must be in [0,255], got %d", v)
			break
		}
	}
	return errors.Join(errs...)
}

func oneOf(bad func(string, string, ...any), key, v string, allowed ...string) {
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	bad(key, "must be one of %q, got %q", allowed, v)
}
