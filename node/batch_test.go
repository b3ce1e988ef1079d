package node

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"osr/config"
	"osr/internal/imageio"
	"osr/model"
	"osr/msgs"
)

// gateEngine is a batch engine whose runs wait for the test to open the
// gate, and which records each run's frames by their first byte. Its
// labels are the frame's first byte everywhere.
type gateEngine struct {
	mu      sync.Mutex
	batches [][]uint8
	gate    chan struct{} // one receive per run; nil: runs at once
	started chan struct{} // a run has started
	max     int           // MaxBatch; 0 means 4
}

func (e *gateEngine) Run(im model.Image, out *model.Result) error {
	return e.RunBatch([]model.Image{im}, []*model.Result{out})
}

func (e *gateEngine) RunBatch(ims []model.Image, outs []*model.Result) error {
	var ids []uint8
	for _, im := range ims {
		ids = append(ids, im.Pix[0])
	}
	e.mu.Lock()
	e.batches = append(e.batches, ids)
	e.mu.Unlock()
	select {
	case e.started <- struct{}{}:
	default:
	}
	if e.gate != nil {
		<-e.gate
	}
	for i, im := range ims {
		n := im.Width * im.Height
		o := outs[i]
		o.Width, o.Height = im.Width, im.Height
		o.Labels = bytes.Repeat([]byte{im.Pix[0]}, n)
		o.Mask, o.Score, o.Overlay = make([]uint8, n), make([]float32, n), make([]uint8, 3*n)
	}
	return nil
}

func (e *gateEngine) MaxBatch() int {
	if e.max == 0 {
		return 4
	}
	return e.max
}
func (e *gateEngine) Provider() string       { return "test" }
func (e *gateEngine) Device() string         { return "cpu" }
func (e *gateEngine) Spec() model.Spec       { return model.Spec{Name: "gate"} }
func (e *gateEngine) Scoring() model.Scoring { return model.Scoring{Kind: "msp"} }
func (e *gateEngine) runs() [][]uint8 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([][]uint8(nil), e.batches...)
}

// runGated runs p until the test ends, then opens eng's gate for good so
// that a run still waiting at it returns.
func runGated(t *testing.T, p *Pipeline, eng *gateEngine) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Run(ctx) }()
	t.Cleanup(func() { cancel(); close(eng.gate); <-done })
}

// camFrame is a 4x2 rgb8 frame of camera id, sequence seq.
func camFrame(id uint8, seq uint32) Frame {
	pix := bytes.Repeat([]byte{id}, 4*2*3)
	return Frame{Raw: &msgs.Image{Header: msgs.Header{Seq: seq, Stamp: time.Unix(int64(id), int64(seq)), FrameId: fmt.Sprint("cam", id)},
		Width: 4, Height: 2, Encoding: msgs.RGB8, Step: 12, Data: pix}}
}

func newCameras(t *testing.T, eng Engine, n int, window time.Duration) (*Pipeline, []*recorder, *recorder) {
	t.Helper()
	var cams []Camera
	var labels []*recorder
	for i := range n {
		r := &recorder{subs: true}
		labels = append(labels, r)
		cams = append(cams, Camera{Name: fmt.Sprint("cam", i), Sinks: Sinks{Labels: r}})
	}
	diag := &recorder{subs: true}
	p := NewCameraPipeline(eng, cams, diag, Options{Name: "/osr", BatchWindow: window, DiagnosticsPeriod: time.Hour})
	return p, labels, diag
}

// waitFor polls cond; the deadline only stops a broken test from hanging.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
	}
}

// While inference is busy, a flooding camera drops only its own stale
// frames; a camera with one frame keeps it; the next batch takes the
// newest frame of each waiting camera, and each camera's labels carry its
// own frame's header.
func TestCamerasSlotsAreIndependent(t *testing.T) {
	eng := &gateEngine{gate: make(chan struct{}), started: make(chan struct{}, 1)}
	p, labels, _ := newCameras(t, eng, 3, 0)
	runGated(t, p, eng)

	p.OfferFrom(0, camFrame(0, 1))
	<-eng.started // camera 0's frame is in the engine
	for seq := uint32(1); seq <= 10; seq++ {
		p.OfferFrom(1, camFrame(1, seq)) // floods
	}
	p.OfferFrom(2, camFrame(2, 1))
	eng.gate <- struct{}{} // finish camera 0's run
	<-eng.started
	eng.gate <- struct{}{} // and the next
	waitFor(t, "cameras 1 and 2", func() bool { return labels[1].count() == 1 && labels[2].count() == 1 })

	runs := eng.runs()
	if len(runs) != 2 || !bytes.Equal(runs[0], []byte{0}) || !bytes.Equal(runs[1], []byte{1, 2}) {
		t.Fatalf("runs %v, want [0] then cameras 1 and 2 batched", runs)
	}
	for i, want := range []struct {
		seq     uint32
		dropped uint64
	}{{1, 0}, {10, 9}, {1, 0}} {
		m := labels[i].last().(*msgs.Image)
		if m.Header.FrameId != fmt.Sprint("cam", i) || m.Header.Seq != want.seq || m.Data[0] != uint8(i) {
			t.Errorf("camera %d: labels with header %+v and value %d, want its own frame %d", i, m.Header, m.Data[0], want.seq)
		}
		if d := p.cams[i].slot.Dropped(); d != want.dropped {
			t.Errorf("camera %d dropped %d frames, want %d", i, d, want.dropped)
		}
	}
}

