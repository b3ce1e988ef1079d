package model

import "osr/internal/blend"

// Painter blends the palette over the frame in integer arithmetic:
// out = (img*(256-a) + colour*a) >> 8, with a stronger alpha on outliers so
// that they stand out in RViz.
type Painter struct {
	// blend[label | outlier<<8]: the image weight and the colour
	// premultiplied by its alpha. Entries 256..511 are the outlier colour,
	// so the mask picks them without a branch.
	blend [512]blendEntry
}

// blendEntry holds a pixel's three channels in 16-bit lanes of one word,
// as blend.Put3 writes them: every lane stays below 255*256, so a channel
// never carries into the next.
type blendEntry struct {
	keep uint64 // 256-a in each lane
	add  uint64 // colour*a per channel
}

// outlierWeight is the outlier colour's alpha in 1/256ths (0.8).
const outlierWeight = 205

// NewPainter builds the blend table for a palette (class colours) at alpha
// in [0,1], the outlier colour, and the label outliers get in open-set
// labels (unknownID, or -1 for none), which is painted as an outlier.
func NewPainter(palette [][3]uint8, alpha float32, outlier [3]uint8, unknownID int) *Painter {
	p := &Painter{}
	a := uint16(alpha*256 + 0.5)
	for id := range 512 {
		col, w := outlier, uint16(outlierWeight)
		if id < 256 && id != unknownID {
			w = a
			if id < len(palette) {
				col = palette[id]
			}
		}
		k := uint64(256 - w)
		p.blend[id] = blendEntry{
			keep: k | k<<16 | k<<32,
			add:  uint64(col[0])*uint64(w) | uint64(col[1])*uint64(w)<<16 | uint64(col[2])*uint64(w)<<32,
		}
	}
	return p
}

// rowWeights is one goroutine's scratch for painting up to a row of
// pixels: each pixel's blend weights, filled by set and applied to the
// whole row at once by apply.
type rowWeights struct{ keep, add []byte }

func newRowWeights(pixels int) rowWeights {
	n := blend.WeightBytes(3 * pixels)
	return rowWeights{keep: make([]byte, n), add: make([]byte, n)}
}

// pixels is how many pixels w holds.
func (w rowWeights) pixels() int { return (len(w.keep) - blend.WeightBytes(0)) / 6 }

// set gives pixel i of w the blend entry k (label | outlier<<8). Pixels
// are set in increasing order (see blend.Put3).
func (p *Painter) set(w rowWeights, i, k int) {
	e := &p.blend[k&511]
	blend.Put3(w.keep, i, e.keep)
	blend.Put3(w.add, i, e.add)
}

// setPairs gives pixels 2x and 2x+1 of w the blend entry of model pixel
// x (labels and mask): a frame of twice the model's width.
func (p *Painter) setPairs(w rowWeights, labels, mask []uint8) {
	n := len(labels)
	mask, keep, add := mask[:n], w.keep[:12*n+8], w.add[:12*n+8]
	for x, l := range labels {
		e := &p.blend[(int(l)|int(mask[x]&1)<<8)&511]
		k, a := keep[12*x:12*x+20:12*x+20], add[12*x:12*x+20:12*x+20]
		blend.Put3(k, 0, e.keep)
		blend.Put3(k, 1, e.keep)
		blend.Put3(a, 0, e.add)
		blend.Put3(a, 1, e.add)
	}
}

// apply paints the row img into dst (3 bytes per pixel) with the weights
// set for its pixels.
func (w rowWeights) apply(dst, img []uint8) {
	blend.Weighted(dst, img, w.keep, w.add)
}

// paint writes the overlay for pixels with the given labels and mask,
// row by row of w, and returns the number of outlier pixels (mask 255),
// which get the outlier colour whatever their label. dst and img hold 3
// bytes per label.
func (p *Painter) paint(dst, img, labels, mask []uint8, w rowWeights) int {
	n, step := 0, w.pixels()
	mask = mask[:len(labels)]
	for lo := 0; lo < len(labels); lo += step {
		hi := min(len(labels), lo+step)
		for i, l := range labels[lo:hi] {
			o := int(mask[lo+i] & 1)
			n += o
			p.set(w, i, int(l)|o<<8)
		}
		w.apply(dst[3*lo:3*hi], img[3*lo:3*hi])
	}
	return n
}
