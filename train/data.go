package train

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"osr/dataset"
	"osr/internal/bilinear"
	"osr/train/nn"
)

// trainImage is one training image at the training scale: RGB bytes and
// compact labels (inlier ids, nn.LabelIgnore elsewhere).
type trainImage struct {
	w, h   int
	pix    []uint8
	labels []uint8
}

// loadTrainImages reads a split at scale: images bilinearly (half-pixel
// centres, so exact halving averages 2x2 blocks), labels by nearest
// neighbour. Images with any outlier id are left out (camvid-ood trains
// on outlier-free images).
func loadTrainImages(ctx context.Context, ds *dataset.Dataset, split string, scale float64, lut [256]uint8, outliers []int, limit int) ([]trainImage, error) {
	list, err := ds.Samples(split)
	if err != nil {
		return nil, err
	}
	var out []trainImage
	for _, s := range list {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		im, lab, err := dataset.Load(s)
		if err != nil {
			return nil, err
		}
		if len(outliers) > 0 && dataset.HasAny(lab, outliers) {
			continue
		}
		w, h := max(1, int(float64(im.Width)*scale+0.5)), max(1, int(float64(im.Height)*scale+0.5))
		ti := trainImage{w: w, h: h, pix: make([]uint8, 3*w*h), labels: make([]uint8, w*h)}
		tx, ty := bilinear.Taps(im.Width, w), bilinear.Taps(im.Height, h)
		for y, t := range ty {
			r0, r1 := im.Pix[3*t.I0*im.Width:], im.Pix[3*t.I1*im.Width:]
			for x, u := range tx {
				for c := range 3 {
					a := float32(r0[3*u.I0+c])*(1-u.W) + float32(r0[3*u.I1+c])*u.W
					b := float32(r1[3*u.I0+c])*(1-u.W) + float32(r1[3*u.I1+c])*u.W
					ti.pix[3*(y*w+x)+c] = uint8(a*(1-t.W) + b*t.W + 0.5)
				}
				sy := min(int((float64(y)+0.5)/scale), im.Height-1)
				sx := min(int((float64(x)+0.5)/scale), im.Width-1)
				ti.labels[y*w+x] = lut[lab.Pix[sy*lab.Stride+sx]]
			}
		}
		out = append(out, ti)
		if limit > 0 && len(out) >= limit {
			break
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("dataset %s: no %s images left after holding out ids %v", ds.Name, split, outliers)
	}
	return out, nil
}

// compactLabels maps dataset ids to inlier ids, with nn.LabelIgnore for
// outlier and ignore ids.
func compactLabels(ds *dataset.Dataset, outliers []int) (classes []int, lut [256]uint8) {
	for i := range lut {
		lut[i] = nn.LabelIgnore
	}
	skip := map[int]bool{}
	for _, id := range append(append([]int{}, outliers...), ds.IgnoreIDs...) {
		skip[id] = true
	}
	for id := range ds.Classes {
		if !skip[id] {
			lut[id] = uint8(len(classes))
			classes = append(classes, id)
		}
	}
	return classes, lut
}

// normalizer maps bytes to the network's input, per channel.
type normalizer [3][256]float32

func newNormalizer(mean, std [3]float32) *normalizer {
	var n normalizer
	for c := range 3 {
		for v := range 256 {
			n[c][v] = (float32(v)/255 - mean[c]) / std[c]
		}
	}
	return &n
}

// fillBatch writes random crops (with random horizontal flips) of random
// images into the step's input and labels. Crops larger than an image are
// padded with ignored pixels.
func fillBatch(r *rand.Rand, images []trainImage, norm *normalizer, in []float32, labels []uint8, n, ch, cw int) {
	plane := ch * cw
	for i := range n {
		im := images[r.IntN(len(images))]
		x0, y0 := r.IntN(max(1, im.w-cw+1)), r.IntN(max(1, im.h-ch+1))
		flip := r.IntN(2) == 1
		dst := in[i*3*plane : (i+1)*3*plane]
		lab := labels[i*plane : (i+1)*plane]
		for y := range ch {
			for x := range cw {
				sx, sy := x0+x, y0+y
				if flip {
					sx = x0 + cw - 1 - x
				}
				o := y*cw + x
				if sx >= im.w || sy >= im.h {
					dst[o], dst[plane+o], dst[2*plane+o] = 0, 0, 0
					lab[o] = nn.LabelIgnore
					continue
				}
				p := im.pix[3*(sy*im.w+sx):]
				dst[o], dst[plane+o], dst[2*plane+o] = norm[0][p[0]], norm[1][p[1]], norm[2][p[2]]
				lab[o] = im.labels[sy*im.w+sx]
			}
		}
	}
}

// classWeights are sqrt median-frequency weights, clipped to [0.2, 5], so
// that thin classes (poles, signs, pedestrians) are not ignored.
func classWeights(labels [][]uint8, classes int) []float32 {
	counts := make([]float64, classes)
	for _, ls := range labels {
		for _, l := range ls {
			if int(l) < classes {
				counts[l]++
			}
		}
	}
	sorted := append([]float64(nil), counts...)
	sort.Float64s(sorted)
	median := sorted[len(sorted)/2]
	w := make([]float32, classes)
	for i, c := range counts {
		if c == 0 {
			w[i] = 1
			continue
		}
		w[i] = float32(math.Min(5, math.Max(0.2, math.Sqrt(median/c))))
	}
	return w
}