// With a batch window, frames of all cameras that come within it run as
// one batch, and a missing camera does not hold the others beyond it.
func TestCamerasBatchWindow(t *testing.T) {
	eng := &gateEngine{started: make(chan struct{}, 1)}
	p, labels, _ := newCameras(t, eng, 4, time.Hour) // ends only when all are in
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Run(ctx) }()
	for i := range 4 {
		p.OfferFrom(i, camFrame(uint8(i), 1))
	}
	waitFor(t, "four labels", func() bool {
		for _, l := range labels {
			if l.count() != 1 {
				return false
			}
		}
		return true
	})
	cancel()
	<-done
	if runs := eng.runs(); len(runs) != 1 || len(runs[0]) != 4 {
		t.Fatalf("runs %v, want one batch of the four cameras", runs)
	}

	eng = &gateEngine{started: make(chan struct{}, 1)}
	p, labels, _ = newCameras(t, eng, 4, 20*time.Millisecond)
	ctx, cancel = context.WithCancel(context.Background())
	go func() { done <- p.Run(ctx) }()
	defer func() { cancel(); <-done }()
	p.OfferFrom(2, camFrame(2, 1))
	waitFor(t, "camera 2 alone", func() bool { return labels[2].count() == 1 })
	if runs := eng.runs(); len(runs) != 1 || !bytes.Equal(runs[0], []byte{2}) {
		t.Fatalf("runs %v, want camera 2 alone once the window passed", runs)
	}
}

// An engine that takes one frame at a time (node.max_batch 1) gets the
// waiting frames one after the other, in the cameras' order.
func TestCamerasMaxBatch(t *testing.T) {
	eng := &gateEngine{max: 1}
	p, labels, _ := newCameras(t, eng, 3, 0)
	var batch []taken
	for i := range 3 {
		batch = append(batch, taken{p.cams[i], camFrame(uint8(i), 1)})
	}
	p.processBatch(batch)
	if runs := eng.runs(); len(runs) != 3 || runs[0][0] != 0 || runs[1][0] != 1 || runs[2][0] != 2 || len(runs[2]) != 1 {
		t.Fatalf("runs %v, want one frame per run", runs)
	}
	for i, l := range labels {
		if l.count() != 1 {
			t.Errorf("camera %d: %d labels", i, l.count())
		}
	}
}

// Without batches the cameras take turns, and a camera's frame stays in
// its slot until the engine is free for it: a newer frame that arrives
// while another camera runs replaces it there, so the stale one is never
// run (taking every waiting frame at once ran it, then the newer one).
func TestCamerasTakeTurnsWithoutBatches(t *testing.T) {
	eng := &gateEngine{max: 1, gate: make(chan struct{}), started: make(chan struct{}, 1)}
	p, labels, _ := newCameras(t, eng, 3, 0)
	runGated(t, p, eng)

	p.OfferFrom(0, camFrame(0, 1))
	<-eng.started // camera 0 runs
	p.OfferFrom(1, camFrame(1, 1))
	p.OfferFrom(2, camFrame(2, 1))
	eng.gate <- struct{}{}
	<-eng.started // camera 1 runs; camera 2's frame 1 still waits
	p.OfferFrom(2, camFrame(2, 2))
	eng.gate <- struct{}{}
	<-eng.started // camera 2 runs
	eng.gate <- struct{}{}
	waitFor(t, "camera 2's labels", func() bool { return labels[2].count() == 1 })
	if runs := eng.runs(); len(runs) != 3 || runs[0][0] != 0 || runs[1][0] != 1 || runs[2][0] != 2 {
		t.Fatalf("runs %v, want cameras 0, 1, 2 once each", runs)
	}
	if seq := labels[2].last().(*msgs.Image).Header.Seq; seq != 2 {
		t.Fatalf("camera 2 published frame %d, want its newest, 2", seq)
	}
	if d := p.cams[2].slot.Dropped(); d != 1 {
		t.Fatalf("camera 2 dropped %d frames, want the replaced one", d)
	}
}

