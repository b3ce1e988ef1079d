// Package bilinear holds the one definition of bilinear sampling osr uses
// everywhere (engine resizing, training's resize layer): half-pixel centres
// with edge clamping, as ONNX Resize computes it with mode linear and
// coordinate_transformation_mode half_pixel.
package bilinear

import "math"

// Tap is one output coordinate's two source indices and the weight of I1.
type Tap struct {
	I0, I1 int
	W      float32
}

// Taps maps dst output samples onto src input samples along one axis.
func Taps(src, dst int) []Tap {
	taps := make([]Tap, dst)
	scale := float64(src) / float64(dst)
	for i := range taps {
		x := math.Max(0, math.Min((float64(i)+0.5)*scale-0.5, float64(src-1)))
		i0 := int(x)
		taps[i] = Tap{I0: i0, I1: min(i0+1, src-1), W: float32(x - float64(i0))}
	}
	return taps
}
