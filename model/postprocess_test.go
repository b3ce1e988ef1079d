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
	p := NewPainter([][3]uint8{{200, 0, 0}, {0, 200, 0}, {0, 0, 200}, {9, 9, 9}, {90, 90, 0}, {0, 90, 90}}, 0.4, [3]uint8{255, 0, 255}, 5)
	for _, size := range [][2]int{{24, 18}, {24, 14}, {31, 7}, {5, 40}} {
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
			for y, my := range l.Rows {
				for x, mx := range l.Cols {
					j := my*in.Width + mx
					wantL[y*w+x], wantS[y*w+x], wantM[y*w+x] = labels[j], score[j], mask[j]
					if mask[j] == 255 {
						outliers++
					}
				}
			}
			wantO := make([]uint8, 3*w*h)
			p.paint(wantO, im.Pix, wantL, wantM)
			if !slices.Equal(out.Labels, wantL) || !slices.Equal(out.Score, wantS) || !slices.Equal(out.Mask, wantM) ||
				!slices.Equal(out.Overlay, wantO) || out.OutlierPixels != outliers || outliers == 0 {
				t.Errorf("%dx%d letterbox %v: outputs differ from nearest then paint (outliers %d, want %d)", w, h, letterbox, out.OutlierPixels, outliers)
			}
		}
	}
}