// Per-camera diagnostics: one status per camera with its own counts, and
// the engine's with the batches.
func TestCamerasDiagnostics(t *testing.T) {
	eng := &gateEngine{}
	p, _, diag := newCameras(t, eng, 2, 0)
	p.OfferFrom(0, camFrame(0, 1))
	p.OfferFrom(0, camFrame(0, 2)) // drops frame 1
	p.OfferFrom(1, camFrame(1, 1))
	f0, _ := p.cams[0].slot.TryTake()
	f1, _ := p.cams[1].slot.TryTake()
	p.processBatch([]taken{{p.cams[0], f0}, {p.cams[1], f1}})
	p.RejectFrom(1, &msgs.BadFrameError{Reason: "truncated"})
	p.publishDiagnostics(time.Second)
	d := diag.last().(*msgs.DiagnosticArray)
	if len(d.Status) != 3 {
		t.Fatalf("%d statuses, want two cameras and the engine", len(d.Status))
	}
	val := func(st msgs.DiagnosticStatus, k string) string {
		for _, v := range st.Values {
			if v.Key == k {
				return v.Value
			}
		}
		return ""
	}
	c0, c1, e := d.Status[0], d.Status[1], d.Status[2]
	if c0.Name != "osr: camera cam0" || val(c0, "frames_in") != "2" || val(c0, "frames_out") != "1" || val(c0, "frames_dropped") != "1" {
		t.Errorf("camera 0 status %+v", c0)
	}
	if c1.Name != "osr: camera cam1" || val(c1, "frames_in") != "2" || val(c1, "bad_frames") != "1" || val(c1, "frames_dropped") != "0" {
		t.Errorf("camera 1 status %+v", c1)
	}
	if e.Name != "osr: engine" || val(e, "inferences") != "1" || val(e, "frames_inferred") != "2" || val(e, "batch_mean") != "2.00" || val(e, "model") != "gate" {
		t.Errorf("engine status %+v", e)
	}
}

// Four cameras batched through the shipped model publish, per camera,
// the bytes that camera's frame gives when run alone: labels, mask,
// overlay and the compressed PNGs; the scores agree to float rounding
// (ONNX Runtime blocks a batch's convolutions differently).
func TestCamerasBatchMatchesFramesAlone(t *testing.T) {
	opts := model.DefaultOptions()
	opts.MaxBatch = 4
	eng := openBundledWith(t, opts)
	files := []string{"0001TP_008550", "0001TP_008610", "0001TP_008700", "0001TP_008910"}
	var frames []Frame
	for i, f := range files {
		im, err := imageio.ReadFile("../demo/camvid/" + f + ".jpg")
		if err != nil {
			t.Fatal(err)
		}
		if i == 3 { // a camera of another size
			im = halve(im)
		}
		frames = append(frames, Frame{Raw: &msgs.Image{Header: msgs.Header{Seq: uint32(i), FrameId: fmt.Sprint("cam", i)},
			Width: uint32(im.Width), Height: uint32(im.Height), Encoding: msgs.RGB8, Step: uint32(3 * im.Width), Data: im.Pix}, Received: time.Now()})
	}
	outputs := func(p *Pipeline, cam int) map[string]*recorder {
		rec := map[string]*recorder{}
		for _, k := range []string{"labels", "score", "mask", "overlay", "labels/c", "mask/c"} {
			rec[k] = &recorder{subs: true}
		}
		p.cams[cam].sinks = Sinks{Labels: rec["labels"], Score: rec["score"], Mask: rec["mask"], Overlay: rec["overlay"],
			LabelsCompressed: rec["labels/c"], MaskCompressed: rec["mask/c"]}
		return rec
	}
	multi := NewCameraPipeline(eng, make([]Camera, 4), nil, Options{Name: "/osr", Objects: config.Default().Objects})
	var batched []map[string]*recorder
	var batch []taken
	for i, f := range frames {
		batched = append(batched, outputs(multi, i))
		batch = append(batch, taken{multi.cams[i], f})
	}
	multi.processBatch(batch)
	if n := multi.runs.Load(); n != 1 {
		t.Fatalf("%d inferences for four cameras, want one batch", n)
	}
	for i, f := range frames {
		alone := NewPipeline(eng, Sinks{}, Options{Name: "/osr"})
		want := outputs(alone, 0)
		alone.process(f)
		got := batched[i]
		for _, k := range []string{"labels", "mask", "overlay", "labels/c", "mask/c"} {
			if !bytes.Equal(data(got[k].last()), data(want[k].last())) {
				t.Errorf("camera %d: batched %s differ from the frame run alone", i, k)
			}
		}
		g, w := got["score"].last().(*msgs.Image), want["score"].last().(*msgs.Image)
		if g.Header != f.Raw.Header || len(g.Data) != len(w.Data) {
			t.Fatalf("camera %d: score header %+v, %d bytes", i, g.Header, len(g.Data))
		}
		for j := 0; j < len(g.Data); j += 4 {
			a, b := math.Float32frombits(le32(g.Data[j:])), math.Float32frombits(le32(w.Data[j:]))
			if math.Abs(float64(a-b)) > 1e-6 {
				t.Fatalf("camera %d: score %g batched, %g alone", i, a, b)
			}
		}
	}
}

func data(m any) []byte {
	switch m := m.(type) {
	case *msgs.Image:
		return m.Data
	case *msgs.CompressedImage:
		return m.Data
	}
	return nil
}

func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

// halve is im at half size, every other pixel.
func halve(im imageio.RGB) imageio.RGB {
	w, h := im.Width/2, im.Height/2
	out := imageio.RGB{Width: w, Height: h, Pix: make([]uint8, 3*w*h)}
	for y := range h {
		for x := range w {
			copy(out.Pix[3*(y*w+x):3*(y*w+x)+3], im.Pix[3*(2*y*im.Width+2*x):])
		}
	}
	return out
}
