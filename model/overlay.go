package model

import (
	"osr/internal/parallel"
	"sync"
)

// Painter blends the palette over the frame in integer arithmetic:
// out = (img*(256-a) + colour*a) >> 8, with a stronger alpha on outliers so
// that they stand out in RViz.
type Painter struct {
	// blend[label | outlier<<8]: the image weight and the colour
	// premultiplied by its alpha. Entries 256..511 are the outlier colour,
	// so the mask picks them without a branch.
	blend [512]blendEntry
}

// blendEntry holds the three channels in 16-bit lanes of one word, so that
// a pixel blends with one multiply and one add: every lane stays below
// 255*256 and never carries into the next.
type blendEntry struct {
	keep uint64
	pre  uint64
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
		p.blend[id] = blendEntry{
			keep: uint64(256 - w),
			pre:  uint64(col[0])*uint64(w) | uint64(col[1])*uint64(w)<<16 | uint64(col[2])*uint64(w)<<32,
		}
	}
	return p
}

// paint writes the overlay for one frame and returns the number of
// outlier pixels (mask 255), which get the outlier colour whatever their
// label. dst and img hold 3 bytes per label.
func (p *Painter) paint(dst, img, labels, mask []uint8) int {
	var mu sync.Mutex
	total := 0
	parallel.For(len(labels), 4096, func(lo, hi int) {
		n := 0
		ls, ms := labels[lo:hi], mask[lo:hi:hi]
		src, out := img[3*lo:3*hi], dst[3*lo:3*hi]
		for i, l := range ls {
			o := int(ms[i] & 1)
			n += o
			e := p.blend[int(l)|o<<8]
			s := src[3*i : 3*i+3 : 3*i+3]
			v := (uint64(s[0])|uint64(s[1])<<16|uint64(s[2])<<32)*e.keep + e.pre
			d := out[3*i : 3*i+3 : 3*i+3]
			d[0], d[1], d[2] = uint8(v>>8), uint8(v>>24), uint8(v>>40)
		}
		mu.Lock()
		total += n
		mu.Unlock()
	})
	return total
}
