package model

import (
	"fmt"
	"slices"
	"time"

	"osr/internal/imageio"
)

// BenchResult compares the ONNX Runtime session alone with the whole
// per-frame path the node takes, on the same engine and input.
type BenchResult struct {
	Model     string  `json:"model"`
	Provider  string  `json:"provider"`
	Width     int     `json:"width"`
	Height    int     `json:"height"`
	Frames    int     `json:"frames"`
	RawMS     float64 `json:"raw_ms"`                // median session Run
	E2EMS     float64 `json:"e2e_ms"`                // median rgb8 buffer -> four output buffers
	Ratio     float64 `json:"ratio"`                 // E2EMS / RawMS
	JPEGMS    float64 `json:"jpeg_e2e_ms,omitempty"` // median JPEG bytes -> four outputs
	JPEGRatio float64 `json:"jpeg_ratio,omitempty"`
}

// BenchEngine is what Bench needs of an engine: the whole per-frame path
// (Run) and its runtime alone on the last input (RunRaw).
type BenchEngine interface {
	Run(im Image, out *Result) error
	RunRaw() error
	Spec() Spec
	Provider() string
}

// Bench runs frames iterations after a warm-up. Each iteration times the
// end-to-end path (pre-processing, Run, post-processing, overlay), then the
// raw Run on the input it left, then, if jpeg is not empty, the path from
// the compressed bytes. Medians are reported.
func Bench(e BenchEngine, img Image, jpeg []byte, frames int) (BenchResult, error) {
	if frames < 1 {
		return BenchResult{}, fmt.Errorf("bench: frames must be >= 1, got %d", frames)
	}
	var res Result
	warm := min(10, frames)
	for range warm {
		if err := e.Run(img, &res); err != nil {
			return BenchResult{}, err
		}
	}
	raw := make([]time.Duration, frames)
	e2e := make([]time.Duration, frames)
	var jp []time.Duration
	for i := range frames {
		t0 := time.Now()
		if err := e.Run(img, &res); err != nil {
			return BenchResult{}, err
		}
		t1 := time.Now()
		if err := e.RunRaw(); err != nil {
			return BenchResult{}, err
		}
		t2 := time.Now()
		e2e[i], raw[i] = t1.Sub(t0), t2.Sub(t1)
		if len(jpeg) > 0 {
			t3 := time.Now()
			d, err := imageio.Decode(jpeg)
			if err != nil {
				return BenchResult{}, fmt.Errorf("bench jpeg: %w", err)
			}
			if err := e.Run(d.RGB, &res); err != nil {
				return BenchResult{}, err
			}
			jp = append(jp, time.Since(t3))
		}
	}
	r := BenchResult{
		Model: e.Spec().Name, Provider: e.Provider(), Width: img.Width, Height: img.Height, Frames: frames,
		RawMS: median(raw), E2EMS: median(e2e),
	}
	r.Ratio = r.E2EMS / r.RawMS
	if len(jp) > 0 {
		r.JPEGMS = median(jp)
		r.JPEGRatio = r.JPEGMS / r.RawMS
	}
	return r, nil
}

func median(ds []time.Duration) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return float64(m.Nanoseconds()) / 1e6
}
