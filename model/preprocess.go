package model

import (
	"fmt"
	"math"

	"osr/internal/bilinear"
	"osr/internal/parallel"
)

// Layout maps frames of one size onto the model's input and back: the
// content rectangle (X, Y, W, H) in model pixels that the frame fills,
// and, for frames of another size than the model's, the model row of each
// frame row (Rows) and the model column of each frame column (Cols).
// Stretch fills the whole input; letterbox keeps the aspect ratio and pads
// with zeros (the normalised mean). An engine keeps one per frame size.
type Layout struct {
	FrameW, FrameH int
	ModelW, ModelH int
	X, Y, W, H     int
	Rows, Cols     []int // nil at the model's size
}

// NewLayout is the layout of frameW x frameH frames on the model input in.
func NewLayout(frameW, frameH int, in Input, letterbox bool) Layout {
	modelW, modelH := in.Width, in.Height
	l := Layout{FrameW: frameW, FrameH: frameH, ModelW: modelW, ModelH: modelH, W: modelW, H: modelH}
	if letterbox {
		s := math.Min(float64(modelW)/float64(frameW), float64(modelH)/float64(frameH))
		l.W = max(1, min(modelW, int(math.Round(float64(frameW)*s))))
		l.H = max(1, min(modelH, int(math.Round(float64(frameH)*s))))
		l.X = (modelW - l.W) / 2
		l.Y = (modelH - l.H) / 2
	}
	if !l.Identity() {
		l.Cols = nearestIndex(frameW, l.W, l.X)
		l.Rows = nearestIndex(frameH, l.H, l.Y)
	}
	return l
}

// Identity reports whether frame pixels map one to one onto model pixels.
func (l *Layout) Identity() bool {
	return l.FrameW == l.ModelW && l.FrameH == l.ModelH
}

// Fits reports whether l is the layout for frames of im's size.
func (l *Layout) Fits(im Image) bool {
	return l.FrameW == im.Width && l.FrameH == im.Height
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

// Normalizer turns 8-bit RGB into the model's normalised input through a
// lookup table per channel: (v/255 - mean) / std.
type Normalizer struct {
	lut [3][256]float32
}

// NewNormalizer builds the lookup tables for the model input in.
func NewNormalizer(in Input) *Normalizer {
	n := &Normalizer{}
	for c := 0; c < 3; c++ {
		for v := 0; v < 256; v++ {
			n.lut[c][v] = (float32(v)/255 - in.Mean[c]) / in.Std[c]
		}
	}
	return n
}

// Preprocess writes frame im, normalised by n, into dst: NCHW float32
// planes of the model's size, through l (made for im's size). At the
// model's size each pixel goes through the lookup table; other sizes are
// resampled bilinearly (half-pixel centres) into the content rectangle,
// with zero padding around it.
func Preprocess(dst []float32, im Image, l *Layout, n *Normalizer) error {
	if err := im.Check(); err != nil {
		return err
	}
	if !l.Fits(im) {
		return fmt.Errorf("preprocess: a %dx%d frame through the layout of %dx%d frames", im.Width, im.Height, l.FrameW, l.FrameH)
	}
	if want := 3 * l.ModelW * l.ModelH; len(dst) != want {
		return fmt.Errorf("preprocess: input tensor has %d values, want 3x%dx%d = %d", len(dst), l.ModelH, l.ModelW, want)
	}
	if l.Identity() {
		parallel.For(im.Width*im.Height, 4096, func(lo, hi int) { n.planes(dst, im.Pix, lo, hi) })
		return nil
	}
	n.resampled(dst, im, l)
	return nil
}

// planes writes pixels [lo, hi) of an RGB image of exactly the model size
// into dst (NCHW).
func (n *Normalizer) planes(dst []float32, pix []uint8, lo, hi int) {
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

// resampled writes a frame of another size into dst through l, with
// bilinear interpolation (half-pixel centres) and zero padding.
func (n *Normalizer) resampled(dst []float32, im Image, l *Layout) {
	hw := l.ModelW * l.ModelH
	clear(dst[:3*hw])
	xs := bilinear.Taps(im.Width, l.W)
	ys := bilinear.Taps(im.Height, l.H)
	stride := 3 * im.Width
	for y := 0; y < l.H; y++ {
		ty := ys[y]
		row := (l.Y+y)*l.ModelW + l.X
		for x := 0; x < l.W; x++ {
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
