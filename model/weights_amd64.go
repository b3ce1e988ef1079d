package model

// lookupWeights is setWeights's loop without Go's bounds checks, which
// made it cost as much as the blend it feeds; setWeights checks the
// lengths.
//
//go:noescape
func lookupWeights(keep, add, labels, mask *byte, table *blendEntry, n int, pairs bool) int

func (p *Painter) fillWeights(w rowWeights, labels, mask []uint8, pairs bool) int {
	if len(labels) == 0 {
		return 0
	}
	return lookupWeights(&w.keep[0], &w.add[0], &labels[0], &mask[0], &p.blend[0], len(labels), pairs)
}
