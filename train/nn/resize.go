package nn

import (
	"osr/internal/bilinear"
)

// Interp is the [dst x src] bilinear interpolation matrix along one axis,
// with half-pixel centres and edge clamping: ONNX Resize's linear mode with
// coordinate_transformation_mode=half_pixel.
func Interp(src, dst int) []float32 {
	m := make([]float32, dst*src)
	for i, t := range bilinear.Taps(src, dst) {
		m[i*src+t.I0] += 1 - t.W
		m[i*src+t.I1] += t.W
	}
	return m
}
