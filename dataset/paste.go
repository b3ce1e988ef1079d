package dataset

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"

	"osr/internal/bilinear"
	"osr/internal/imageio"
)

// PasteOptions configure PasteObjects.
type PasteOptions struct {
	Split    string  // the source split to copy
	Protocol string  // pasted pixels take its first outlier id
	Objects  *Images // grayscale objects to paste (Fashion-MNIST garments)
	// MinSide and MaxSide bound the pasted object's side in pixels.
	MinSide, MaxSide int
	Seed             uint64
}

// PasteObjects writes a copy of one split of src into dir, with one
// object of opts.Objects pasted into each image at a random place, size
// and colour: an anomaly set in the style of Fishyscapes Static, whose
// outliers differ from every inlier class. The object's pixels are
// labelled with the protocol's first outlier id and the split's own
// outlier pixels become ignored, so that only pasted objects count as
// outliers under the same protocol name. It returns the number of images.
func PasteObjects(ctx context.Context, src *Dataset, dir string, opts PasteOptions, progress func(done, total int)) (int, error) {
	outliers, err := src.OutlierIDs(opts.Protocol)
	if err != nil {
		return 0, err
	}
	switch {
	case len(outliers) == 0:
		return 0, errors.New("paste: a protocol is required: its first outlier id labels the pasted objects")
	case outliers[0] < 0 || outliers[0] >= len(src.Classes):
		return 0, fmt.Errorf("paste: protocol %s: outlier id %d is not a class of dataset %s (0..%d)",
			opts.Protocol, outliers[0], src.Name, len(src.Classes)-1)
	case len(src.IgnoreIDs) == 0 || src.IgnoreIDs[0] < 0 || src.IgnoreIDs[0] > 255:
		return 0, fmt.Errorf("paste: dataset %s has no ignore id (0..255) for its own outlier pixels: %v", src.Name, src.IgnoreIDs)
	case opts.Objects == nil || opts.Objects.N == 0 || opts.Objects.C != 1:
		return 0, errors.New("paste: need grayscale objects")
	case opts.MinSide < 8 || opts.MaxSide < opts.MinSide:
		return 0, fmt.Errorf("paste: object sides %d..%d: want 8 <= min <= max", opts.MinSide, opts.MaxSide)
	}
	samples, err := src.Samples(opts.Split)
	if err != nil {
		return 0, err
	}
	var n int
	err = writeDir(dir, "paste", func(tmp string) error {
		n, err = pasteInto(ctx, src, tmp, opts, outliers, samples, progress)
		return err
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// pasteInto writes the pasted split and its dataset.yaml into dir.
func pasteInto(ctx context.Context, src *Dataset, dir string, opts PasteOptions, outliers []int, samples []Sample,
	progress func(done, total int)) (int, error) {
	for _, sub := range []string{"images", "labels"} {
		if err := os.MkdirAll(filepath.Join(dir, opts.Split, sub), 0o755); err != nil {
			return 0, err
		}
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 7))
	isOutlier := idSet(outliers)
	for i, s := range samples {
		if err := ctx.Err(); err != nil {
			return i, err
		}
		im, lab, err := Load(s)
		if err != nil {
			return i, err
		}
		for j, v := range lab.Pix {
			if isOutlier[v] {
				lab.Pix[j] = uint8(src.IgnoreIDs[0])
			}
		}
		side := opts.MinSide + rng.IntN(opts.MaxSide-opts.MinSide+1)
		side = min(side, im.Width, im.Height)
		obj := opts.Objects.Image(rng.IntN(opts.Objects.N))
		pasteObject(im, lab.Pix, obj, opts.Objects.W, opts.Objects.H, side, rng, uint8(outliers[0]))
		if err := imageio.WriteRGB(filepath.Join(dir, opts.Split, "images", s.Name+".png"), im); err != nil {
			return i, err
		}
		if err := imageio.WriteGray(filepath.Join(dir, opts.Split, "labels", s.Name+".png"), im.Width, im.Height, lab.Pix); err != nil {
			return i, err
		}
		if progress != nil {
			progress(i+1, len(samples))
		}
	}
	out := *src
	out.Name = src.Name + "-pasted"
	out.Layout = ""
	out.Splits = map[string]string{opts.Split: opts.Split}
	p := *src.Protocol
	p.TrainFilter, p.EvalSplits = "", []string{opts.Split}
	out.Protocol = &p
	raw, err := yaml.Marshal(&out)
	if err != nil {
		return len(samples), err
	}
	head := fmt.Sprintf("# %s %s with one Fashion-MNIST object pasted into each image (osr dataset paste, seed %d):\n"+
		"# pasted pixels are class %d (%s); the split's own outlier pixels are ignored (%d).\n",
		src.Name, opts.Split, opts.Seed, outliers[0], src.Classes[outliers[0]], src.IgnoreIDs[0])
	return len(samples), os.WriteFile(filepath.Join(dir, "dataset.yaml"), append([]byte(head), raw...), 0o644)
}

// pasteObject draws a w x h grayscale object, scaled bilinearly to side
// pixels, at a random place of im in a random colour, shaded by its
// intensity. Its edge is blended into the scene (opacity rises from 0 at
// intensity 0.1 to 1 at 0.4), so that a hard seam does not give it away;
// pixels at least half opaque get label id.
func pasteObject(im imageio.RGB, lab, obj []uint8, w, h, side int, rng *rand.Rand, id uint8) {
	x0, y0 := rng.IntN(im.Width-side+1), rng.IntN(im.Height-side+1)
	var col [3]float32
	for c := range col {
		col[c] = 40 + 215*rng.Float32()
	}
	tx, ty := bilinear.Taps(w, side), bilinear.Taps(h, side)
	for y, ry := range ty {
		for x, rx := range tx {
			top := lerp(float32(obj[ry.I0*w+rx.I0]), float32(obj[ry.I0*w+rx.I1]), rx.W)
			bot := lerp(float32(obj[ry.I1*w+rx.I0]), float32(obj[ry.I1*w+rx.I1]), rx.W)
			a := lerp(top, bot, ry.W) / 255
			alpha := min(1, (a-0.1)/0.3)
			if alpha <= 0 {
				continue
			}
			q := (y0+y)*im.Width + x0 + x
			for c := range col {
				v := col[c] * (0.3 + 0.7*a)
				im.Pix[3*q+c] = uint8(lerp(float32(im.Pix[3*q+c]), v, alpha) + 0.5)
			}
			if alpha >= 0.5 {
				lab[q] = id
			}
		}
	}
}

func lerp(a, b, t float32) float32 { return a + (b-a)*t }
