package model

import (
	"runtime"
	"testing"

	"osr/internal/cputime"
	"osr/internal/imageio"
	"osr/internal/parallel"
)

// shippedEngine opens the bundled camvid-so (240x180 input) with the
// node's default options, and a 480x360 CamVid frame.
func shippedEngine(b *testing.B) (*Engine, Image) {
	pkg, err := Load("../models/camvid-so")
	if err != nil {
		b.Skip(err)
	}
	e, err := NewEngine(pkg, DefaultOptions())
	if err != nil {
		b.Skip(err)
	}
	b.Cleanup(func() { e.Close() })
	im, err := imageio.ReadFile("../demo/camvid/0001TP_008550.jpg")
	if err != nil {
		b.Fatal(err)
	}
	return e, im
}

// loop runs f b.N times and adds the calling thread's CPU time per call.
func loop(b *testing.B, f func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ReportAllocs()
	t0 := cputime.Thread()
	for b.Loop() {
		f()
	}
	b.ReportMetric(float64(cputime.Thread()-t0)/float64(b.N), "thread-cpu-ns/op")
}

// BenchmarkFrame is the node's per-frame path with the shipped model on a
// 480x360 frame (frame: rgb8 buffer to the four outputs; allocs/op must be
// 0), the runtime alone (raw), and osr's own stages on one worker and on
// the engine's pool.
func BenchmarkFrame(b *testing.B) {
	e, im := shippedEngine(b)
	var out Result
	if err := e.Run(im, &out); err != nil {
		b.Fatal(err)
	}
	labels, score, mask := e.labels.GetData(), e.score.GetData(), e.mask.GetData()
	b.Run("frame", func(b *testing.B) { loop(b, func() { e.Run(im, &out) }) })
	b.Run("raw", func(b *testing.B) { loop(b, func() { e.RunRaw() }) })
	for _, c := range []struct {
		name string
		pool *parallel.Pool
	}{{"one", nil}, {"pool", e.pool}} {
		b.Run("pre-"+c.name, func(b *testing.B) {
			loop(b, func() { Preprocess(e.input.GetData(), im, &e.layout, e.norm, c.pool) })
		})
		b.Run("post-"+c.name, func(b *testing.B) {
			loop(b, func() { Postprocess(&out, im, &e.layout, e.painter, labels, score, mask, c.pool) })
		})
	}
}

func BenchmarkPlanes(b *testing.B) {
	im := randomImage(480, 360, 1)
	n := NewNormalizer(Input{Mean: [3]float32{0.5, 0.5, 0.5}, Std: [3]float32{0.2, 0.2, 0.2}})
	dst := make([]float32, 3*480*360)
	b.SetBytes(int64(len(im.Pix)))
	for b.Loop() {
		n.planes(dst, im.Pix, 0, 480*360)
	}
}

func BenchmarkOverlay(b *testing.B) {
	im := randomImage(480, 360, 1)
	labels := make([]uint8, 480*360)
	mask := make([]uint8, 480*360)
	for i := range labels {
		labels[i] = uint8(i % 10)
		if i%17 == 0 {
			mask[i] = 255
		}
	}
	p := NewPainter(make([][3]uint8, 10), 0.5, [3]uint8{255, 0, 255}, 10)
	dst := make([]uint8, 3*480*360)
	w := newRowWeights(480)
	b.SetBytes(int64(len(im.Pix)))
	for b.Loop() {
		p.paint(dst, im.Pix, labels, mask, w)
	}
}
