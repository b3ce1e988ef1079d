package model

import "osr/internal/imageio"

// Image is a packed 8-bit RGB frame, the engine's input.
type Image = imageio.RGB

// Result holds one frame's outputs at the frame's resolution. Buffers are
// reused across Engine.Run calls; copy what must outlive the next call.
type Result struct {
	Width, Height int
	Labels        []uint8   // class ids (or the unknown id on outliers)
	Score         []float32 // outlier score in [0,1]
	Mask          []uint8   // 255 on outlier pixels, else 0
	Overlay       []uint8   // packed RGB
	OutlierPixels int
	// Logits [classes][H][W] at the model's input size, when the engine was
	// opened with Options.Logits.
	Logits []float32
	// ModelRows and ModelCols are, for a frame of another size than the
	// model's, the model row of each frame row and the model column of
	// each frame column that the frame-sized outputs were taken from; nil
	// at the model's size. They map Logits to the frame.
	ModelRows, ModelCols []int
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
