package model

import (
	"slices"
	"strings"
	"testing"

	"osr/internal/bilinear"
	"osr/internal/parallel"
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
	if err := Preprocess(dst, im, &l, NewNormalizer(in), nil); err != nil {
		t.Fatal(err)
	}
	want := []float32{1, -1, 0, 1, -0.5, 0}
	if !slices.Equal(dst, want) {
		t.Fatalf("planes %v, want %v", dst, want)
	}
	other := Image{Width: 3, Height: 1, Pix: make([]uint8, 9)}
	if err := Preprocess(dst, other, &l, NewNormalizer(in), nil); err == nil || !strings.Contains(err.Error(), "3x1 frame") {
		t.Errorf("a frame of another size than the layout's: %v", err)
	}
	if err := Preprocess(dst[:5], im, &l, NewNormalizer(in), nil); err == nil || !strings.Contains(err.Error(), "5 values") {
		t.Errorf("a short input tensor: %v", err)
	}
}

// plainResample is Preprocess's resampling written one value at a time,
// as it was before the single-pass version: bilinear (half-pixel
// centres) per channel in float32, rounded to 8 bits, then normalised.
func plainResample(im Image, l Layout, n *Normalizer) []float32 {
	hw := l.ModelW * l.ModelH
	dst := make([]float32, 3*hw)
	xs, ys := bilinear.Taps(im.Width, l.W), bilinear.Taps(im.Height, l.H)
	at := func(x, y, c int) float32 { return float32(im.Pix[3*(y*im.Width+x)+c]) }
	for y := range l.H {
		for x := range l.W {
			tx, ty := xs[x], ys[y]
			for c := range 3 {
				top := at(tx.I0, ty.I0, c) + (at(tx.I1, ty.I0, c)-at(tx.I0, ty.I0, c))*tx.W
				bot := at(tx.I0, ty.I1, c) + (at(tx.I1, ty.I1, c)-at(tx.I0, ty.I1, c))*tx.W
				dst[c*hw+(l.Y+y)*l.ModelW+l.X+x] = n.lut[c][uint8(top+(bot-top)*ty.W+0.5)]
			}
		}
	}
	return dst
}

// The one-pass resampling, and its integer path for frames of twice the
// model's size, give exactly what plain bilinear resampling gives.
func TestPreprocessResamplesAsPlainBilinear(t *testing.T) {
	in := Input{Width: 24, Height: 18, Mean: [3]float32{0.485, 0.456, 0.406}, Std: [3]float32{0.229, 0.224, 0.225}}
	n := NewNormalizer(in)
	for _, c := range []struct {
		w, h      int
		letterbox bool
		halves    bool
	}{{48, 36, false, true}, {48, 36, true, true}, {50, 30, false, false}, {50, 30, true, false}, {13, 40, true, false}, {96, 72, false, false}} {
		im := randomImage(c.w, c.h, uint64(c.w*c.h))
		l := NewLayout(c.w, c.h, in, c.letterbox)
		if l.halves != c.halves {
			t.Errorf("%dx%d letterbox %v: halves %v, want %v", c.w, c.h, c.letterbox, l.halves, c.halves)
		}
		got := make([]float32, 3*in.Width*in.Height)
		for i := range got {
			got[i] = 42 // padding must be written, not left
		}
		for _, pool := range []*parallel.Pool{nil, parallel.NewPool()} {
			if err := Preprocess(got, im, &l, n, pool); err != nil {
				t.Fatal(err)
			}
			pool.Close()
			if want := plainResample(im, l, n); !slices.Equal(got, want) {
				t.Errorf("%dx%d letterbox %v, %d workers: resampled input differs from plain bilinear", c.w, c.h, c.letterbox, pool.Workers())
			}
		}
	}
}

// The 2x2 means of a frame twice the model's size (assembly on amd64 for
// eight model pixels at a time, Go for the rest of a row) give the plain
// bilinear resample's floats bit for bit, with a remainder after the last
// eight and over every byte value.
func TestPreprocessHalvesVectorMatchesPlain(t *testing.T) {
	for _, w := range []int{8, 29, 240} {
		in := Input{Width: w, Height: 6, Mean: [3]float32{0.485, 0.456, 0.406}, Std: [3]float32{0.229, 0.224, 0.225}}
		n := NewNormalizer(in)
		im := randomImage(2*w, 12, uint64(w))
		for i := range 256 { // every value, in every channel
			im.Pix[(7*i)%len(im.Pix)] = uint8(i)
		}
		l := NewLayout(2*w, 12, in, false)
		got := make([]float32, 3*w*6)
		if err := Preprocess(got, im, &l, n, nil); err != nil {
			t.Fatal(err)
		}
		if want := plainResample(im, l, n); !slices.Equal(got, want) {
			t.Errorf("%d model pixels a row: the 2x2 means differ from plain bilinear", w)
		}
	}
}

// At the model's size (assembly on amd64 for sixteen pixels at a time, Go
// for the rest) every pixel gets its lookup table entries bit for bit,
// with remainders, pieces that start anywhere, and every byte value in
// every channel.
func TestPreprocessPlanesMatchLookupTable(t *testing.T) {
	for _, c := range []struct{ w, h, cut int }{{16, 1, 0}, {7, 3, 5}, {37, 5, 17}, {480, 360, 1001}, {333, 111, 0}} {
		for _, in := range []Input{
			{Mean: [3]float32{0.485, 0.456, 0.406}, Std: [3]float32{0.229, 0.224, 0.225}},
			{Mean: [3]float32{0.5, 0.5, 0.5}, Std: [3]float32{0.2, 0.3, 0.7}},
		} {
			in.Width, in.Height = c.w, c.h
			n := NewNormalizer(in)
			im := randomImage(c.w, c.h, uint64(c.w*c.h))
			for i := range 3 * 256 {
				im.Pix[(5*i)%len(im.Pix)] = uint8(i / 3)
			}
			hw := c.w * c.h
			got := make([]float32, 3*hw)
			if c.cut == 0 {
				l := NewLayout(c.w, c.h, in, false)
				if err := Preprocess(got, im, &l, n, nil); err != nil {
					t.Fatal(err)
				}
			} else { // two pieces, as a pool's workers take them
				n.planes(got, im.Pix, 0, c.cut)
				n.planes(got, im.Pix, c.cut, hw)
			}
			for i := range 3 * hw {
				ch, p := i/hw, i%hw
				v := im.Pix[3*p+ch]
				if want := (float32(v)/255 - in.Mean[ch]) / in.Std[ch]; got[i] != want {
					t.Fatalf("%dx%d, mean %v std %v: pixel %d channel %d (%d) = %v, want %v", c.w, c.h, in.Mean, in.Std, p, ch, v, got[i], want)
				}
			}
		}
	}
}
