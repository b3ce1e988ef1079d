package model

import (
	"fmt"
	"slices"
	"time"

	"osr/internal/cputime"
	"osr/internal/imageio"
)

// BenchResult compares the ONNX Runtime session alone with the whole
// per-frame path the node takes, on the same engine and input. The figures
// are medians over alternating rounds, so that a slow spell of a shared
// machine hits both paths alike.
type BenchResult struct {
	Model    string `json:"model"`
	Provider string `json:"provider"`
	Device   string `json:"device"`      // cpu, or the GPU
	Runtime  string `json:"onnxruntime"` // ONNX Runtime's version
	// Spin is whether the runtime's workers busy-wait between runs
	// (runtime.spin); the node's default is false.
	Spin      bool    `json:"spin"`
	Width     int     `json:"width"`
	Height    int     `json:"height"`
	Frames    int     `json:"frames"` // per round and path
	RawMS     float64 `json:"raw_ms"` // median over rounds of the round's median session Run
	E2EMS     float64 `json:"e2e_ms"` // the same for rgb8 buffer -> four output buffers
	Ratio     float64 `json:"ratio"`  // median over rounds of the round's E2EMS / RawMS
	JPEGMS    float64 `json:"jpeg_e2e_ms,omitempty"`
	JPEGRatio float64 `json:"jpeg_ratio,omitempty"`
	// The process's CPU time per frame (all threads), which other load
	// on the machine disturbs far less than wall time.
	RawCPUMS float64      `json:"raw_cpu_ms"`
	E2ECPUMS float64      `json:"e2e_cpu_ms"`
	CPURatio float64      `json:"cpu_ratio"`
	Rounds   []BenchRound `json:"rounds"`
}

// BenchRound is one round's medians.
type BenchRound struct {
	RawMS     float64 `json:"raw_ms"`
	E2EMS     float64 `json:"e2e_ms"`
	Ratio     float64 `json:"ratio"`
	JPEGMS    float64 `json:"jpeg_e2e_ms,omitempty"`
	JPEGRatio float64 `json:"jpeg_ratio,omitempty"`
	RawCPUMS  float64 `json:"raw_cpu_ms"`
	E2ECPUMS  float64 `json:"e2e_cpu_ms"`
	CPURatio  float64 `json:"cpu_ratio"`
}

// BenchOptions say what Bench runs.
type BenchOptions struct {
	Frames int    // timed frames per round and path
	Rounds int    // alternating rounds
	JPEG   []byte // the frame's compressed bytes, to time decoding too; nil skips it
}

// BenchEngine is what Bench needs of an engine: the whole per-frame path
// (Run) and its runtime alone on the last input (RunRaw).
type BenchEngine interface {
	Run(im Image, out *Result) error
	RunRaw() error
	Spec() Spec
	Provider() string
	Device() string
	Spin() bool
}

// benchBlock is how many frames of one path Bench times in a row.
const benchBlock = 5

// Bench times the node's per-frame path (Run: pre-processing, the
// runtime, post-processing, overlay) against the runtime alone (RunRaw)
// on img, and with o.JPEG the path from the compressed bytes. Each round
// times o.Frames frames of each path, in blocks of benchBlock frames that
// take turns (node first, then raw first, from block to block and round to
// round). The ratio is the median of the rounds' ratios.
func Bench(e BenchEngine, img Image, o BenchOptions) (BenchResult, error) {
	if o.Frames < 1 || o.Rounds < 1 {
		return BenchResult{}, fmt.Errorf("bench: frames and rounds must be >= 1, got %d and %d", o.Frames, o.Rounds)
	}
	var res Result
	for range min(10, o.Frames) {
		if err := e.Run(img, &res); err != nil {
			return BenchResult{}, err
		}
	}
	node := func() error { return e.Run(img, &res) }
	var decoded []uint8 // reused from frame to frame, as the node reuses a camera's
	jpeg := func() error {
		d, err := imageio.DecodeInto(o.JPEG, decoded)
		if err != nil {
			return fmt.Errorf("bench jpeg: %w", err)
		}
		decoded = d.Pix
		return e.Run(d.RGB, &res)
	}
	r := BenchResult{Model: e.Spec().Name, Provider: e.Provider(), Device: e.Device(), Runtime: RuntimeVersion(), Spin: e.Spin(),
		Width: img.Width, Height: img.Height, Frames: o.Frames}
	paths := []func() error{node, e.RunRaw}
	if len(o.JPEG) > 0 {
		paths = append(paths, jpeg)
	}
	times := make([][]float64, len(paths))
	cpu := make([]time.Duration, len(paths))
	for i := range o.Rounds {
		for p := range times {
			times[p], cpu[p] = times[p][:0], 0
		}
		// Blocks of a few frames per path, in turn, so that a slow spell
		// of a shared machine falls on all paths of the round.
		for j := 0; j < o.Frames; j += benchBlock {
			for k := range paths {
				p := k
				if (i+j/benchBlock)%2 == 1 && k < 2 {
					p = 1 - k // node and raw swap places every other block
				}
				c0 := cputime.Process()
				for range min(benchBlock, o.Frames-j) {
					t0 := time.Now()
					if err := paths[p](); err != nil {
						return r, err
					}
					times[p] = append(times[p], ms(time.Since(t0)))
				}
				cpu[p] += cputime.Process() - c0
			}
		}
		rd := BenchRound{E2EMS: Median(times[0]), RawMS: Median(times[1])}
		rd.Ratio = rd.E2EMS / rd.RawMS
		rd.E2ECPUMS, rd.RawCPUMS = ms(cpu[0])/float64(o.Frames), ms(cpu[1])/float64(o.Frames)
		rd.CPURatio = rd.E2ECPUMS / rd.RawCPUMS
		if len(o.JPEG) > 0 {
			rd.JPEGMS = Median(times[2])
			rd.JPEGRatio = rd.JPEGMS / rd.RawMS
		}
		r.Rounds = append(r.Rounds, rd)
	}
	field := func(f func(BenchRound) float64) float64 {
		v := make([]float64, len(r.Rounds))
		for i, rd := range r.Rounds {
			v[i] = f(rd)
		}
		return Median(v)
	}
	r.RawMS = field(func(rd BenchRound) float64 { return rd.RawMS })
	r.E2EMS = field(func(rd BenchRound) float64 { return rd.E2EMS })
	r.Ratio = field(func(rd BenchRound) float64 { return rd.Ratio })
	r.RawCPUMS = field(func(rd BenchRound) float64 { return rd.RawCPUMS })
	r.E2ECPUMS = field(func(rd BenchRound) float64 { return rd.E2ECPUMS })
	r.CPURatio = field(func(rd BenchRound) float64 { return rd.CPURatio })
	if len(o.JPEG) > 0 {
		r.JPEGMS = field(func(rd BenchRound) float64 { return rd.JPEGMS })
		r.JPEGRatio = field(func(rd BenchRound) float64 { return rd.JPEGRatio })
	}
	return r, nil
}

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

// Median is the middle value of v (the mean of the middle two for an even
// count), or 0 for none; v is left unchanged.
func Median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 0 {
		return (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return s[len(s)/2]
}
