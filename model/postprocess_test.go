package model

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"osr/internal/parallel"
)

// Postprocess takes the nearest model pixel for frames of another size,
// and says what it was given when sizes do not match.
func TestPostprocessToFrame(t *testing.T) {
	in := Input{Width: 2, Height: 1}
	im := Image{Width: 4, Height: 2, Pix: make([]uint8, 24)}
	l := NewLayout(4, 2, in, false)
	p := NewPainter([][3]uint8{{0, 0, 0}, {0, 0, 0}}, 0.5, [3]uint8{255, 0, 255}, -1)
	var out Result
	if err := Postprocess(&out, im, &l, p, []uint8{0, 1}, []float32{0.1, 0.9}, []uint8{0, 255}, nil); err != nil {
		t.Fatal(err)
	}
	if out.Width != 4 || out.Height != 2 || !slices.Equal(out.Labels, []uint8{0, 0, 1, 1, 0, 0, 1, 1}) ||
		!slices.Equal(out.Score, []float32{0.1, 0.1, 0.9, 0.9, 0.1, 0.1, 0.9, 0.9}) || out.OutlierPixels != 4 {
		t.Fatalf("result %dx%d labels %v score %v outliers %d", out.Width, out.Height, out.Labels, out.Score, out.OutlierPixels)
	}
	if !slices.Equal(out.ModelRows, []int{0, 0}) || !slices.Equal(out.ModelCols, []int{0, 0, 1, 1}) {
		t.Errorf("pixel map rows %v cols %v", out.ModelRows, out.ModelCols)
	}
	if err := Postprocess(&out, im, &l, p, []uint8{0}, []float32{0.1, 0.9}, []uint8{0, 255}, nil); err == nil || !strings.Contains(err.Error(), "want 2x1") {
		t.Errorf("short labels: %v", err)
	}
}

// At frame sizes other than the model's, the one-pass upsampling and
// overlay give what taking each frame pixel's model pixel, then painting
// the frame, gives.
func TestPostprocessUpsamplesAndPaintsInOnePass(t *testing.T) {
	in := Input{Width: 12, Height: 9}
	n := in.Width * in.Height
	r := rand.New(rand.NewPCG(3, 4))
	labels, score, mask := make([]uint8, n), make([]float32, n), make([]uint8, n)
	for i := range n {
		labels[i], score[i] = uint8(r.IntN(6)), r.Float32()
		if score[i] > 0.7 {
			mask[i] = 255
		}
	}
	palette := [][3]uint8{{200, 0, 0}, {0, 200, 0}, {0, 0, 200}, {9, 9, 9}, {90, 90, 0}, {0, 90, 90}}
	p := NewPainter(palette, 0.4, [3]uint8{255, 0, 255}, 5)
	for _, size := range [][2]int{{24, 18}, {24, 14}, {31, 7}, {5, 40}, {12, 9}} {
		for _, letterbox := range []bool{false, true} {
			w, h := size[0], size[1]
			im := randomImage(w, h, uint64(w))
			l := NewLayout(w, h, in, letterbox)
			var out Result
			pool := parallel.NewPool()
			if err := Postprocess(&out, im, &l, p, labels, score, mask, pool); err != nil {
				t.Fatal(err)
			}
			pool.Close()
			wantL, wantS, wantM := make([]uint8, w*h), make([]float32, w*h), make([]uint8, w*h)
			outliers := 0
			rows, cols := l.Rows, l.Cols
			if l.Identity() {
				rows, cols = nearestIndex(h, h, 0), nearestIndex(w, w, 0)
			}
			for y, my := range rows {
				for x, mx := range cols {
					j := my*in.Width + mx
					wantL[y*w+x], wantS[y*w+x], wantM[y*w+x] = labels[j], score[j], mask[j]
					if mask[j] == 255 {
						outliers++
					}
				}
			}
			wantO := referenceOverlay(palette, 0.4, [3]uint8{255, 0, 255}, 5, im.Pix, wantL, wantM)
			if !slices.Equal(out.Labels, wantL) || !slices.Equal(out.Score, wantS) || !slices.Equal(out.Mask, wantM) ||
				!slices.Equal(out.Overlay, wantO) || out.OutlierPixels != outliers || outliers == 0 {
				t.Errorf("%dx%d letterbox %v: outputs differ from nearest then paint (outliers %d, want %d)", w, h, letterbox, out.OutlierPixels, outliers)
			}
		}
	}
}

// The pool may split a frame's rows anywhere, also inside a 2x2 block of
// the upsampling: every split gives the outputs of one piece, and each
// worker's scratch serves its own rows.
func TestPostprocessPiecesSplitAnywhere(t *testing.T) {
	in := Input{Width: 40, Height: 15}
	n := in.Width * in.Height
	r := rand.New(rand.NewPCG(5, 6))
	labels, score, mask := make([]uint8, n), make([]float32, n), make([]uint8, n)
	for i := range n {
		labels[i], score[i] = uint8(r.IntN(6)), r.Float32()
		if score[i] > 0.7 {
			mask[i] = 255
		}
	}
	p := NewPainter([][3]uint8{{200, 0, 0}, {0, 200, 0}, {0, 0, 200}, {9, 9, 9}, {90, 90, 0}, {0, 90, 90}}, 0.4, [3]uint8{255, 0, 255}, 5)
	for _, size := range [][2]int{{80, 30}, {100, 33}, {40, 15}} {
		w, h := size[0], size[1]
		im := randomImage(w, h, uint64(h))
		l := NewLayout(w, h, in, false)
		var whole Result
		if err := Postprocess(&whole, im, &l, p, labels, score, mask, nil); err != nil {
			t.Fatal(err)
		}
		pixels := h
		if l.Identity() {
			pixels = w * h
		}
		for _, cut := range []int{1, 3, 7, pixels / 2} {
			var out Result
			out.resize(w, h)
			if l.Identity() {
				out.Labels, out.Score, out.Mask = labels, score, mask
			}
			task := postTask{out: &out, l: &l, p: p, img: im.Pix, labels: labels, score: score, mask: mask}
			task.Do(1, cut, pixels)
			task.Do(0, 0, cut)
			if !slices.Equal(out.Labels, whole.Labels) || !slices.Equal(out.Score, whole.Score) ||
				!slices.Equal(out.Mask, whole.Mask) || !slices.Equal(out.Overlay, whole.Overlay) ||
				task.outliers[0]+task.outliers[1] != whole.OutlierPixels {
				t.Errorf("%dx%d split at %d: outputs differ from one piece", w, h, cut)
			}
		}
	}
}
