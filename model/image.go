package model

import "fmt"

// Image is a packed 8-bit RGB frame, 3*Width bytes per row.
type Image struct {
	Width, Height int
	Pix           []uint8
}

// Check reports a frame whose buffer does not match its size.
func (im Image) Check() error {
	if im.Width <= 0 || im.Height <= 0 {
		return fmt.Errorf("image size %dx%d: must be positive", im.Width, im.Height)
	}
	if want := 3 * im.Width * im.Height; len(im.Pix) != want {
		return fmt.Errorf("image %dx%d rgb8: want %d bytes, got %d", im.Width, im.Height, want, len(im.Pix))
	}
	return nil
}

// Result holds one frame's outputs at the frame's resolution. Buffers are
// reused across Engine.Run calls; copy what must outlive the next call.
type Result struct {
	Width, Height int
	Labels        []uint8   // class ids (or the unknown id on outliers)
	Score         []float32 // outlier score in [0,1]
	Mask          []uint8   // 255 on outlier pixels, else 0
	Overlay       []uint8   // packed RGB
	OutlierPixels int
}

func (r *Result) resize(w, h int) {
	n := w * h
	r.Width, r.Height = w, h
	r.Labels = grow(r.Labels, n)
	r.Score = grow(r.Score, n)
	r.Mask = grow(r.Mask, n)
	r.Overlay = grow(r.Overlay, 3*n)
}

func grow[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n)
}
