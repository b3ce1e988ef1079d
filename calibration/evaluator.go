package calibration

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// Ground-truth codes after mapping a dataset's label ids.
const (
	GTOutlier = 254
	GTIgnore  = 255
)

// ImageResult is one image's figures.
type ImageResult struct {
	Name          string   `json:"name"`
	OutlierPixels int64    `json:"outlier_pixels"`
	InlierPixels  int64    `json:"inlier_pixels"`
	PixelAccuracy float64  `json:"pixel_accuracy"` // closed-set, over inlier pixels
	OutlierShare  float64  `json:"outlier_share"`  // predicted outlier pixels / all pixels
	AP            *float64 `json:"ap,omitempty"`   // only for images with outliers and inliers
	FPR95         *float64 `json:"fpr95,omitempty"`
	AUROC         *float64 `json:"auroc,omitempty"`
}

// Evaluator accumulates segmentation and outlier-detection results over a
// split, image by image, in bounded memory.
type Evaluator struct {
	classes  []string
	closed   []int64 // k x k confusion of inlier pixels: gt x argmax
	open     []int64 // (k+1) x (k+1): gt (k = outlier) x prediction (k = flagged outlier)
	hist     *Hist
	scoreSum []float64 // per ground-truth class, then outliers (index k)
	scoreN   []int64
	images   []ImageResult
	keys     []uint64 // one image's pixel entries (pixelKey and a count) and the sort's buffer
	sorted   []uint64
	// recent is the entry (an index into keys, in the high 32 bits) of a
	// recently seen key, by the key's hash, for merging a pixel into an
	// entry of the same key; the low 32 bits are the key's, so that a new
	// key is told from the table alone, without a load from keys that
	// misses the cache.
	recent *[1 << recentBits]uint64
	// classInEntry says the entries carry the inlier class (up to
	// noClass classes): classHist and scoreN are then counted from them.
	classInEntry bool
	// classHist counts each inlier class's pixels per coarse score bin,
	// for FalseAlarms.
	classHist [][]uint32
	// pending holds the sorted entries of the images not yet counted in
	// hist (and classHist and scoreN), image after image; runs are where
	// each image's end. settle counts them once pending would pass
	// settleAt entries, or when the counts are read.
	pending  []uint64
	runs     []int
	settleAt int
}

// settleEntries is Evaluator.settleAt: 4 MiB of entries, those of about
// 11 camvid images.
const settleEntries = 1 << 19

// NewEvaluator evaluates a model predicting these classes.
func NewEvaluator(classes []string) *Evaluator {
	k := len(classes)
	e := &Evaluator{classes: classes, closed: make([]int64, k*k), open: make([]int64, (k+1)*(k+1)), hist: NewHist(),
		scoreSum: make([]float64, k+1), scoreN: make([]int64, k+1), classHist: make([][]uint32, k), recent: new([1 << recentBits]uint64),
		classInEntry: k <= noClass, settleAt: settleEntries}
	for c := range e.classHist {
		e.classHist[c] = make([]uint32, classBins+1)
	}
	return e
}

