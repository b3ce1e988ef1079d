//go:build amd64 && !purego

package model

// lookupWeights is setWeights's loop without Go's bounds checks, which
// made it cost as much as the blend it feeds; setWeights checks the
// lengths.
//
//go:noescape
func lookupWeights(keep, add, labels, mask *byte, table *blendEntry, n int) int

func (p *Painter) fillWeights(w rowWeights, labels, mask []uint8) int {
	if len(labels) == 0 {
		return 0
	}
	return lookupWeights(&w.keep[0], &w.add[0], &labels[0], &mask[0], &p.blend[0], len(labels))
}

// halvesWeights is setHalves's loop (see lookupWeights).
//
//go:noescape
func halvesWeights(keep, add, labels, mask *byte, score *float32, lab, mk *byte, sc *float32, pairs *pairEntry, n int) int

func (p *Painter) fillHalves(w rowWeights, lab []uint8, sc []float32, mk, ml []uint8, ms []float32, mm []uint8) int {
	if len(ml) == 0 {
		return 0
	}
	return halvesWeights(&w.keep[0], &w.add[0], &ml[0], &mm[0], &ms[0], &lab[0], &mk[0], &sc[0], &p.pairs[0], len(ml))
}
