package train

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"osr/train/nn"
)

// BenchOptions set up the training-step benchmark.
type BenchOptions struct {
	Model         LDNConfig
	Batch, H, W   int
	Steps, Warmup int
	Rounds        int    // alternating osr/PyTorch rounds; medians over all
	Python        string // python3 with torch; "" skips the reference
	Script        string // bench/ldn_torch.py
}

// DefaultBench is the reference point: the default CPU model,
// batch 4, 480x360 crops.
func DefaultBench() BenchOptions {
	return BenchOptions{Model: SmallLDN(11), Batch: 4, H: 360, W: 480, Steps: 5, Warmup: 1, Rounds: 3,
		Python: "/usr/bin/python3", Script: "bench/ldn_torch.py"}
}

// BenchResult is one run of the benchmark; times are medians.
type BenchResult struct {
	Batch       int     `json:"batch"`
	Height      int     `json:"height"`
	Width       int     `json:"width"`
	GoStepMS    float64 `json:"go_step_ms"`
	TorchStepMS float64 `json:"torch_step_ms,omitempty"`
	Ratio       float64 `json:"ratio,omitempty"` // Go / PyTorch
	Torch       string  `json:"torch,omitempty"`
	TorchError  string  `json:"torch_error,omitempty"`
	StepGFLOP   float64 `json:"step_gflop"` // convolution work per step
	GoGFLOPS    float64 `json:"go_gflops"`
	PeakGFLOPS  float64 `json:"sgemm_peak_gflops"` // OpenBLAS SGEMM, all cores, median of the rounds
	PeakShare   float64 `json:"peak_share"`
	Threads     int     `json:"threads"`
	// SIMD is whether the element-wise kernels ran vectorised (a build
	// with GOEXPERIMENT=simd on AVX2); the results are the same either way.
	SIMD bool `json:"simd"`
}

// BenchTrain times training steps (forward, backward, Adam) of the
// segmenter and the same network in PyTorch on the same machine, in
// alternating rounds so that a slow spell of a shared machine hits both,
// and the machine's SGEMM peak after osr's steps in every round.
func BenchTrain(ctx context.Context, o BenchOptions) (*BenchResult, error) {
	r := &BenchResult{Batch: o.Batch, Height: o.H, Width: o.W, Threads: runtime.GOMAXPROCS(0), SIMD: nn.SIMD()}
	st, err := benchStep(o.Model, o.Batch, o.H, o.W)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	// The SGEMM peak is measured in every round, after osr's steps, and
	// its median taken: measured once, on a shared machine it read
	// anything from 25 to 92 GFLOP/s within minutes.
	peak := newSGEMMPeak()
	var goMS, torchMS, peaks []float64
	for round := range max(1, o.Rounds) {
		for i := range o.Warmup + o.Steps {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			t := time.Now()
			if _, err := st.Run(); err != nil {
				return nil, err
			}
			if i >= o.Warmup || round > 0 {
				goMS = append(goMS, float64(time.Since(t).Microseconds())/1000)
			}
		}
		peaks = append(peaks, peak())
		if o.Python != "" && r.TorchError == "" {
			ms, err := torchStep(ctx, o, r)
			if err != nil {
				r.TorchError = err.Error()
			} else {
				torchMS = append(torchMS, ms)
			}
		}
	}
	times := goMS
	r.GoStepMS = median(times)
	r.StepGFLOP = st.FLOPs() / 1e9
	r.GoGFLOPS = r.StepGFLOP / (r.GoStepMS / 1000)
	r.PeakGFLOPS = median(peaks)
	r.PeakShare = r.GoGFLOPS / r.PeakGFLOPS
	if len(torchMS) > 0 {
		r.TorchStepMS = median(torchMS)
		r.Ratio = r.GoStepMS / r.TorchStepMS
	}
	return r, nil
}

// benchStep is a segmenter training step with the paper's optimiser
// groups on random images and labels.
func benchStep(m LDNConfig, batch, h, w int) (*segStep, error) {
	net, err := NewLDN(m, 1)
	if err != nil {
		return nil, err
	}
	st, err := newSegStep(net, nil, batch, h, w, DefaultReplicas, false)
	if err != nil {
		return nil, err
	}
	enc, up := net.Groups()
	st.opt = nn.NewAdam([]nn.Group{{Params: enc, LR: 1e-4}, {Params: up, LR: 4e-4}}, 1000, 1e-7)
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range st.Input {
		st.Input[i] = float32(rng.NormFloat64())
	}
	for i := range st.Labels {
		st.Labels[i] = uint8(rng.IntN(m.Classes))
	}
	return st, nil
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// torchStep runs the PyTorch reference once and returns its median step.
func torchStep(ctx context.Context, o BenchOptions, r *BenchResult) (float64, error) {
	cfg := map[string]any{"classes": o.Model.Classes, "stem": o.Model.Stem, "growth": o.Model.Growth,
		"blocks": o.Model.Blocks, "bottleneck": o.Model.Bottleneck, "compression": o.Model.Compression, "up": o.Model.Up}
	args, _ := json.Marshal(map[string]any{"threads": r.Threads, "batch": o.Batch, "height": o.H, "width": o.W,
		"warmup": o.Warmup, "steps": o.Steps, "config": cfg})
	out, err := exec.CommandContext(ctx, o.Python, o.Script, string(args)).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return 0, fmt.Errorf("PyTorch reference: %v: %s", err, lastLine(ee.Stderr))
		}
		return 0, fmt.Errorf("PyTorch reference: %w", err)
	}
	var res struct {
		StepMS float64 `json:"step_ms"`
		Torch  string  `json:"torch"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		return 0, fmt.Errorf("PyTorch reference printed %q: %w", out, err)
	}
	r.Torch = res.Torch
	return res.StepMS, nil
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}

// newSGEMMPeak returns a measurement of OpenBLAS's SGEMM rate on 2048²
// matrices, one single-threaded GEMM per core at once (how the ops call
// it), in GFLOP/s; the matrices are allocated once for every call.
func newSGEMMPeak() func() float64 {
	const n, reps = 2048, 3
	k := runtime.GOMAXPROCS(0)
	mats := make([][3][]float32, k)
	for i := range mats {
		for j := range 3 {
			mats[i][j] = make([]float32, n*n)
			for q := range mats[i][j] {
				mats[i][j][q] = float32(q%7) * 0.1
			}
		}
	}
	gemm := func(m [3][]float32) {
		g := func(d []float32) blas32.General { return blas32.General{Rows: n, Cols: n, Stride: n, Data: d} }
		blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, g(m[0]), g(m[1]), 0, g(m[2]))
	}
	return func() float64 {
		for _, m := range mats {
			gemm(m) // warm up
		}
		t := time.Now()
		var wg sync.WaitGroup
		for _, m := range mats {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range reps {
					gemm(m)
				}
			}()
		}
		wg.Wait()
		return 2 * n * n * n * float64(reps*k) / time.Since(t).Seconds() / 1e9
	}
}
