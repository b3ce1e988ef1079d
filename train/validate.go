package train

import (
	"context"
	"log/slog"
	"math"

	"osr/dataset"
	"osr/model"
)

type valResult struct {
	miou, acc float64
	perClass  map[string]float64
	threshold float32
	images    int
}

// scoreBins is the resolution of the inlier score histogram used to pick
// the threshold; 1e-5 is well below any score difference that matters.
const scoreBins = 100000

// evaluateVal runs the exported package through the engine on the val split.
func evaluateVal(ctx context.Context, dir string, ds *dataset.Dataset, classes []int, limit int) (valResult, error) {
	pkg, err := model.Load(dir)
	if err != nil {
		return valResult{}, err
	}
	opts := model.DefaultOptions()
	opts.Logger = slog.Default()
	opts.Overrides.Threshold = 1 // no pixel is an outlier: labels stay inlier ids
	eng, err := model.NewEngine(pkg, opts)
	if err != nil {
		return valResult{}, err
	}
	defer eng.Close()
	list, err := ds.Samples("val")
	if err != nil {
		return valResult{}, err
	}
	_, lut := inlierClasses(ds, nil)
	compact := map[int]int{}
	for i, id := range classes {
		compact[id] = i
	}
	k := len(classes)
	conf := make([]int64, k*k)
	hist := make([]int64, scoreBins+1)
	var res model.Result
	n := 0
	for _, s := range list {
		if err := ctx.Err(); err != nil {
			return valResult{}, err
		}
		im, lab, err := dataset.Load(s)
		if err != nil {
			return valResult{}, err
		}
		if err := eng.Run(im, &res); err != nil {
			return valResult{}, err
		}
		for i, v := range lab.Pix {
			if lut[v] == 255 {
				continue // void
			}
			gt, ok := compact[int(v)]
			if !ok {
				continue // held-out outlier class
			}
			conf[gt*k+int(res.Labels[i])]++
			hist[int(res.Score[i]*scoreBins)]++
		}
		n++
		if limit > 0 && n >= limit {
			break
		}
	}
	out := valResult{images: n, perClass: map[string]float64{}}
	var correct, total int64
	var iouSum float64
	counted := 0
	for c := 0; c < k; c++ {
		tp := conf[c*k+c]
		var fp, fn int64
		for o := 0; o < k; o++ {
			if o != c {
				fn += conf[c*k+o]
				fp += conf[o*k+c]
			}
			total += conf[c*k+o]
		}
		correct += tp
		if tp+fp+fn > 0 {
			iou := float64(tp) / float64(tp+fp+fn)
			out.perClass[ds.Classes[classes[c]]] = math.Round(iou*1e4) / 1e4
			iouSum += iou
			counted++
		}
	}
	if counted > 0 {
		out.miou = iouSum / float64(counted)
	}
	if total > 0 {
		out.acc = float64(correct) / float64(total)
	}
	// Smallest threshold t such that at most 5 % of inlier pixels score above it.
	var inliers int64
	for _, c := range hist {
		inliers += c
	}
	var above int64
	out.threshold = 1
	for b := scoreBins; b >= 0; b-- {
		if float64(above+hist[b]) > 0.05*float64(inliers) {
			out.threshold = float32(b+1) / scoreBins
			break
		}
		above += hist[b]
	}
	return out, nil
}