// Add accumulates one image. gt holds class indices in the model's order,
// GTOutlier or GTIgnore; pred the argmax class; score the outlier score;
// mask non-zero where the model flags an outlier.
func (e *Evaluator) Add(name string, gt, pred []uint8, score []float32, mask []uint8) (ImageResult, error) {
	if len(gt) != len(pred) || len(gt) != len(score) || len(gt) != len(mask) {
		return ImageResult{}, errors.New("evaluator: label, prediction, score and mask sizes differ")
	}
	if len(gt) > maxEntryPixels {
		return ImageResult{}, fmt.Errorf("evaluator: %d pixels, over the %d an image may have", len(gt), maxEntryPixels)
	}
	k := len(e.classes)
	classInEntry := e.classInEntry
	r := ImageResult{Name: name}
	keys := slices.Grow(e.keys[:0], len(gt))[:len(gt)]
	// Pixels of one key and class share an entry (see keyBits): the
	// pixel before's, else a recent one's found through the hash table.
	n, keyed := 0, int64(0)
	last, lastEntry := 0, uint64(math.MaxUint64)
	recent := e.recent
	var correct, flagged int64
	// The per-class score sums add each pixel in pixel order, as one sum
	// per class must for the same result; a run of pixels of one class
	// adds into a register (sum, of class cur) instead of through memory.
	sums := e.scoreSum
	cur, sum := k, sums[k]
	// A run of pixels equal in all four inputs (the two frame pixels of
	// a model pixel upsampled 2x, a row of one class and score) counts
	// as its first pixel does, once, times the run's length; only the
	// score sums still add pixel by pixel.
	for i := 0; i < len(gt); {
		g, p8, m, s := gt[i], pred[i], mask[i], score[i]
		bits, end := math.Float32bits(s), i+1
		for end < len(gt) && gt[end] == g && pred[end] == p8 && mask[end] == m && math.Float32bits(score[end]) == bits {
			end++
		}
		run := end - i
		i = end
		if m != 0 {
			flagged += int64(run)
		}
		if g == GTIgnore {
			continue
		}
		p := int(p8) // an id outside the classes (k or more) is always wrong
		outlier := g == GTOutlier
		keyed += int64(run)
		class := uint64(noClass)
		if classInEntry && !outlier && int(g) < k {
			class = uint64(g)
		}
		if entry := pixelKey(s, outlier) | class<<keyBits; entry == lastEntry {
			keys[last] += uint64(run) * entryPixel
		} else {
			h := entry * 0x9e3779b97f4a7c15 >> (64 - recentBits)
			slot := recent[h]
			j := int(slot >> 32)
			if uint32(slot) == uint32(entry) && j < n && keys[j]&entryMask == entry {
				keys[j] += uint64(run) * entryPixel
			} else {
				j = n
				keys[n] = entry + uint64(run-1)*entryPixel
				recent[h] = uint64(n)<<32 | uint64(uint32(entry))
				n++
			}
			last, lastEntry = j, entry
		}
		openPred := min(p, k)
		if m != 0 {
			openPred = k
		}
		c := k // the outliers' sum
		if !outlier {
			if int(g) >= k {
				continue
			}
			c = int(g)
		}
		if c != cur {
			sums[cur], cur = sum, c
			sum = sums[c]
		}
		for range run {
			sum += float64(s)
		}
		if outlier {
			r.OutlierPixels += int64(run)
			if openPred < k || m != 0 {
				e.open[k*(k+1)+openPred] += int64(run)
			}
			continue
		}
		r.InlierPixels += int64(run)
		if !classInEntry { // else settle counts them from the entries
			e.classHist[g][bin(s)>>classShift] += uint32(run)
			e.scoreN[g] += int64(run)
		}
		if p < k {
			e.closed[int(g)*k+p] += int64(run)
			e.open[int(g)*(k+1)+openPred] += int64(run)
		}
		if int(g) == p {
			correct += int64(run)
		}
	}
	sums[cur] = sum
	e.scoreN[k] += r.OutlierPixels
	e.keys = keys[:n]
	if r.InlierPixels > 0 {
		r.PixelAccuracy = float64(correct) / float64(r.InlierPixels)
	}
	r.OutlierShare = float64(flagged) / float64(len(gt))
	// One radix sort of the image's entries gives its exact ranking (a
	// walk over them, highest score first) and, kept in pending, the
	// split's counts (see settle).
	if cap(e.sorted) < len(e.keys) {
		e.sorted = make([]uint64, len(e.keys))
	}
	sorted := radixSort(e.keys, e.sorted)
	if len(e.pending) > 0 && len(e.pending)+len(sorted) > e.settleAt {
		e.settle()
	}
	e.pending = append(e.pending, sorted...)
	e.runs = append(e.runs, len(e.pending))
	if r.OutlierPixels > 0 && r.InlierPixels > 0 {
		rk, err := rankTotals(r.OutlierPixels, keyed-r.OutlierPixels, groupsOf(sorted), nil)
		if err == nil {
			r.AP, r.FPR95, r.AUROC = ptr(rk.AP), ptr(rk.FPR95), ptr(rk.AUROC)
		}
	}
	e.images = append(e.images, r)
	return r, nil
}

// settleBins is how many of the split histogram's bins settle counts into
// at a time: 16 KiB of hist.neg, and 1 KiB per class of classHist.
const settleBins = 1 << 12

