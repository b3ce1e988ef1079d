//go:build !amd64

package model

func (p *Painter) fillWeights(w rowWeights, labels, mask []uint8, pairs bool) int {
	return p.fillWeightsGo(w, labels, mask, pairs)
}
