package calibration

import (
	"errors"
	"math"
)

// ErrNoOutliers and ErrNoInliers say why ranking metrics are undefined.
var (
	ErrNoOutliers = errors.New("no outlier pixels: AP, FPR95 and AUROC are undefined")
	ErrNoInliers  = errors.New("no inlier pixels: FPR95 and AUROC are undefined")
)

// Ranking holds the outlier-detection metrics, with outliers as positives
// and higher scores meaning "more likely an outlier".
type Ranking struct {
	AP        float64 `json:"ap"`                 // area under precision-recall, as sklearn's average_precision_score
	AUROC     float64 `json:"auroc"`              // trapezoidal, as sklearn's roc_auc_score
	FPR95     float64 `json:"fpr95"`              // inlier FPR at the first threshold reaching 95 % outlier TPR
	TNR95     float64 `json:"tnr95"`              // 1 - FPR95
	DetAcc    float64 `json:"detection_accuracy"` // max over thresholds of (TPR + TNR) / 2
	Positives int64   `json:"outlier_pixels"`
	Negatives int64   `json:"inlier_pixels"`
}

// group is a set of tied scores: how many positives and negatives share it.
type group struct{ pos, neg int64 }

// rank computes the metrics from tie groups in descending score order.
// curve, when not nil, receives every operating point (recall/TPR, precision, FPR).
func rank(groups func(yield func(group) bool), curve func(tpr, precision, fpr float64)) (Ranking, error) {
	var P, N int64
	groups(func(g group) bool { P += g.pos; N += g.neg; return true })
	return rankTotals(P, N, groups, curve)
}

// rankTotals is rank for groups whose positives P and negatives N are
// known: it walks them once.
func rankTotals(P, N int64, groups func(yield func(group) bool), curve func(tpr, precision, fpr float64)) (Ranking, error) {
	r := Ranking{Positives: P, Negatives: N}
	if P == 0 {
		return r, ErrNoOutliers
	}
	if N == 0 {
		return r, ErrNoInliers
	}
	var tp, fp int64
	var tpr, prec, prevTPR, prevFPR float64
	fpr95 := math.NaN()
	groups(func(g group) bool {
		if g.pos == 0 && g.neg == 0 {
			return true
		}
		tp += g.pos
		fp += g.neg
		fpr := float64(fp) / float64(N)
		// Most groups are inliers alone: tpr stays, and AP's term is
		// 0 * prec, so neither division is needed for the same sums.
		if g.pos != 0 {
			tpr = float64(tp) / float64(P)
		}
		if g.pos != 0 || curve != nil {
			prec = float64(tp) / float64(tp+fp)
		}
		if g.pos != 0 {
			r.AP += (tpr - prevTPR) * prec
		}
		r.AUROC += (fpr - prevFPR) * (tpr + prevTPR) / 2
		if math.IsNaN(fpr95) && tpr >= 0.95 {
			fpr95 = fpr
		}
		if acc := (tpr + 1 - fpr) / 2; acc > r.DetAcc {
			r.DetAcc = acc
		}
		if curve != nil {
			curve(tpr, prec, fpr)
		}
		prevTPR, prevFPR = tpr, fpr
		return true
	})
	r.FPR95 = fpr95
	r.TNR95 = 1 - fpr95
	// Accepting nothing as an outlier is an operating point too.
	r.DetAcc = math.Max(r.DetAcc, 0.5)
	return r, nil
}
