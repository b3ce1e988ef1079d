package nn

import "math"

// Ignore marks a label pixel that takes no part in the loss.
const Ignore = 255

// SoftmaxCrossEntropy computes the class-weighted mean cross-entropy of
// logits [C, n] against labels [n] (Ignore skipped) and writes the gradient
// of that mean into dlogits. It returns the loss and the counted pixels.
func SoftmaxCrossEntropy(logits []float32, labels []uint8, classes int, weights []float32, dlogits []float32) (float64, int) {
	n := len(labels)
	clear(dlogits[:classes*n])
	var loss, wsum float64
	p := make([]float64, classes)
	for i, l := range labels {
		if l == Ignore || int(l) >= classes {
			continue
		}
		mx := math.Inf(-1)
		for c := 0; c < classes; c++ {
			p[c] = float64(logits[c*n+i])
			mx = math.Max(mx, p[c])
		}
		sum := 0.0
		for c := range p {
			p[c] = math.Exp(p[c] - mx)
			sum += p[c]
		}
		w := 1.0
		if weights != nil {
			w = float64(weights[l])
		}
		loss -= w * math.Log(p[l]/sum)
		wsum += w
		for c := range p {
			g := p[c] / sum
			if c == int(l) {
				g--
			}
			dlogits[c*n+i] = float32(w * g)
		}
	}
	if wsum == 0 {
		return 0, 0
	}
	inv := float32(1 / wsum)
	for i := range dlogits[:classes*n] {
		dlogits[i] *= inv
	}
	count := 0
	for _, l := range labels {
		if l != Ignore && int(l) < classes {
			count++
		}
	}
	return loss / wsum, count
}
