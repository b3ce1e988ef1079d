package model

import (
	"slices"
	"strings"
	"testing"
)

func TestLayoutMapsFramesToTheModel(t *testing.T) {
	in := Input{Width: 32, Height: 24}
	same := NewLayout(32, 24, in, true)
	if !same.Identity() || same.Rows != nil || same.Cols != nil {
		t.Errorf("model-size layout %+v: want the identity without a pixel map", same)
	}
	double := NewLayout(64, 48, in, false)
	for y, r := range double.Rows {
		if r != y/2 {
			t.Fatalf("2x frame: row %d maps to %d, want %d", y, r, y/2)
		}
	}
	// A 32x12 frame letterboxed into 32x24 fills rows 6 to 17.
	wide := NewLayout(32, 12, in, true)
	if wide.X != 0 || wide.Y != 6 || wide.W != 32 || wide.H != 12 {
		t.Errorf("letterbox rectangle %d,%d %dx%d, want 0,6 32x12", wide.X, wide.Y, wide.W, wide.H)
	}
	if want := []int{6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17}; !slices.Equal(wide.Rows, want) {
		t.Errorf("letterbox rows %v, want %v", wide.Rows, want)
	}
}

// Preprocess at the model's size is (v/255 - mean)/std per channel, planar.
func TestPreprocessNormalisesIntoPlanes(t *testing.T) {
	in := Input{Width: 2, Height: 1, Mean: [3]float32{0.5, 0, 1}, Std: [3]float32{0.5, 1, 2}}
	im := Image{Width: 2, Height: 1, Pix: []uint8{255, 0, 0, 0, 255, 255}}
	l := NewLayout(2, 1, in, false)
	dst := make([]float32, 6)
	if err := Preprocess(dst, im, &l, NewNormalizer(in)); err != nil {
		t.Fatal(err)
	}
	want := []float32{1, -1, 0, 1, -0.5, 0}
	if !slices.Equal(dst, want) {
		t.Fatalf("planes %v, want %v", dst, want)
	}
	other := Image{Width: 3, Height: 1, Pix: make([]uint8, 9)}
	if err := Preprocess(dst, other, &l, NewNormalizer(in)); err == nil || !strings.Contains(err.Error(), "3x1 frame") {
		t.Errorf("a frame of another size than the layout's: %v", err)
	}
	if err := Preprocess(dst[:5], im, &l, NewNormalizer(in)); err == nil || !strings.Contains(err.Error(), "5 values") {
		t.Errorf("a short input tensor: %v", err)
	}
}
