package calibration

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-9 {
		t.Errorf("%s = %.12g, want %.12g", what, got, want)
	}
}

// Hand-computed: scores (label) 0.9(o) 0.8(i) 0.8(o) 0.5(i) 0.3(o) 0.1(i).
// Thresholds descending, ties grouped:
//
//	0.9: tp1 fp0  TPR 1/3 FPR 0    P 1
//	0.8: tp2 fp1  TPR 2/3 FPR 1/3  P 2/3
//	0.5: tp2 fp2  TPR 2/3 FPR 2/3  P 1/2
//	0.3: tp3 fp2  TPR 1   FPR 2/3  P 3/5
//	0.1: tp3 fp3  TPR 1   FPR 1    P 1/2
//
// AP = 1/3*1 + 1/3*2/3 + 0 + 1/3*3/5 = 0.7555...
// AUROC = trapezoids: (1/3)(1/3+2/3)/2 + (1/3)(2/3+2/3)/2 + 0 + (1/3)(1+1)/2 = 1/6+2/9+1/3
// FPR95: first TPR >= 0.95 is at 0.3 -> FPR 2/3. DetAcc: max (TPR+1-FPR)/2 = (1+1/3)/2 = 2/3 at 0.3,
// and (2/3+2/3)/2 = 2/3 at 0.8.
var tieScores = []float32{0.9, 0.8, 0.8, 0.5, 0.3, 0.1}
var tieOutlier = []bool{true, false, true, false, true, false}

func TestRankingHandComputedWithTies(t *testing.T) {
	for name, get := range map[string]func() (Ranking, error){
		"sorted": func() (Ranking, error) { return RankPixels(tieScores, tieOutlier) },
		"histogram": func() (Ranking, error) {
			h := NewHist()
			for i, s := range tieScores {
				h.Add(s, tieOutlier[i])
			}
			return h.Ranking(nil)
		},
	} {
		r, err := get()
		if err != nil {
			t.Fatal(err)
		}
		near(t, name+" AP", r.AP, 1.0/3+2.0/9+1.0/5)
		near(t, name+" AUROC", r.AUROC, 1.0/6+2.0/9+1.0/3)
		near(t, name+" FPR95", r.FPR95, 2.0/3)
		near(t, name+" TNR95", r.TNR95, 1.0/3)
		near(t, name+" detection accuracy", r.DetAcc, 2.0/3)
		if r.Positives != 3 || r.Negatives != 3 {
			t.Errorf("%s counts %d/%d", name, r.Positives, r.Negatives)
		}
	}
}

func TestRankingAllTiedIsChance(t *testing.T) {
	r, err := RankPixels([]float32{0.5, 0.5, 0.5, 0.5}, []bool{true, false, false, false})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "AP", r.AP, 0.25)
	near(t, "AUROC", r.AUROC, 0.5)
	near(t, "FPR95", r.FPR95, 1)
}

func TestRankingUndefinedSaysWhy(t *testing.T) {
	if _, err := RankPixels([]float32{0.1, 0.9}, []bool{false, false}); !errors.Is(err, ErrNoOutliers) {
		t.Errorf("all inliers: %v", err)
	}
	if _, err := NewHist().Ranking(nil); !errors.Is(err, ErrNoOutliers) || !strings.Contains(err.Error(), "undefined") {
		t.Errorf("empty: %v", err)
	}
	if _, err := RankPixels([]float32{0.1, 0.9}, []bool{true, true}); !errors.Is(err, ErrNoInliers) {
		t.Errorf("all outliers: %v", err)
	}
}

func TestInlierQuantile(t *testing.T) {
	h := NewHist()
	for i := range 1000 {
		h.Add(float32(i)/1000, false)
	}
	h.Add(0.999, true) // outliers do not move the threshold
	thr := h.InlierQuantile(0.95)
	above := 0
	for i := range 1000 {
		if float64(i)/1000 > thr {
			above++
		}
	}
	if above > 50 || above < 49 {
		t.Fatalf("threshold %g keeps %d of 1000 inliers above, want 50", thr, above)
	}
	if !math.IsNaN(NewHist().InlierQuantile(0.95)) {
		t.Fatal("no inliers must give NaN")
	}
}

