package dataset

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"

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
	// Track > 0 makes the split a sequence with persistent objects: in
	// each run of Track consecutive frames of one sequence (name up to its
	// first "_"), one object moves in a straight line, at most an eighth of
	// its side per frame, with the same size, colour and garment.
	Track int
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
	case opts.Track < 0:
		return 0, fmt.Errorf("paste: track %d: want frames per object, or 0 for one object per image", opts.Track)
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
	var run track
	var csv strings.Builder
	csv.WriteString("image,run,frame,x0,y0,x1,y1\n")
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
		var pl placement
		if opts.Track > 0 {
			seq, _, _ := strings.Cut(s.Name, "_")
			if run.left == 0 || seq != run.seq {
				run = newTrack(rng, opts, im.Width, im.Height, seq, i)
			}
			pl = run.next()
		} else {
			pl = randomPlacement(rng, opts, im.Width, im.Height)
			run = track{id: i, done: 1}
		}
		b := pasteObject(im, lab.Pix, opts.Objects, pl, uint8(outliers[0]))
		fmt.Fprintf(&csv, "%s,%d,%d,%d,%d,%d,%d\n", s.Name, run.id, run.done-1, b[0], b[1], b[2], b[3])
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
	if err := os.WriteFile(filepath.Join(dir, opts.Split, "pasted.csv"), []byte(csv.String()), 0o644); err != nil {
		return len(samples), err
	}
	raw, err := yaml.Marshal(&out)
	if err != nil {
		return len(samples), err
	}
	mode := "pasted into each image"
	if opts.Track > 0 {
		mode = fmt.Sprintf("moving through each run of %d frames", opts.Track)
	}
	head := fmt.Sprintf("# %s %s with one Fashion-MNIST object %s (osr dataset paste, seed %d):\n"+
		"# pasted pixels are class %d (%s); the split's own outlier pixels are ignored (%d).\n"+
		"# %s/pasted.csv: each image's object (run, frame in the run) and the box of its labelled pixels.\n",
		src.Name, opts.Split, mode, opts.Seed, outliers[0], src.Classes[outliers[0]], src.IgnoreIDs[0], opts.Split)
	return len(samples), os.WriteFile(filepath.Join(dir, "dataset.yaml"), append([]byte(head), raw...), 0o644)
}

// placement is where and how an object is pasted.
type placement struct {
	side, obj, x, y int
	col             [3]float32
}

// randomPlacement draws an object's size, garment, place and colour.
func randomPlacement(rng *rand.Rand, opts PasteOptions, w, h int) placement {
	side := opts.MinSide + rng.IntN(opts.MaxSide-opts.MinSide+1)
	side = min(side, w, h)
	p := placement{side: side, obj: rng.IntN(opts.Objects.N)}
	p.x, p.y = rng.IntN(w-side+1), rng.IntN(h-side+1)
	for c := range p.col {
		p.col[c] = 40 + 215*rng.Float32()
	}
	return p
}

// track is one object moving through a run of frames.
type track struct {
	seq          string
	id           int // the run's first image index
	done, left   int // frames pasted and to paste
	start        placement
	stepX, stepY float64
}

// newTrack starts a run of opts.Track frames at image index id: a random
// placement, and an end point at most side/8 per frame away.
func newTrack(rng *rand.Rand, opts PasteOptions, w, h int, seq string, id int) track {
	t := track{seq: seq, id: id, left: opts.Track, start: randomPlacement(rng, opts, w, h)}
	if opts.Track > 1 {
		span := float64(t.start.side) / 8 * float64(opts.Track-1)
		end := func(at, limit int) float64 {
			return min(max(float64(at)+span*(2*rng.Float64()-1), 0), float64(limit))
		}
		t.stepX = (end(t.start.x, w-t.start.side) - float64(t.start.x)) / float64(opts.Track-1)
		t.stepY = (end(t.start.y, h-t.start.side) - float64(t.start.y)) / float64(opts.Track-1)
	}
	return t
}

// next is the run's next frame's placement.
func (t *track) next() placement {
	p := t.start
	p.x += int(math.Round(t.stepX * float64(t.done)))
	p.y += int(math.Round(t.stepY * float64(t.done)))
	t.done++
	t.left--
	return p
}

// pasteObject draws object p.obj of objs, scaled bilinearly to p.side
// pixels, at p's place of im in p's colour, shaded by its intensity. Its
// edge is blended into the scene (opacity rises from 0 at intensity 0.1 to
// 1 at 0.4), so that a hard seam does not give it away; pixels at least
// half opaque get label id. It returns the box of those pixels (x0, y0
// inclusive, x1, y1 exclusive).
func pasteObject(im imageio.RGB, lab []uint8, objs *Images, p placement, id uint8) [4]int {
	obj, w, h := objs.Image(p.obj), objs.W, objs.H
	box := [4]int{im.Width, im.Height, 0, 0}
	tx, ty := bilinear.Taps(w, p.side), bilinear.Taps(h, p.side)
	for y, ry := range ty {
		for x, rx := range tx {
			top := lerp(float32(obj[ry.I0*w+rx.I0]), float32(obj[ry.I0*w+rx.I1]), rx.W)
			bot := lerp(float32(obj[ry.I1*w+rx.I0]), float32(obj[ry.I1*w+rx.I1]), rx.W)
			a := lerp(top, bot, ry.W) / 255
			alpha := min(1, (a-0.1)/0.3)
			if alpha <= 0 {
				continue
			}
			qx, qy := p.x+x, p.y+y
			q := qy*im.Width + qx
			for c := range p.col {
				v := p.col[c] * (0.3 + 0.7*a)
				im.Pix[3*q+c] = uint8(lerp(float32(im.Pix[3*q+c]), v, alpha) + 0.5)
			}
			if alpha >= 0.5 {
				lab[q] = id
				box = [4]int{min(box[0], qx), min(box[1], qy), max(box[2], qx+1), max(box[3], qy+1)}
			}
		}
	}
	if box[2] == 0 {
		return [4]int{} // no pixel labelled
	}
	return box
}

func lerp(a, b, t float32) float32 { return a + (b-a)*t }

// Pasted is one row of pasted.csv: an image's pasted object.
type Pasted struct {
	Image      string
	Run, Frame int    // the run's first image index, the frame in the run
	Box        [4]int // of the labelled pixels: x0, y0 inclusive, x1, y1 exclusive; zero when none
}

// ReadPasted reads the pasted.csv that PasteObjects writes beside a
// split's images, by image name.
func ReadPasted(path string) (map[string]Pasted, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w (osr dataset paste writes it; a split pasted before --track existed has none: paste it again)", err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(rows) == 0 || strings.Join(rows[0], ",") != "image,run,frame,x0,y0,x1,y1" {
		return nil, fmt.Errorf("%s: want the header image,run,frame,x0,y0,x1,y1", path)
	}
	out := make(map[string]Pasted, len(rows)-1)
	for i, r := range rows[1:] {
		p := Pasted{Image: r[0]}
		v := make([]int, 6)
		for j := range v {
			if v[j], err = strconv.Atoi(r[j+1]); err != nil {
				return nil, fmt.Errorf("%s line %d: %w", path, i+2, err)
			}
		}
		p.Run, p.Frame, p.Box = v[0], v[1], [4]int{v[2], v[3], v[4], v[5]}
		out[p.Image] = p
	}
	return out, nil
}
