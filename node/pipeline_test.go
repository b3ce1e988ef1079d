package node

import (
	"context"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"osr/internal/imageio"
	"osr/model"
	"osr/msgs"
)

// recorder is a sink that keeps what it is given, like a subscriber would.
type recorder struct {
	mu   sync.Mutex
	msgs []any
	subs bool
}

func (r *recorder) Publish(m any) {
	r.mu.Lock()
	r.msgs = append(r.msgs, m)
	r.mu.Unlock()
}

func (r *recorder) HasSubscribers() bool { return r.subs }

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.msgs)
}

func (r *recorder) last() any {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.msgs) == 0 {
		return nil
	}
	return r.msgs[len(r.msgs)-1]
}

// openBundled opens the bundled model with default options.
func openBundled(t testing.TB) *model.Engine {
	t.Helper()
	return openBundledWith(t, model.DefaultOptions())
}

func openBundledWith(t testing.TB, opts model.Options) *model.Engine {
	t.Helper()
	e, err := model.Open("../models/camvid-so", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func demoFrame(t *testing.T, enc string) *msgs.Image {
	t.Helper()
	im, err := imageio.ReadFile("../demo/camvid/0001TP_008550.jpg")
	if err != nil {
		t.Fatal(err)
	}
	m := &msgs.Image{Header: msgs.Header{Seq: 7, Stamp: time.Unix(1000, 5e6), FrameId: "cam"},
		Width: uint32(im.Width), Height: uint32(im.Height), Encoding: enc, Step: uint32(3 * im.Width), Data: im.Pix}
	if enc == msgs.BGR8 {
		m.Data = append([]uint8(nil), im.Pix...)
		for i := 0; i < len(m.Data); i += 3 {
			m.Data[i], m.Data[i+2] = m.Data[i+2], m.Data[i]
		}
	}
	return m
}

func newTestPipeline(t *testing.T) (*Pipeline, map[string]*recorder) {
	rec := map[string]*recorder{}
	for _, k := range []string{"labels", "score", "mask", "overlay", "diag"} {
		rec[k] = &recorder{subs: true}
	}
	rec["score"].subs = false
	p := NewPipeline(openBundled(t), Sinks{Labels: rec["labels"], Score: rec["score"], Mask: rec["mask"], Overlay: rec["overlay"], Diagnostics: rec["diag"]},
		Options{Name: "/osr", DiagnosticsPeriod: 100 * time.Millisecond})
	return p, rec
}

func TestPipelinePublishesWithHeaderAndSkipsUnsubscribed(t *testing.T) {
	p, rec := newTestPipeline(t)
	p.process(Frame{Raw: demoFrame(t, msgs.BGR8), Received: time.Now()})
	for _, k := range []string{"labels", "mask", "overlay"} {
		m, ok := rec[k].last().(*msgs.Image)
		if !ok {
			t.Fatalf("%s: nothing published", k)
		}
		if m.Header.FrameId != "cam" || !m.Header.Stamp.Equal(time.Unix(1000, 5e6)) || m.Header.Seq != 7 {
			t.Errorf("%s: header %+v not copied from the input", k, m.Header)
		}
		if m.Width != 480 || m.Height != 360 || int(m.Step)*int(m.Height) != len(m.Data) {
			t.Errorf("%s: %dx%d step %d with %d bytes", k, m.Width, m.Height, m.Step, len(m.Data))
		}
	}
	if rec["score"].count() != 0 {
		t.Error("score published with no subscriber")
	}
	// bgr8 input: the overlay must match the one from the same frame as rgb8.
	bgrOverlay := rec["overlay"].last().(*msgs.Image).Data
	p.process(Frame{Raw: demoFrame(t, msgs.RGB8), Received: time.Now()})
	rgbOverlay := rec["overlay"].last().(*msgs.Image).Data
	if string(bgrOverlay) != string(rgbOverlay) {
		t.Error("bgr8 and rgb8 inputs of the same frame give different overlays")
	}
}

func TestPipelineCountsBadFramesAndGoesOn(t *testing.T) {
	p, rec := newTestPipeline(t)
	bad := demoFrame(t, msgs.RGB8)
	bad.Step = 10
	p.process(Frame{Raw: bad, Received: time.Now()})
	p.process(Frame{Compressed: &msgs.CompressedImage{Format: "jpeg", Data: []byte{0xff, 0xd8, 0xff}}, Received: time.Now()})
	p.process(Frame{Received: time.Now()})
	p.process(Frame{Raw: demoFrame(t, msgs.RGB8), Received: time.Now()})
	snap := p.cams[0].stats.take(time.Second, 0)
	if snap.Bad != 3 || snap.TotalOut != 1 {
		t.Fatalf("bad %d out %d, want 3 bad frames skipped and the good one published", snap.Bad, snap.TotalOut)
	}
	if rec["labels"].count() != 1 {
		t.Fatalf("labels published %d times", rec["labels"].count())
	}
}

// A message the transport could not even decode counts as received and bad.
func TestPipelineRejectCountsUndecodableMessages(t *testing.T) {
	p, _ := newTestPipeline(t)
	p.Reject(&msgs.BadFrameError{Reason: "sensor_msgs/msg/Image: truncated uint32"})
	snap := p.cams[0].stats.take(time.Second, 0)
	if snap.Bad != 1 || snap.TotalIn != 1 || !strings.Contains(snap.LastBad, "truncated uint32") {
		t.Fatalf("%+v", snap)
	}
}

func TestPipelineRunDropsAndReports(t *testing.T) {
	p, rec := newTestPipeline(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Run(ctx) }()
	frame := demoFrame(t, msgs.RGB8)
	// Offer far faster than inference for half a second.
	deadline := time.Now().Add(500 * time.Millisecond)
	offered := 0
	for time.Now().Before(deadline) {
		p.Offer(Frame{Raw: frame})
		offered++
		time.Sleep(time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	out := rec["labels"].count()
	dropped := p.cams[0].slot.Dropped()
	if dropped == 0 || out == 0 || uint64(out)+dropped > uint64(offered) {
		t.Fatalf("offered %d, published %d, dropped %d", offered, out, dropped)
	}
	d, ok := rec["diag"].last().(*msgs.DiagnosticArray)
	if !ok {
		t.Fatal("no diagnostics published")
	}
	st := d.Status[0]
	kv := map[string]string{}
	for _, v := range st.Values {
		kv[v.Key] = v.Value
	}
	for _, k := range []string{"input_rate_hz", "output_rate_hz", "latency_mean_ms", "latency_p50_ms", "latency_p95_ms", "latency_p99_ms", "frames_dropped", "bad_frames", "outlier_share", "execution_provider", "execution_device", "model", "rss_mib", "goroutines"} {
		if _, ok := kv[k]; !ok {
			t.Errorf("diagnostics lack %s: %v", k, kv)
		}
	}
	if kv["model"] != "camvid-so" || kv["execution_provider"] != model.ProviderCPU || kv["execution_device"] != "cpu" ||
		st.Name != "osr: open-set segmentation" || st.HardwareId != "cpu" {
		t.Errorf("diagnostics %+v", st)
	}
	t.Logf("offered %d frames in 0.5 s: published %d, dropped %d", offered, out, dropped)
}

type discard struct{ n atomic.Int64 }

func (d *discard) Publish(any)          { d.n.Add(1) }
func (d *discard) HasSubscribers() bool { return true }

// Resource bounds: after warm-up, neither the Go heap nor the resident set
// grows with the number of frames (the latest-frame slot is the only
// queue), and Run leaves no goroutine behind.
func TestPipelineResourceBounds(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 420 frames")
	}
	eng := openBundled(t)
	before := runtime.NumGoroutine()
	out, labels := &discard{}, &discard{}
	p := NewPipeline(eng, Sinks{Labels: labels, Score: out, Mask: out, Overlay: out, Diagnostics: out},
		Options{Name: "/osr", DiagnosticsPeriod: 50 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Run(ctx) }()
	frame := demoFrame(t, msgs.RGB8)
	published := func() int64 { return labels.n.Load() }
	// heap is the live Go heap once the pipeline is idle: the frame last
	// offered is processed, so no frame's buffers are in flight.
	heap := func() uint64 {
		for n := int64(-1); n != published(); time.Sleep(100 * time.Millisecond) {
			n = published()
		}
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	run := func(frames int64) {
		for start := published(); published()-start < frames; time.Sleep(2 * time.Millisecond) {
			p.Offer(Frame{Raw: frame}) // faster than inference: most are dropped
		}
	}
	run(100) // warm-up: ONNX Runtime arenas, buffers
	heap0 := heap()
	// RSS moves by a few MiB either way as the allocators reuse memory, so
	// compare the median of the first and of the last samples.
	var rss []float64
	for range 8 {
		run(40)
		rss = append(rss, residentMiB())
	}
	heap1 := heap()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	median := func(v []float64) float64 {
		v = slices.Clone(v)
		slices.Sort(v)
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	first, last := median(rss[:4]), median(rss[4:])
	t.Logf("frames 100..420: Go heap %.1f -> %.1f MiB; RSS samples %.1f MiB (medians %.1f -> %.1f); %d frames dropped",
		float64(heap0)/(1<<20), float64(heap1)/(1<<20), rss, first, last, p.cams[0].slot.Dropped())
	if heap1 > heap0+1<<20 {
		t.Errorf("Go heap grew from %d to %d bytes over 320 frames", heap0, heap1)
	}
	if first > 0 && last > first*1.05 {
		t.Errorf("RSS grew from %.1f to %.1f MiB over 320 frames (more than 5 %%)", first, last)
	}
	for deadline := time.Now().Add(2 * time.Second); runtime.NumGoroutine() > before && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines after Run returned, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}
