package calibration

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestEvaluatorIoUAndOpenIoU(t *testing.T) {
	e := NewEvaluator([]string{"road", "car"})
	o, x := uint8(GTOutlier), uint8(GTIgnore)
	gt := []uint8{0, 0, 1, 1, o, o, x}
	pred := []uint8{0, 1, 1, 1, 0, 1, 0}
	mask := []uint8{0, 0, 0, 255, 255, 0, 0}
	score := []float32{0.1, 0.2, 0.1, 0.9, 0.8, 0.3, 0.99}
	r, err := e.Add("a", gt, pred, score, mask)
	if err != nil {
		t.Fatal(err)
	}
	// Closed set over inlier pixels: road tp1 fn1 fp0 -> 1/2; car tp2 fp1 -> 2/3.
	per, miou := e.IoU()
	near(t, "road IoU", per["road"], 0.5)
	near(t, "car IoU", per["car"], 2.0/3)
	near(t, "mIoU", miou, (0.5+2.0/3)/2)
	// Open set: car pixel 3 is flagged (fn of car); outlier 5 predicted car (fp of car).
	// road: tp1, fn1 (pixel 1 -> car), fp0 -> 1/2. car: tp1 (pixel 2), fn1 (pixel 3 flagged),
	// fp2 (pixel 1 road->car, outlier pixel 5 -> car) -> 1/4.
	operPer, omiou := e.OpenIoU()
	near(t, "open road", operPer["road"], 0.5)
	near(t, "open car", operPer["car"], 0.25)
	near(t, "open mIoU", omiou, 0.375)
	if r.OutlierPixels != 2 || r.InlierPixels != 4 || r.AP == nil {
		t.Fatalf("image result %+v", r)
	}
	near(t, "pixel accuracy", r.PixelAccuracy, 0.75)
	near(t, "outlier share", r.OutlierShare, 2.0/7)
	// Mean scores: road 0.1, 0.2; car 0.1, 0.9; outliers 0.8, 0.3; ignored pixels left out.
	ms := e.MeanScores()
	f := func(v float32) float64 { return float64(v) } // the scores are float32
	near(t, "road mean score", ms["road"], (f(0.1)+f(0.2))/2)
	near(t, "car mean score", ms["car"], (f(0.1)+f(0.9))/2)
	near(t, "outlier mean score", ms["outliers"], (f(0.8)+f(0.3))/2)
}

func TestEvaluatorAllInlierImages(t *testing.T) {
	e := NewEvaluator([]string{"road", "car"})
	r, err := e.Add("clean", []uint8{0, 1, 1}, []uint8{0, 1, 0}, []float32{0.1, 0.2, 0.9}, []uint8{0, 0, 255})
	if err != nil {
		t.Fatal(err)
	}
	if r.AP != nil {
		t.Error("an image without outliers has an AP")
	}
	ap, _, _, n := e.PerImageMeans()
	if n != 0 || !math.IsNaN(ap) {
		t.Errorf("per-image means over no outlier images: %g over %d", ap, n)
	}
	if _, err := e.Hist().Ranking(nil); err == nil {
		t.Error("split without outliers gave ranking metrics")
	}
}

func TestEvaluatorRejectsSizeMismatch(t *testing.T) {
	e := NewEvaluator([]string{"a"})
	if _, err := e.Add("x", []uint8{0, 0}, []uint8{0}, []float32{0, 0}, []uint8{0, 0}); err == nil {
		t.Fatal("size mismatch accepted")
	}
}

