package model

import (
	"fmt"

	"osr/internal/blend"
)

// Painter blends the palette over the frame in integer arithmetic:
// out = (img*(256-a) + colour*a) >> 8, with a stronger alpha on outliers so
// that they stand out in RViz.
type Painter struct {
	// blend[label | outlier<<8]: the image weight and the colour
	// premultiplied by its alpha. Entries 256..511 are the outlier colour,
	// so the mask picks them without a branch.
	blend [512]blendEntry
	// pairs[k]: blend[k] for two pixels side by side (a model pixel of a
	// frame twice its size), as the 2x2 loop stores them in one go.
	pairs [512]pairEntry
}

// blendEntry holds a pixel's three channels in 16-bit lanes of one word,
// as blend.Put3 writes them: every lane stays below 255*256, so a channel
// never carries into the next.
type blendEntry struct {
	keep uint64 // 256-a in each lane
	add  uint64 // colour*a per channel
}

// pairEntry is a blendEntry's lanes for two pixels: six lanes of keep and
// of add, and two zero lanes, which the next pixel's store overwrites.
type pairEntry struct {
	keep, add [8]uint16
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
		p.pairs[id] = pairEntry{
			keep: [8]uint16{uint16(k), uint16(k), uint16(k), uint16(k), uint16(k), uint16(k)},
			add:  [8]uint16{uint16(col[0]) * w, uint16(col[1]) * w, uint16(col[2]) * w, uint16(col[0]) * w, uint16(col[1]) * w, uint16(col[2]) * w},
		}
		p.blend[id] = blendEntry{
			keep: k | k<<16 | k<<32,
			add:  uint64(col[0])*uint64(w) | uint64(col[1])*uint64(w)<<16 | uint64(col[2])*uint64(w)<<32,
		}
	}
	return p
}

// rowWeights is one goroutine's scratch for painting up to a row of
// pixels: each pixel's blend weights, filled by setWeights or setHalves
// and applied to the whole row at once by apply.
type rowWeights struct{ keep, add []byte }

func newRowWeights(pixels int) rowWeights {
	n := blend.WeightBytes(3 * pixels)
	return rowWeights{keep: make([]byte, n), add: make([]byte, n)}
}

// pixels is how many pixels w holds.
func (w rowWeights) pixels() int { return (len(w.keep) - blend.WeightBytes(0)) / 6 }

// setWeights gives each pixel of w the blend entry of its label and mask
// and returns how many are outliers.
func (p *Painter) setWeights(w rowWeights, labels, mask []uint8) int {
	if len(mask) < len(labels) || w.pixels() < len(labels) {
		panic(fmt.Sprintf("overlay weights: %d labels, %d mask values, room for %d pixels", len(labels), len(mask), w.pixels()))
	}
	return p.fillWeights(w, labels, mask[:len(labels)])
}

// setHalves writes each model pixel's label, score and mask (ml, ms, mm)
// twice into a frame row of twice the width (lab, sc, mk), gives both
// frame pixels its blend entry in w, and returns how many model pixels are
// outliers: the first row of a 2x2 block, in one pass.
func (p *Painter) setHalves(w rowWeights, lab []uint8, sc []float32, mk, ml []uint8, ms []float32, mm []uint8) int {
	n := len(ml)
	if len(ms) < n || len(mm) < n || len(lab) < 2*n || len(sc) < 2*n || len(mk) < 2*n || w.pixels() < 2*n {
		panic(fmt.Sprintf("overlay halves: %d model pixels (%d, %d), a frame row of %d, %d, %d, weights for %d", n, len(ms), len(mm), len(lab), len(sc), len(mk), w.pixels()))
	}
	return p.fillHalves(w, lab, sc, mk, ml, ms[:n], mm[:n])
}

// fillHalvesGo is setHalves's loop in Go, for CPUs without the assembly
// one and to test it against.
func (p *Painter) fillHalvesGo(w rowWeights, lab []uint8, sc []float32, mk, ml []uint8, ms []float32, mm []uint8) int {
	doubled(lab, sc, mk, ml, ms, mm)
	return p.fillWeightsGo(w, ml, mm, true)
}

// fillWeightsGo is setWeights's loop in Go (with pairs, two pixels of w
// per label), for CPUs without the assembly one and to test it against.
func (p *Painter) fillWeightsGo(w rowWeights, labels, mask []uint8, pairs bool) int {
	outliers, j, reps := 0, 0, 1
	if pairs {
		reps = 2
	}
	mask = mask[:len(labels)]
	for i, l := range labels {
		o := int(mask[i] & 1)
		outliers += o
		e := &p.blend[(int(l)|o<<8)&511]
		for range reps {
			blend.Put3(w.keep, j, e.keep)
			blend.Put3(w.add, j, e.add)
			j++
		}
	}
	return outliers
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
	for lo := 0; lo < len(labels); lo += step {
		hi := min(len(labels), lo+step)
		n += p.setWeights(w, labels[lo:hi], mask[lo:hi])
		w.apply(dst[3*lo:3*hi], img[3*lo:3*hi])
	}
	return n
}
