package calibration

import (
	"math"
	"slices"
)

// HistBins is the resolution of score histograms.
const HistBins = 1 << 20

// Hist counts outlier and inlier pixels per score bin on [0, 1].
type Hist struct {
	pos, neg []uint32
}

// NewHist allocates an empty histogram (8 MiB).
func NewHist() *Hist {
	return &Hist{pos: make([]uint32, HistBins+1), neg: make([]uint32, HistBins+1)}
}

func bin(score float32) int {
	if !(score > 0) { // also NaN
		return 0
	}
	if score >= 1 {
		return HistBins
	}
	return int(score * HistBins)
}

// Add counts one pixel.
func (h *Hist) Add(score float32, outlier bool) {
	if outlier {
		h.pos[bin(score)]++
	} else {
		h.neg[bin(score)]++
	}
}

// Ranking computes the metrics; curve, if not nil, gets every operating point.
func (h *Hist) Ranking(curve func(tpr, precision, fpr float64)) (Ranking, error) {
	return rank(func(yield func(group) bool) {
		for b := HistBins; b >= 0; b-- {
			if !yield(group{int64(h.pos[b]), int64(h.neg[b])}) {
				return
			}
		}
	}, curve)
}

// InlierQuantile is the smallest bin edge t such that at most 1-q of the
// inlier pixels score above t: the threshold that keeps q of the inliers
// (inlier TPR q). It returns NaN when there are no inliers.
func (h *Hist) InlierQuantile(q float64) float64 {
	var total int64
	for _, c := range h.neg {
		total += int64(c)
	}
	if total == 0 {
		return math.NaN()
	}
	allowed := int64(math.Floor((1 - q) * float64(total)))
	var above int64
	for b := HistBins; b >= 0; b-- {
		if above+int64(h.neg[b]) > allowed {
			return float64(b+1) / HistBins
		}
		above += int64(h.neg[b])
	}
	return 0
}

// RankPixels computes exact metrics for one image's pixels by sorting.
// Each pixel is one uint64, its score's order-preserving bits above its
// outlier flag, so the sort is a plain integer sort (four times faster
// than sorting indices through a comparison closure).
func RankPixels(scores []float32, outlier []bool) (Ranking, error) {
	keys := make([]uint64, len(scores))
	for i, s := range scores {
		if s == 0 {
			s = 0 // -0 ties with +0
		}
		b := math.Float32bits(s)
		if b&(1<<31) != 0 {
			b = ^b // negative: reverse the order of magnitudes
		} else {
			b |= 1 << 31
		}
		keys[i] = uint64(b) << 1
		if outlier[i] {
			keys[i] |= 1
		}
	}
	slices.Sort(keys)
	return rank(func(yield func(group) bool) {
		for i := len(keys) - 1; i >= 0; { // highest score first
			var g group
			s := keys[i] >> 1
			for ; i >= 0 && keys[i]>>1 == s; i-- {
				if keys[i]&1 != 0 {
					g.pos++
				} else {
					g.neg++
				}
			}
			if !yield(g) {
				return
			}
		}
	}, nil)
}