// settle counts the pending entries into the split's histogram and, when
// the entries carry the class, the classes' coarse histograms and pixel
// counts. Each image's entries are sorted by score, so bins ascend along
// each run: settle takes settleBins bins at a time, from every image in
// turn, so that the counts it adds to stay in cache instead of one
// random access into the 8 MiB histogram per entry. Integer sums in
// another order are the same sums.
func (e *Evaluator) settle() {
	if len(e.runs) == 0 {
		return
	}
	hist, classHist, classN := e.hist, e.classHist, e.scoreN
	next := make([]int, len(e.runs)) // each run's first entry not counted
	for r := 1; r < len(e.runs); r++ {
		next[r] = e.runs[r-1]
	}
	for limit := settleBins; ; limit += settleBins {
		last := limit > HistBins // the last pass takes whatever is left (NaN scores count in bin 0)
		for r, end := range e.runs {
			i := next[r]
			for ; i < end; i++ {
				k := e.pending[i]
				b := bin(keyScore(k & keyMask))
				if b >= limit && !last {
					break
				}
				pixels := uint32(1 + k>>(keyBits+classBits))
				if k&1 != 0 {
					hist.pos[b] += pixels
				} else {
					hist.neg[b] += pixels
				}
				if c := k >> keyBits & noClass; c != noClass && e.classInEntry {
					classHist[c][b>>classShift] += pixels
					classN[c] += int64(pixels)
				}
			}
			next[r] = i
		}
		if last {
			break
		}
	}
	e.pending, e.runs = e.pending[:0], e.runs[:0]
}

func ptr(v float64) *float64 { return &v }

// Images is every image's result so far.
func (e *Evaluator) Images() []ImageResult { return e.images }

// MeanScores is the mean outlier score of the pixels of each
// ground-truth class that occurs, and of the outlier pixels (key
// "outliers"): which inlier classes the model finds most like outliers.
func (e *Evaluator) MeanScores() map[string]float64 {
	e.settle()
	m := map[string]float64{}
	for i, n := range e.scoreN {
		if n == 0 {
			continue
		}
		name := "outliers"
		if i < len(e.classes) {
			name = e.classes[i]
		}
		m[name] = e.scoreSum[i] / float64(n)
	}
	return m
}

// Hist is the split's score histogram.
func (e *Evaluator) Hist() *Hist {
	e.settle()
	return e.hist
}

// IoU is closed-set per-class IoU over inlier pixels and its mean over
// classes that occur (in ground truth or prediction).
func (e *Evaluator) IoU() (map[string]float64, float64) {
	return iou(e.classes, e.closed, len(e.classes))
}

// PixelAccuracy is the share of inlier pixels given their class.
func (e *Evaluator) PixelAccuracy() float64 {
	k := len(e.classes)
	var correct, total int64
	for i, n := range e.closed {
		total += n
		if i/k == i%k {
			correct += n
		}
	}
	if total == 0 {
		return math.NaN()
	}
	return float64(correct) / float64(total)
}

// OpenIoU is per-class IoU where outlier pixels that the model gives a
// known class count as false positives of that class, and inlier pixels it
// flags as outliers as false negatives.
func (e *Evaluator) OpenIoU() (map[string]float64, float64) {
	return iou(e.classes, e.open, len(e.classes)+1)
}

// iou reads a confusion matrix of side n (the first len(classes) rows and
// columns are the classes).
func iou(classes []string, conf []int64, n int) (map[string]float64, float64) {
	per := map[string]float64{}
	sum, count := 0.0, 0
	for c := range classes {
		tp := conf[c*n+c]
		var fp, fn int64
		for o := 0; o < n; o++ {
			if o == c {
				continue
			}
			fn += conf[c*n+o]
			fp += conf[o*n+c]
		}
		if tp+fp+fn == 0 {
			continue
		}
		v := float64(tp) / float64(tp+fp+fn)
		per[classes[c]] = v
		sum += v
		count++
	}
	if count == 0 {
		return per, math.NaN()
	}
	return per, sum / float64(count)
}

// PerImageMeans averages AP, FPR95 and AUROC over the images that contain
// both outliers and inliers (StreetHazards style), and counts them.
func (e *Evaluator) PerImageMeans() (ap, fpr95, auroc float64, n int) {
	for _, r := range e.images {
		if r.AP == nil {
			continue
		}
		ap += *r.AP
		fpr95 += *r.FPR95
		auroc += *r.AUROC
		n++
	}
	if n == 0 {
		return math.NaN(), math.NaN(), math.NaN(), 0
	}
	return ap / float64(n), fpr95 / float64(n), auroc / float64(n), n
}
