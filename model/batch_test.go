package model

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"unsafe"
)

// A batch gives each frame exactly what a run of that frame alone gives,
// for frames of the model's size and of other sizes in one batch.
func TestRunBatchMatchesSingleRuns(t *testing.T) {
	net := newTestNet(5, 32, 24, 7)
	dir := writePackage(t, net.spec(), net.onnx())
	opts := DefaultOptions()
	opts.MaxBatch = 4
	e := openEngine(t, dir, opts)
	ims := []Image{randomImage(32, 24, 1), randomImage(64, 48, 2), randomImage(40, 30, 3), randomImage(32, 24, 4)}
	for n := 2; n <= 4; n++ {
		batchMatchesAlone(t, e, ims[:n], 0)
	}
	if err := e.RunBatch(ims[:1], []*Result{{}}); err != nil {
		t.Errorf("batch of 1: %v", err)
	}
	five := append(slices.Clone(ims), ims[0])
	if err := e.RunBatch(five, make([]*Result, 5)); err == nil {
		t.Error("a batch above MaxBatch ran")
	}
}

// shippedModel is the model package osr ships; it skips without one.
func shippedModel(tb testing.TB) string {
	tb.Helper()
	dir := filepath.Join("..", "models", "camvid-so")
	if _, err := os.Stat(filepath.Join(dir, ONNXFile)); err != nil {
		tb.Skipf("no shipped model: %v", err)
	}
	return dir
}

// batchMatchesAlone runs ims as one batch and each frame alone, and
// compares the two as sameOutputs does.
func batchMatchesAlone(t *testing.T, e *Engine, ims []Image, tol float64) {
	t.Helper()
	n := len(ims)
	outs := make([]*Result, n)
	for i := range outs {
		outs[i] = &Result{}
	}
	if err := e.RunBatch(ims, outs); err != nil {
		t.Fatalf("batch of %d: %v", n, err)
	}
	for i, im := range ims {
		var alone Result
		if err := e.Run(im, &alone); err != nil {
			t.Fatal(err)
		}
		sameOutputs(t, n, i, *outs[i], alone, tol)
	}
}

// sameOutputs compares labels, mask and overlay byte for byte, and the
// scores within tol (0: byte for byte).
func sameOutputs(t *testing.T, n, i int, got, want Result, tol float64) {
	t.Helper()
	if got.Width != want.Width || got.Height != want.Height {
		t.Fatalf("batch of %d, frame %d: %dx%d, alone %dx%d", n, i, got.Width, got.Height, want.Width, want.Height)
	}
	for _, c := range []struct {
		name      string
		got, want []byte
	}{
		{"labels", got.Labels, want.Labels},
		{"mask", got.Mask, want.Mask},
		{"overlay", got.Overlay, want.Overlay},
	} {
		if !bytes.Equal(c.got, c.want) {
			t.Errorf("batch of %d, frame %d: %s differ from the frame run alone", n, i, c.name)
		}
	}
	if tol == 0 {
		if !bytes.Equal(floatBytes(got.Score), floatBytes(want.Score)) {
			t.Errorf("batch of %d, frame %d: score differs from the frame run alone", n, i)
		}
		return
	}
	for j := range want.Score {
		if d := math.Abs(float64(got.Score[j] - want.Score[j])); d > tol {
			t.Fatalf("batch of %d, frame %d: score[%d] %g, alone %g", n, i, j, got.Score[j], want.Score[j])
		}
	}
}

func floatBytes(f []float32) []byte {
	if len(f) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&f[0])), 4*len(f))
}

// The shipped model, batched: labels, mask and overlay are the same bytes
// per frame as alone; ONNX Runtime's convolutions block a batch of 2
// differently, so scores may differ in the last bit (measured: 1.3e-7).
func TestRunBatchShippedModel(t *testing.T) {
	opts := DefaultOptions()
	opts.MaxBatch = 2
	e := openEngine(t, shippedModel(t), opts)
	batchMatchesAlone(t, e, []Image{randomImage(480, 360, 5), randomImage(240, 180, 6)}, 1e-6)
}

// Rescoring rebuilds the batch sessions with the new scoring.
func TestRunBatchAfterRescore(t *testing.T) {
	net := newTestNet(5, 32, 24, 9)
	dir := writePackage(t, net.spec(), net.onnx())
	opts := DefaultOptions()
	opts.MaxBatch = 2
	e := openEngine(t, dir, opts)
	if err := e.Rescore(Overrides{Kind: "entropy", Threshold: 0.2, OpenSet: true}, 0.3); err != nil {
		t.Fatal(err)
	}
	batchMatchesAlone(t, e, []Image{randomImage(32, 24, 1), randomImage(32, 24, 2)}, 0)
}

// Four 480x360 frames of the shipped model: one batch against four runs
// (go test -run - -bench RunFour ./model).
func BenchmarkRunFour(b *testing.B) {
	opts := DefaultOptions()
	opts.MaxBatch = 4
	e := openEngine(b, shippedModel(b), opts)
	ims := make([]Image, 4)
	outs := make([]*Result, 4)
	for i := range ims {
		ims[i], outs[i] = randomImage(480, 360, uint64(i)), &Result{}
	}
	b.Run("batch", func(b *testing.B) {
		for b.Loop() {
			if err := e.RunBatch(ims, outs); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("singles", func(b *testing.B) {
		for b.Loop() {
			for i := range ims {
				if err := e.Run(ims[i], outs[i]); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
