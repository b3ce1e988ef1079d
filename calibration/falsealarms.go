package calibration

// The per-class inlier histograms behind FalseAlarms merge 16 of Hist's
// bins into one, so that a 19-class model costs 5 MiB.
const (
	classShift = 4
	classBins  = HistBins >> classShift
)

// FalseAlarms says which inlier classes the outlier score confuses with
// outliers: at the highest score threshold that still flags 95 % of the
// outlier pixels (the FPR95 operating point, to 1/65536 of the score),
// the share of each class's pixels flagged, and each class's share of all
// flagged inlier pixels.
type FalseAlarms struct {
	Threshold  float64                     `json:"threshold"`   // flag score >= Threshold
	OutlierTPR float64                     `json:"outlier_tpr"` // >= 0.95
	FPR        float64                     `json:"fpr"`         // flagged share of all inlier pixels
	Classes    map[string]ClassFalseAlarms `json:"classes"`
}

// ClassFalseAlarms is one inlier class's part in FalseAlarms.
type ClassFalseAlarms struct {
	Flagged float64 `json:"flagged"` // share of the class's pixels flagged
	Share   float64 `json:"share"`   // share of all flagged inlier pixels
}

// FalseAlarms computes the breakdown; nil when the split has no outlier
// or no inlier pixel.
func (e *Evaluator) FalseAlarms() *FalseAlarms {
	e.settle()
	// Outlier pixels per coarse bin, from the fine histogram.
	pos := make([]int64, classBins+1)
	var P int64
	for b, c := range e.hist.pos {
		pos[b>>classShift] += int64(c)
		P += int64(c)
	}
	if P == 0 {
		return nil
	}
	// The highest coarse bin whose lower edge keeps 95 % of the outliers.
	var tp int64
	edge := 0
	for b := classBins; b >= 0; b-- {
		tp += pos[b]
		if float64(tp) >= 0.95*float64(P) {
			edge = b
			break
		}
	}
	fa := &FalseAlarms{Threshold: float64(edge) / classBins, OutlierTPR: float64(tp) / float64(P), Classes: map[string]ClassFalseAlarms{}}
	flagged := make([]int64, len(e.classes))
	var allFlagged, all int64
	for c, h := range e.classHist {
		for b, n := range h {
			all += int64(n)
			if b >= edge {
				flagged[c] += int64(n)
			}
		}
		allFlagged += flagged[c]
	}
	if all == 0 {
		return nil
	}
	fa.FPR = float64(allFlagged) / float64(all)
	for c, name := range e.classes {
		if e.scoreN[c] == 0 {
			continue
		}
		cf := ClassFalseAlarms{Flagged: float64(flagged[c]) / float64(e.scoreN[c])}
		if allFlagged > 0 {
			cf.Share = float64(flagged[c]) / float64(allFlagged)
		}
		fa.Classes[name] = cf
	}
	return fa
}
