package train

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	G "gorgonia.org/gorgonia"

	"osr/train/nn"
)

// MemoryRow is one network's training memory in one mode.
type MemoryRow struct {
	Network    string `json:"network"`
	Recompute  bool   `json:"recompute"`            // im2col recomputed in the weight gradient
	Checkpoint bool   `json:"checkpoint,omitempty"` // dense blocks recomputed in the backward pass
	// HeapMB is the live Go heap after a step: every buffer the step keeps.
	HeapMB float64 `json:"heap_mb"`
	// PeakRSSMB is the process's peak resident memory over building the
	// step and running it twice (0 where /proc cannot say).
	PeakRSSMB   float64 `json:"peak_rss_mb,omitempty"`
	StepMS      float64 `json:"step_ms"`
	Description string  `json:"description"`
}

// BenchMemory measures what recomputation saves: the segmenter's training
// step (batch 4, 480x360) and the flow's outlier sampling step (inverse
// plus the patch NLL, batch 4 at 32x32), each with the convolutions'
// column matrices kept from the forward pass and recomputed; then
// LDN-121's step without and with checkpointed dense blocks.
func BenchMemory(ctx context.Context) ([]MemoryRow, error) {
	var rows []MemoryRow
	for _, recompute := range []bool{false, true} {
		ms, mb, err := measure(func() (func() error, func(), error) { return segmenterStep(recompute) })
		if err != nil {
			return nil, err
		}
		rows = append(rows, MemoryRow{Network: "segmenter", Recompute: recompute, HeapMB: mb, PeakRSSMB: peakRSS(), StepMS: ms,
			Description: "default LDN, batch 4, 480x360"})
		ms, mb, err = measure(func() (func() error, func(), error) { return flowBenchStep(recompute) })
		if err != nil {
			return nil, err
		}
		rows = append(rows, MemoryRow{Network: "rnvp", Recompute: recompute, HeapMB: mb, PeakRSSMB: peakRSS(), StepMS: ms,
			Description: "paper's RNVP, sample + inverse + patch NLL, batch 4, 32x32"})
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	ldn, err := BenchCheckpoint(ctx)
	return append(rows, ldn...), err
}

// BenchCheckpoint measures what checkpointed dense blocks save: LDN-121's
// training step as config/camvid-ldn121.yaml runs it (batch 4 at 480x352
// in DefaultReplicas replicas, Adam), without and with checkpointing.
func BenchCheckpoint(ctx context.Context) ([]MemoryRow, error) {
	var rows []MemoryRow
	for _, ckpt := range []bool{false, true} {
		ms, mb, err := measure(func() (func() error, func(), error) { return ldn121Step(ckpt) })
		if err != nil {
			return nil, err
		}
		rows = append(rows, MemoryRow{Network: "ldn121", Recompute: true, Checkpoint: ckpt, HeapMB: mb, PeakRSSMB: peakRSS(),
			StepMS: ms, Description: "LDN-121 (config/camvid-ldn121.yaml), batch 4, 480x352"})
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	return rows, nil
}

func ldn121Step(checkpoint bool) (func() error, func(), error) {
	cfg := LDN121(11)
	cfg.Checkpoint = checkpoint
	st, err := benchStep(cfg, 4, 352, 480)
	if err != nil {
		return nil, nil, err
	}
	return func() error { _, err := st.Run(); return err }, func() { st.Close() }, nil
}

// resetPeakRSS makes the kernel's peak resident size start again from the
// current one (Linux: clear_refs 5), after handing the freed heap back.
func resetPeakRSS() {
	debug.FreeOSMemory()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// peakRSS is the process's peak resident memory in MiB since the last
// resetPeakRSS (VmHWM), or 0 where /proc has none.
func peakRSS() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			var kb float64
			if _, err := fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(v), " kB"), &kb); err == nil {
				return kb / 1024
			}
		}
	}
	return 0
}

// measure runs a step twice and reports the second's time and the live
// heap the step holds (its buffers) after it.
func measure(build func() (func() error, func(), error)) (float64, float64, error) {
	// Gorgonia's machines have finalizers: what they hold is freed only by
	// the collection after the one that ran them.
	runtime.GC()
	runtime.GC()
	resetPeakRSS()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	step, done, err := build()
	if err != nil {
		return 0, 0, err
	}
	defer done()
	if err := step(); err != nil {
		return 0, 0, err
	}
	t := time.Now()
	if err := step(); err != nil {
		return 0, 0, err
	}
	ms := float64(time.Since(t).Microseconds()) / 1000
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	return ms, float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / (1 << 20), nil
}

func segmenterStep(recompute bool) (func() error, func(), error) {
	net, err := NewLDN(SmallLDN(11), 1)
	if err != nil {
		return nil, nil, err
	}
	g := nn.NewGraph(net.Store)
	g.WS.KeepColumns = !recompute
	x, xv := g.Input("image", 4, 3, 360, 480)
	t := &nn.Targets{Labels: make([]uint8, 4*360*480)}
	loss := g.Apply(func() (*G.Node, error) { return nn.SegLoss(net.Forward(g, x, true), t) })
	p, err := nn.CompileLoss(g, loss, nil)
	if err != nil {
		return nil, nil, err
	}
	r := rand.New(rand.NewPCG(1, 1))
	for i, d := 0, xv.Float32s(); i < len(d); i++ {
		d[i] = float32(r.NormFloat64())
	}
	for i := range t.Labels {
		t.Labels[i] = uint8(r.IntN(11))
	}
	return func() error { _, err := p.Run(); return err }, func() { p.Close() }, nil
}

func flowBenchStep(recompute bool) (func() error, func(), error) {
	f, err := NewRNVP(DefaultRNVP(), 1)
	if err != nil {
		return nil, nil, err
	}
	fs, err := newFlowStep(f, 4, 32, 1, 1, !recompute)
	if err != nil {
		return nil, nil, err
	}
	r := rand.New(rand.NewPCG(2, 2))
	for _, d := range [][]float32{fs.patch.Float32s(), fs.upstream.Float32s()} {
		for j := range d {
			d[j] = float32(r.NormFloat64() * 1e-3)
		}
	}
	step := func() error {
		if _, err := fs.Sample(r); err != nil {
			return err
		}
		_, err := fs.Train()
		return err
	}
	return step, fs.Close, nil
}