// The split's histogram and the classes' coarse ones, filled from each
// image's sorted entries, count what adding pixel by pixel counts, and the
// per-image ranking is the exact one of RankPixels: for scores with many
// ties, and for scores upsampled 2x from a model's resolution (each a 2x2
// block of pixels that Add merges into one entry where their flags and
// classes agree) beside ground truth in runs, on an image wide enough to
// overflow the table of recent entries; with 3 classes, which the entries
// carry, and with 40, which they cannot. The entries wait to be counted
// (Evaluator.settle): with the default room, and with room for about two
// of the small images, so that counting happens between images, with a
// read of the counts between them as well.
func TestEvaluatorHistogramAndRankingFromSortedPixels(t *testing.T) {
	for _, tc := range []struct{ k, settleAt int }{{3, settleEntries}, {40, settleEntries}, {3, 5000}, {40, 5000}} {
		k := tc.k
		r := rand.New(rand.NewPCG(7, 8))
		names := make([]string, k)
		for c := range names {
			names[c] = fmt.Sprint("class", c)
		}
		ev := NewEvaluator(names)
		ev.settleAt = tc.settleAt
		want := NewHist()
		wantClass := make([][]uint32, k)
		for c := range wantClass {
			wantClass[c] = make([]uint32, classBins+1)
		}
		wantN := make([]int64, k+1)
		for img := range 6 {
			n, w := 3000, 0
			blocks := img >= 3
			if blocks {
				n, w = 360*480, 480
				if img == 5 {
					n, w = 200*9000, 9000
				}
			}
			gt, pred, mask := make([]uint8, n), make([]uint8, n), make([]uint8, n)
			score := make([]float32, n)
			var scores []float32
			var outlier []bool
			for i := range n {
				switch v := r.IntN(k + 3); {
				case v < k+1: // k: a class the model does not know
					gt[i] = uint8(v)
				case v == k+1:
					gt[i] = GTOutlier
				default:
					gt[i] = GTIgnore
				}
				pred[i] = uint8(r.IntN(k))
				score[i] = float32(math.Round(r.Float64()*300) / 300)
				if i%97 == 0 {
					score[i] = float32(math.NaN())
				}
				if blocks {
					x, y := i%w, i/w
					if x%2 == 1 || y%2 == 1 {
						score[i] = score[(y&^1)*w+x&^1]
					} else {
						score[i] = r.Float32()
					}
					if x > 0 && r.IntN(20) != 0 {
						gt[i] = gt[i-1]
					}
				}
				if gt[i] != GTIgnore {
					want.Add(score[i], gt[i] == GTOutlier)
					scores, outlier = append(scores, score[i]), append(outlier, gt[i] == GTOutlier)
				}
				switch g := int(gt[i]); {
				case g < k:
					wantClass[g][bin(score[i])>>classShift]++
					wantN[g]++
				case gt[i] == GTOutlier:
					wantN[k]++
				}
			}
			res, err := ev.Add("img", gt, pred, score, mask)
			if err != nil {
				t.Fatal(err)
			}
			exact, err := RankPixels(scores, outlier)
			if err != nil || res.AP == nil || *res.AP != exact.AP || *res.AUROC != exact.AUROC || *res.FPR95 != exact.FPR95 {
				t.Fatalf("%d classes, room %d, image %d: ranking %+v, exact %+v (%v)", k, tc.settleAt, img, res, exact, err)
			}
			if img == 3 && tc.settleAt < settleEntries {
				ev.MeanScores() // counts what waits; the next images add to it
			}
		}
		got := ev.Hist()
		if !slices.Equal(got.pos, want.pos) || !slices.Equal(got.neg, want.neg) {
			t.Fatalf("%d classes, room %d: histogram from sorted pixels differs from one filled pixel by pixel", k, tc.settleAt)
		}
		for c := range k {
			if !slices.Equal(ev.classHist[c], wantClass[c]) {
				t.Fatalf("%d classes, room %d: class %d's coarse histogram differs from one filled pixel by pixel", k, tc.settleAt, c)
			}
		}
		if !slices.Equal(ev.scoreN, wantN) {
			t.Fatalf("%d classes, room %d: pixels per class %v, want %v", k, tc.settleAt, ev.scoreN, wantN)
		}
	}
}

// The per-class mean scores are the float64 sums of the pixels' scores in
// pixel order, to the last bit, over several images whose pixels come in
// runs of one class (as a segmentation's do) and interleave, and in runs of
// one prediction and score (as a score upsampled from the model's
// resolution does), which Add counts once per run.
func TestEvaluatorMeanScoresSumInPixelOrder(t *testing.T) {
	classes := []string{"a", "b", "c"}
	e := NewEvaluator(classes)
	r := rand.New(rand.NewPCG(5, 6))
	sums, counts := make([]float64, 4), make([]float64, 4)
	for range 3 {
		n := 5000
		gt, pred, score, mask := make([]uint8, n), make([]uint8, n), make([]float32, n), make([]uint8, n)
		c := uint8(0)
		for i := range n {
			if r.IntN(7) == 0 {
				c = []uint8{0, 1, 2, 7, GTOutlier, GTIgnore}[r.IntN(6)] // 7: outside the classes
			}
			// Scores of many magnitudes, so that the float64 sums round
			// and another order of the same additions would differ.
			gt[i], pred[i], score[i] = c, uint8(r.IntN(3)), float32(math.Ldexp(r.Float64(), -r.IntN(30)))
			if i > 0 && r.IntN(2) == 0 {
				pred[i], score[i] = pred[i-1], score[i-1]
			}
			switch {
			case c == GTOutlier:
				sums[3] += float64(score[i])
				counts[3]++
			case int(c) < len(classes):
				sums[c] += float64(score[i])
				counts[c]++
			}
		}
		if _, err := e.Add("x", gt, pred, score, mask); err != nil {
			t.Fatal(err)
		}
	}
	got := e.MeanScores()
	for i, name := range append(slices.Clone(classes), "outliers") {
		if want := sums[i] / counts[i]; got[name] != want {
			t.Errorf("%s: mean score %v, want %v (the sum in pixel order)", name, got[name], want)
		}
	}
}
