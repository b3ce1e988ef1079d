package model

import (
	"math"
	"testing"
)

// upscale2 repeats every pixel 2x2.
func upscale2(im Image) Image {
	out := Image{Width: 2 * im.Width, Height: 2 * im.Height, Pix: make([]uint8, 12*im.Width*im.Height)}
	for y := 0; y < out.Height; y++ {
		for x := 0; x < out.Width; x++ {
			copy(out.Pix[3*(y*out.Width+x):][:3], im.Pix[3*((y/2)*im.Width+x/2):][:3])
		}
	}
	return out
}

func TestEngineStretchesOtherFrameSizes(t *testing.T) {
	net := newTestNet(5, 32, 24, 11)
	dir := writePackage(t, net.spec(), net.onnx())
	e := openEngine(t, dir, DefaultOptions())
	small := randomImage(32, 24, 5)
	var want, got Result
	if err := e.Run(small, &want); err != nil {
		t.Fatal(err)
	}
	// A 2x frame resamples exactly back to the model grid, so its outputs
	// must be the model-size outputs, each repeated 2x2.
	if err := e.Run(upscale2(small), &got); err != nil {
		t.Fatal(err)
	}
	if got.Width != 64 || got.Height != 48 || len(got.Overlay) != 3*64*48 {
		t.Fatalf("outputs are %dx%d, want the frame's 64x48", got.Width, got.Height)
	}
	for y := 0; y < 48; y++ {
		for x := 0; x < 64; x++ {
			i, j := y*64+x, (y/2)*32+x/2
			if got.Labels[i] != want.Labels[j] || got.Mask[i] != want.Mask[j] || math.Abs(float64(got.Score[i]-want.Score[j])) > 1e-4 {
				t.Fatalf("pixel (%d,%d): label %d/%d score %g/%g", x, y, got.Labels[i], want.Labels[j], got.Score[i], want.Score[j])
			}
		}
	}
	// Back to the model size: the cached geometry must follow the frame.
	if err := e.Run(small, &got); err != nil || got.Width != 32 {
		t.Fatalf("after a size change: %dx%d, %v", got.Width, got.Height, err)
	}
}

func TestEngineLetterbox(t *testing.T) {
	net := newTestNet(4, 32, 24, 13)
	spec := net.spec()
	spec.Input.Mean = [3]float32{0.4, 0.4, 0.4} // pad value 102 is an exact pixel value
	dir := writePackage(t, spec, net.onnx())
	opts := DefaultOptions()
	opts.Letterbox = true
	e := openEngine(t, dir, opts)
	wide := randomImage(32, 12, 9) // fits 32x12, padded by 6 rows above and below
	var got Result
	if err := e.Run(wide, &got); err != nil {
		t.Fatal(err)
	}
	if got.Width != 32 || got.Height != 12 {
		t.Fatalf("outputs are %dx%d, want 32x12", got.Width, got.Height)
	}
	padded := Image{Width: 32, Height: 24, Pix: make([]uint8, 3*32*24)}
	for i := range padded.Pix {
		padded.Pix[i] = 102
	}
	copy(padded.Pix[3*32*6:], wide.Pix)
	opts.Letterbox = false
	ref := openEngine(t, dir, opts)
	var want Result
	if err := ref.Run(padded, &want); err != nil {
		t.Fatal(err)
	}
	for y := 0; y < 12; y++ {
		for x := 0; x < 32; x++ {
			i, j := y*32+x, (y+6)*32+x
			if got.Labels[i] != want.Labels[j] || math.Abs(float64(got.Score[i]-want.Score[j])) > 1e-3 {
				t.Fatalf("pixel (%d,%d): label %d/%d score %g/%g", x, y, got.Labels[i], want.Labels[j], got.Score[i], want.Score[j])
			}
		}
	}
}

func TestEngineRejectsBadFrames(t *testing.T) {
	net := newTestNet(3, 16, 16, 1)
	e := openEngine(t, writePackage(t, net.spec(), net.onnx()), DefaultOptions())
	var out Result
	for _, im := range []Image{
		{Width: 16, Height: 16, Pix: make([]uint8, 10)},
		{Width: 0, Height: 16},
		{Width: -4, Height: 2, Pix: make([]uint8, 24)},
	} {
		if err := e.Run(im, &out); err == nil {
			t.Errorf("Run accepted %dx%d with %d bytes", im.Width, im.Height, len(im.Pix))
		}
	}
}

// The per-frame path allocates nothing once a frame size has been seen,
// at the model's size and at another.
func TestEngineRunAllocatesNothing(t *testing.T) {
	net := newTestNet(5, 32, 24, 11)
	e := openEngine(t, writePackage(t, net.spec(), net.onnx()), DefaultOptions())
	for _, im := range []Image{randomImage(32, 24, 1), randomImage(64, 48, 2), randomImage(50, 30, 3)} {
		var out Result
		if err := e.Run(im, &out); err != nil {
			t.Fatal(err)
		}
		if a := testing.AllocsPerRun(10, func() { e.Run(im, &out) }); a != 0 {
			t.Errorf("%dx%d frame: %g allocations per Run, want 0", im.Width, im.Height, a)
		}
	}
}
