package model

import (
	"osr/internal/parallel"
	"testing"
)

func BenchmarkPlanes(b *testing.B) {
	im := randomImage(480, 360, 1)
	n := NewNormalizer(Input{Mean: [3]float32{0.5, 0.5, 0.5}, Std: [3]float32{0.2, 0.2, 0.2}})
	dst := make([]float32, 3*480*360)
	b.SetBytes(int64(len(im.Pix)))
	for b.Loop() {
		parallel.For(480*360, 4096, func(lo, hi int) { n.planes(dst, im.Pix, lo, hi) })
	}
}

func BenchmarkOverlay(b *testing.B) {
	im := randomImage(480, 360, 1)
	labels := make([]uint8, 480*360)
	mask := make([]uint8, 480*360)
	for i := range labels {
		labels[i] = uint8(i % 10)
		if i%17 == 0 {
			mask[i] = 255
		}
	}
	p := NewPainter(make([][3]uint8, 10), 0.5, [3]uint8{255, 0, 255}, 10)
	dst := make([]uint8, 3*480*360)
	b.SetBytes(int64(len(im.Pix)))
	for b.Loop() {
		p.paint(dst, im.Pix, labels, mask)
	}
}