// TestAgainstSklearn compares with scikit-learn on random scores with
// many ties, when Debian's python3-sklearn is installed.
func TestAgainstSklearn(t *testing.T) {
	if exec.Command("/usr/bin/python3", "-c", "import sklearn").Run() != nil {
		t.Skip("python3-sklearn not installed: apt-get install python3-sklearn to cross-check with scikit-learn")
	}
	r := rand.New(rand.NewPCG(9, 9))
	n := 20000
	scores := make([]float32, n)
	outlier := make([]bool, n)
	var sb strings.Builder
	for i := range n {
		outlier[i] = r.Float64() < 0.1
		s := r.Float64()
		if outlier[i] {
			s = math.Sqrt(s) // outliers score higher on average
		}
		scores[i] = float32(math.Round(s*200) / 200) // many ties
		y := 0
		if outlier[i] {
			y = 1
		}
		fmt.Fprintf(&sb, "%d %s\n", y, strconv.FormatFloat(float64(scores[i]), 'g', -1, 32))
	}
	data := filepath.Join(t.TempDir(), "scores.txt")
	os.WriteFile(data, []byte(sb.String()), 0o644)
	script := `
import sys, numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score
d = np.loadtxt(sys.argv[1])
print(average_precision_score(d[:,0], d[:,1]), roc_auc_score(d[:,0], d[:,1]))`
	out, err := exec.Command("/usr/bin/python3", "-c", script, data).CombinedOutput()
	if err != nil {
		t.Fatalf("sklearn: %v\n%s", err, out)
	}
	f := strings.Fields(string(out))
	wantAP, _ := strconv.ParseFloat(f[0], 64)
	wantAUC, _ := strconv.ParseFloat(f[1], 64)
	sorted, err := RankPixels(scores, outlier)
	if err != nil {
		t.Fatal(err)
	}
	h := NewHist()
	for i := range scores {
		h.Add(scores[i], outlier[i])
	}
	hist, _ := h.Ranking(nil)
	for name, r := range map[string]Ranking{"sorted": sorted, "histogram": hist} {
		if math.Abs(r.AP-wantAP) > 1e-6 || math.Abs(r.AUROC-wantAUC) > 1e-6 {
			t.Errorf("%s: AP %.8f AUROC %.8f, sklearn %.8f %.8f", name, r.AP, r.AUROC, wantAP, wantAUC)
		}
	}
	t.Logf("sklearn AP %.6f AUROC %.6f; osr histogram AP %.6f AUROC %.6f", wantAP, wantAUC, hist.AP, hist.AUROC)
}

// The radix sort orders pixel keys as a comparison sort does, for scores
// in [0, 1] with ties, negative scores, -0 and both flags.
func TestRadixSortMatchesSort(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{0, 3, 255, 256, 5000, 172800} {
		keys := make([]uint64, n)
		for i := range keys {
			s := float32(math.Round(r.Float64()*1000) / 1000)
			switch i % 7 {
			case 0:
				s = -s
			case 1:
				s = float32(math.Copysign(0, -1))
			case 2:
				s = r.Float32()
			}
			keys[i] = pixelKey(s, r.IntN(3) == 0)
		}
		want := slices.Clone(keys)
		slices.Sort(want)
		if got := radixSort(slices.Clone(keys), nil); !slices.Equal(got, want) {
			t.Fatalf("n=%d: radix order differs from sort", n)
		}
		// Entries that count more pixels sort by their keys alone.
		for i := range keys {
			keys[i] += uint64(r.IntN(1000)) * entryPixel
		}
		got := radixSort(slices.Clone(keys), nil)
		for i := range got {
			if got[i]&keyMask != want[i] {
				t.Fatalf("n=%d: entries with counts out of their keys' order at %d", n, i)
			}
		}
		slices.Sort(got)
		slices.Sort(keys)
		if !slices.Equal(got, keys) {
			t.Fatalf("n=%d: the sort lost or changed entries", n)
		}
	}
}
