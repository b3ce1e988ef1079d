package calibration

import (
	"cmp"
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

// RankPixels computes exact metrics for one image's pixels from their
// scores in exact order. Each pixel is one uint64, its score's
// order-preserving bits above its outlier flag (pixelKey), so the order is
// a plain integer radix sort, linear in the pixels.
func RankPixels(scores []float32, outlier []bool) (Ranking, error) {
	keys := make([]uint64, len(scores))
	for i, s := range scores {
		keys[i] = pixelKey(s, outlier[i])
	}
	return rankSorted(radixSort(keys, nil))
}

// pixelKey orders a pixel by its score's bits (negative scores below
// positive ones, -0 with +0) and then its outlier flag, in 33 bits.
func pixelKey(s float32, outlier bool) uint64 {
	if s == 0 {
		s = 0 // -0 ties with +0
	}
	b := math.Float32bits(s)
	if b&(1<<31) != 0 {
		b = ^b // negative: reverse the order of magnitudes
	} else {
		b |= 1 << 31
	}
	k := uint64(b) << 1
	if outlier {
		k |= 1
	}
	return k
}

// A pixel entry is a pixelKey with, above its keyBits, the ground-truth
// class of its pixels (Evaluator.Add's entries; noClass for outliers and
// classes the model does not know) and how many more pixels of that key
// and class it stands for: the pixels of an image that share a score, flag
// and class (runs along a row, and the blocks of a score upsampled from
// the model's resolution) are sorted and walked once instead of once each.
// A plain pixelKey is an entry of one pixel.
const (
	keyBits        = 33
	keyMask        = 1<<keyBits - 1
	classBits      = 5
	noClass        = 1<<classBits - 1
	entryMask      = 1<<(keyBits+classBits) - 1 // key and class
	entryPixel     = 1 << (keyBits + classBits) // adds a pixel to an entry
	maxEntryPixels = 1 << (64 - keyBits - classBits)
	// recentBits sizes Evaluator.Add's table of recent entries: 4096
	// hold the entries of more than a 480-pixel row, so that the row
	// below an upsampled row finds them.
	recentBits = 12
)

// keyScore is the score a pixelKey was made from (+0 for -0).
func keyScore(k uint64) float32 {
	b := uint32(k >> 1)
	if b&(1<<31) != 0 {
		b &^= 1 << 31
	} else {
		b = ^b
	}
	return math.Float32frombits(b)
}

// rankSorted ranks sorted pixel keys, highest score first, pixels of one
// score as one group.
func rankSorted(keys []uint64) (Ranking, error) {
	return rank(groupsOf(keys), nil)
}

// groupsOf yields pixel entries sorted by key as groups of one score,
// highest first.
func groupsOf(keys []uint64) func(yield func(group) bool) {
	return func(yield func(group) bool) {
		for i := len(keys) - 1; i >= 0; {
			var g group
			s := keys[i] & keyMask >> 1
			for ; i >= 0 && keys[i]&keyMask>>1 == s; i-- {
				pixels := int64(1 + keys[i]>>(keyBits+classBits))
				if keys[i]&1 != 0 {
					g.pos += pixels
				} else {
					g.neg += pixels
				}
			}
			if !yield(g) {
				return
			}
		}
	}
}

// radixBits is the digit of radixSort: three passes cover the 33-bit keys.
const radixBits = 11

// radixSort sorts pixel entries ascending by their 33-bit keys (the bits
// above, an entry's count, do not take part) by least-significant-digit
// radix sort and returns the sorted slice, which is keys or scratch. One
// pass counts all three digits; a digit that is the same in every key is
// not scattered.
func radixSort(keys, scratch []uint64) []uint64 {
	if len(keys) < 256 {
		slices.SortFunc(keys, func(a, b uint64) int { return cmp.Compare(a&keyMask, b&keyMask) })
		return keys
	}
	if cap(scratch) < len(keys) {
		scratch = make([]uint64, len(keys))
	}
	const mask = 1<<radixBits - 1
	var count [3][1 << radixBits]int
	for _, k := range keys {
		count[0][k&mask]++
		count[1][(k>>radixBits)&mask]++
		count[2][(k>>(2*radixBits))&mask]++
	}
	src, dst := keys, scratch[:len(keys)]
	for d := range count {
		shift := uint(d * radixBits)
		c := &count[d]
		if c[(src[0]>>shift)&mask] == len(src) {
			continue
		}
		sum := 0
		for i, n := range c {
			c[i] = sum
			sum += n
		}
		for _, k := range src {
			i := (k >> shift) & mask
			dst[c[i]] = k
			c[i]++
		}
		src, dst = dst, src
	}
	return src
}
