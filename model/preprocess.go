package model

import (
	"math"

	"osr/internal/bilinear"
)

// geometry maps a frame onto the model's input: the content rectangle
// (ox, oy, cw, ch) in model pixels that the frame fills. Stretch fills the
// whole input; letterbox keeps the aspect ratio and pads with zeros (the
// normalised mean).
type geometry struct {
	frameW, frameH int
	modelW, modelH int
	ox, oy, cw, ch int
}

func newGeometry(frameW, frameH, modelW, modelH int, letterbox bool) geometry {
	g := geometry{frameW: frameW, frameH: frameH, modelW: modelW, modelH: modelH, cw: modelW, ch: modelH}
	if letterbox {
		s := math.Min(float64(modelW)/float64(frameW), float64(modelH)/float64(frameH))
		g.cw = max(1, min(modelW, int(math.Round(float64(frameW)*s))))
		g.ch = max(1, min(modelH, int(math.Round(float64(frameH)*s))))
		g.ox = (modelW - g.cw) / 2
		g.oy = (modelH - g.ch) / 2
	}
	return g
}

// identity reports whether frame pixels map one to one onto model pixels.
func (g geometry) identity() bool {
	return g.frameW == g.modelW && g.frameH == g.modelH
}

// normalizer turns 8-bit RGB into normalised NCHW float32 planes through a
// lookup table per channel: (v/255 - mean) / std.
type normalizer struct {
	lut [3][256]float32
}

func newNormalizer(in Input) *normalizer {
	n := &normalizer{}
	for c := 0; c < 3; c++ {
		for v := 0; v < 256; v++ {
			n.lut[c][v] = (float32(v)/255 - in.Mean[c]) / in.Std[c]
		}
	}
	return n
}

// planes writes pixels [lo, hi) of an RGB image of exactly the model size
// into dst (NCHW).
func (n *normalizer) planes(dst []float32, pix []uint8, lo, hi int) {
	hw := len(pix) / 3
	r, g, b := dst[:hw], dst[hw:2*hw], dst[2*hw:3*hw]
	lr, lg, lb := &n.lut[0], &n.lut[1], &n.lut[2]
	for i := lo; i < hi; i++ {
		p := pix[3*i : 3*i+3 : 3*i+3]
		r[i] = lr[p[0]]
		g[i] = lg[p[1]]
		b[i] = lb[p[2]]
	}
}

// resampled writes a frame of another size into dst through g, with
// bilinear interpolation (half-pixel centres) and zero padding.
func (n *normalizer) resampled(dst []float32, im Image, g geometry) {
	hw := g.modelW * g.modelH
	clear(dst[:3*hw])
	xs := bilinear.Taps(im.Width, g.cw)
	ys := bilinear.Taps(im.Height, g.ch)
	stride := 3 * im.Width
	for y := 0; y < g.ch; y++ {
		ty := ys[y]
		row := (g.oy+y)*g.modelW + g.ox
		for x := 0; x < g.cw; x++ {
			tx := xs[x]
			for c := 0; c < 3; c++ {
				p00 := float32(im.Pix[ty.I0*stride+3*tx.I0+c])
				p01 := float32(im.Pix[ty.I0*stride+3*tx.I1+c])
				p10 := float32(im.Pix[ty.I1*stride+3*tx.I0+c])
				p11 := float32(im.Pix[ty.I1*stride+3*tx.I1+c])
				top := p00 + (p01-p00)*tx.W
				bot := p10 + (p11-p10)*tx.W
				v := top + (bot-top)*ty.W
				dst[c*hw+row+x] = n.lut[c][uint8(v+0.5)]
			}
		}
	}
}

// nearestIndex maps each frame coordinate to the model coordinate whose
// pixel covers its centre, inside the content rectangle.
func nearestIndex(frame, content, offset int) []int {
	idx := make([]int, frame)
	for i := range idx {
		idx[i] = offset + min(content-1, (2*i+1)*content/(2*frame))
	}
	return idx
}
