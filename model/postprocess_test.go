package model

import (
	"slices"
	"strings"
	"testing"
)

// Postprocess takes the nearest model pixel for frames of another size,
// and says what it was given when sizes do not match.
func TestPostprocessToFrame(t *testing.T) {
	in := Input{Width: 2, Height: 1}
	im := Image{Width: 4, Height: 2, Pix: make([]uint8, 24)}
	l := NewLayout(4, 2, in, false)
	p := NewPainter([][3]uint8{{0, 0, 0}, {0, 0, 0}}, 0.5, [3]uint8{255, 0, 255}, -1)
	var out Result
	if err := Postprocess(&out, im, &l, p, []uint8{0, 1}, []float32{0.1, 0.9}, []uint8{0, 255}); err != nil {
		t.Fatal(err)
	}
	if out.Width != 4 || out.Height != 2 || !slices.Equal(out.Labels, []uint8{0, 0, 1, 1, 0, 0, 1, 1}) ||
		!slices.Equal(out.Score, []float32{0.1, 0.1, 0.9, 0.9, 0.1, 0.1, 0.9, 0.9}) || out.OutlierPixels != 4 {
		t.Fatalf("result %dx%d labels %v score %v outliers %d", out.Width, out.Height, out.Labels, out.Score, out.OutlierPixels)
	}
	if !slices.Equal(out.ModelRows, []int{0, 0}) || !slices.Equal(out.ModelCols, []int{0, 0, 1, 1}) {
		t.Errorf("pixel map rows %v cols %v", out.ModelRows, out.ModelCols)
	}
	if err := Postprocess(&out, im, &l, p, []uint8{0}, []float32{0.1, 0.9}, []uint8{0, 255}); err == nil || !strings.Contains(err.Error(), "want 2x1") {
		t.Errorf("short labels: %v", err)
	}
}
