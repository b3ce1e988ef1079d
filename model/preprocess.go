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

	xs, ys []bilinear.Tap // the content's bilinear taps into the frame
	// halves: the frame is exactly twice the content in both directions,
	// so each model pixel is the mean of a 2x2 block.
	halves bool
	// Scratch for one frame at a time: a row of overlay blend weights per
	// pool worker, and the loops the pool's workers run.
	weights [maxWorkers]rowWeights
	pre     preTask
	post    postTask
	// Whether waking the pool's workers pays for each loop, learnt from
	// its frames (see parallel.Adaptive).
	preLoop, postLoop parallel.Adaptive
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
		l.xs = bilinear.Taps(frameW, l.W)
		l.ys = bilinear.Taps(frameH, l.H)
		l.halves = frameW == 2*l.W && frameH == 2*l.H
	}
	for i := range l.weights {
		l.weights[i] = newRowWeights(max(frameW, 1024))
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
	lut    [3][256]float32
	consts normConsts
}

// normConsts are the normalisation's constants for the vector loops
// (their layout is read by assembly).
type normConsts struct {
	mean, std [3]float32
}

// NewNormalizer builds the lookup tables for the model input in.
func NewNormalizer(in Input) *Normalizer {
	n := &Normalizer{consts: normConsts{mean: in.Mean, std: in.Std}}
	for c := 0; c < 3; c++ {
		for v := 0; v < 256; v++ {
			n.lut[c][v] = (float32(v)/255 - in.Mean[c]) / in.Std[c]
		}
	}
	return n
}

// maxWorkers bounds the goroutines a pool runs a frame's loop on
// (parallel.NewPool starts at most 8 workers).
const maxWorkers = 8

// Preprocess writes frame im, normalised by n, into dst: NCHW float32
// planes of the model's size, through l (made for im's size). At the
// model's size each pixel goes through the lookup table; other sizes are
// resampled bilinearly (half-pixel centres) into the content rectangle,
// with zero padding around it. The work is split over pool's workers
// where that has been faster for l's frames (nil: the calling goroutine
// does it all); nothing is allocated.
func Preprocess(dst []float32, im Image, l *Layout, n *Normalizer, pool *parallel.Pool) error {
	if err := im.Check(); err != nil {
		return err
	}
	if !l.Fits(im) {
		return fmt.Errorf("preprocess: a %dx%d frame through the layout of %dx%d frames", im.Width, im.Height, l.FrameW, l.FrameH)
	}
	if want := 3 * l.ModelW * l.ModelH; len(dst) != want {
		return fmt.Errorf("preprocess: input tensor has %d values, want 3x%dx%d = %d", len(dst), l.ModelH, l.ModelW, want)
	}
	if !l.Identity() && (l.W != l.ModelW || l.H != l.ModelH) {
		clear(dst) // the letterbox's padding
	}
	l.pre = preTask{dst: dst, im: im, l: l, n: n}
	if l.Identity() {
		l.preLoop.For(pool, im.Width*im.Height, 4096, &l.pre)
	} else {
		l.preLoop.For(pool, l.H, 16, &l.pre)
	}
	l.pre = preTask{}
	return nil
}

// preTask is Preprocess's loop: pixels at the model's size, else rows of
// the content rectangle.
type preTask struct {
	dst []float32
	im  Image
	l   *Layout
	n   *Normalizer
}

func (t *preTask) Do(_, lo, hi int) {
	if t.l.Identity() {
		t.n.planes(t.dst, t.im.Pix, lo, hi)
	} else {
		t.n.resampled(t.dst, t.im, t.l, lo, hi)
	}
}

// planes writes pixels [lo, hi) of an RGB image of exactly the model size
// into dst (NCHW).
func (n *Normalizer) planes(dst []float32, pix []uint8, lo, hi int) {
	hw := len(pix) / 3
	r, g, b := dst[:hw], dst[hw:2*hw], dst[2*hw:3*hw]
	lr, lg, lb := &n.lut[0], &n.lut[1], &n.lut[2]
	for i := lo + n.planesVector(r[lo:hi], g[lo:hi], b[lo:hi], pix[3*lo:3*hi]); i < hi; i++ {
		p := pix[3*i : 3*i+3 : 3*i+3]
		r[i] = lr[p[0]]
		g[i] = lg[p[1]]
		b[i] = lb[p[2]]
	}
}

// resampled writes content rows [y0, y1) of a frame of another size into
// dst through l, with bilinear interpolation (half-pixel centres) and
// rounding to 8 bits before the lookup table. One pass over the frame:
// each model pixel reads its four frame pixels once for all channels.
func (n *Normalizer) resampled(dst []float32, im Image, l *Layout, y0, y1 int) {
	hw := l.ModelW * l.ModelH
	r, g, b := dst[:hw], dst[hw:2*hw], dst[2*hw:3*hw]
	lr, lg, lb := &n.lut[0], &n.lut[1], &n.lut[2]
	stride := 3 * im.Width
	for y := y0; y < y1; y++ {
		ty := l.ys[y]
		row0 := im.Pix[ty.I0*stride : (ty.I0+1)*stride]
		row1 := im.Pix[ty.I1*stride : (ty.I1+1)*stride]
		o := (l.Y+y)*l.ModelW + l.X
		ro, go_, bo := r[o:o+l.W], g[o:o+l.W], b[o:o+l.W]
		if l.halves {
			// Taps (2x, 2x+1, 1/2): the float blend below is exactly the
			// 2x2 sum / 4, and rounding it is (sum + 2) >> 2.
			for x := n.halvesVector(ro, go_, bo, row0, row1); x < len(ro); x++ {
				p, q := row0[6*x:6*x+6:6*x+6], row1[6*x:6*x+6:6*x+6]
				ro[x] = lr[uint8((uint(p[0])+uint(p[3])+uint(q[0])+uint(q[3])+2)>>2)]
				go_[x] = lg[uint8((uint(p[1])+uint(p[4])+uint(q[1])+uint(q[4])+2)>>2)]
				bo[x] = lb[uint8((uint(p[2])+uint(p[5])+uint(q[2])+uint(q[5])+2)>>2)]
			}
			continue
		}
		wy := ty.W
		for x, tx := range l.xs {
			a0, a1 := row0[3*tx.I0:3*tx.I0+3:3*tx.I0+3], row0[3*tx.I1:3*tx.I1+3:3*tx.I1+3]
			b0, b1 := row1[3*tx.I0:3*tx.I0+3:3*tx.I0+3], row1[3*tx.I1:3*tx.I1+3:3*tx.I1+3]
			ro[x] = lr[blend8(a0[0], a1[0], b0[0], b1[0], tx.W, wy)]
			go_[x] = lg[blend8(a0[1], a1[1], b0[1], b1[1], tx.W, wy)]
			bo[x] = lb[blend8(a0[2], a1[2], b0[2], b1[2], tx.W, wy)]
		}
	}
}

// blend8 interpolates four 8-bit samples bilinearly and rounds to 8 bits.
func blend8(p00, p01, p10, p11 uint8, wx, wy float32) uint8 {
	top := float32(p00) + (float32(p01)-float32(p00))*wx
	bot := float32(p10) + (float32(p11)-float32(p10))*wx
	return uint8(top + (bot-top)*wy + 0.5)
}
