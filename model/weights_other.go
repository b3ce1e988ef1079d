//go:build !amd64 || purego

package model

func (p *Painter) fillWeights(w rowWeights, labels, mask []uint8) int {
	return p.fillWeightsGo(w, labels, mask, false)
}

func (p *Painter) fillHalves(w rowWeights, lab []uint8, sc []float32, mk, ml []uint8, ms []float32, mm []uint8) int {
	return p.fillHalvesGo(w, lab, sc, mk, ml, ms, mm)
}
