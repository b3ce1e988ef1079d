package calibration

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"osr/config"
	"osr/dataset"
	"osr/internal/imageio"
	"osr/model"
)

// maskEngine flags, frame by frame, the boxes it is given: the outlier
// mask a model would make.
type maskEngine struct {
	frames [][][4]int
	n      int
}

func (e *maskEngine) Run(im model.Image, out *model.Result) error {
	w, h := im.Width, im.Height
	out.Width, out.Height = w, h
	out.Mask, out.Score = make([]uint8, w*h), make([]float32, w*h)
	for _, b := range e.frames[e.n] {
		for y := b[1]; y < b[3]; y++ {
			for x := b[0]; x < b[2]; x++ {
				out.Mask[y*w+x], out.Score[y*w+x] = 255, 0.9
			}
		}
	}
	e.n++
	return nil
}

func (e *maskEngine) Spec() model.Spec       { return model.Spec{Name: "boxes"} }
func (e *maskEngine) Scoring() model.Scoring { return model.Scoring{Threshold: 0.5} }

// A pasted track of 4 frames (a run of 3, then a new object), played
// through the object finder and the filters: each frame flags its pasted
// object; frame 1 also a blob elsewhere, frames 0-3 a steady false object.
// Unfiltered, the blob is a single-frame false object; k = 3 of n = 5
// never reports it, keeps the steady one, and the pasted object of the
// run of 3 from its third frame on.
func TestEvaluateObjectsCountsWhatEachFilterReports(t *testing.T) {
	src, err := dataset.Open("../testdata/camvid-mini")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "pasted")
	ring := &dataset.Images{N: 1, C: 1, H: 28, W: 28, Pix: make([]uint8, 28*28), Labels: []uint8{0}}
	for i := range ring.Pix {
		ring.Pix[i] = 255
	}
	if _, err := dataset.PasteObjects(context.Background(), src, dir, dataset.PasteOptions{Split: "test", Protocol: "camvid-ood",
		Objects: ring, MinSide: 40, MaxSide: 60, Seed: 5, Track: 3}, nil); err != nil {
		t.Fatal(err)
	}
	ds, err := dataset.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	pasted, err := dataset.ReadPasted(filepath.Join(dir, "test", "pasted.csv"))
	if err != nil {
		t.Fatal(err)
	}
	samples, _ := ds.Samples("test")
	eng := &maskEngine{}
	steady, blob := [4]int{0, 0, 30, 30}, [4]int{440, 320, 470, 350}
	for i, s := range samples {
		boxes := [][4]int{pasted[s.Name].Box, steady}
		if i == 1 {
			boxes = append(boxes, blob)
		}
		eng.frames = append(eng.frames, boxes)
	}
	objs := config.Default().Objects
	objs.SkipBottom = false
	rep, err := EvaluateObjects(context.Background(), eng, ds, pasted, ObjectsOptions{
		Split: "test", Objects: objs, Filters: []Filter{{1, 1}, {3, 5}}, Match: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Frames != 4 || rep.Runs != 2 || rep.Matched != 4 || rep.Touched != 4 {
		t.Fatalf("frames %d, runs %d, matched %d, touched %d: want 4, 2, 4, 4", rep.Frames, rep.Runs, rep.Matched, rep.Touched)
	}
	off, on := rep.Rows[0], rep.Rows[1]
	// Unfiltered: every pasted frame kept; false: the steady object (4
	// boxes) and the blob (1 box, seen once).
	if off.PastedFrames != 4 || off.Kept != 4 || off.Found != 4 || off.KeptOfFound != 4 || off.RunsKept != 2 ||
		off.Reports != 4+4+1 || off.FalseReports != 5 || off.FalseObjects != 2 || off.SingleFrame != 1 {
		t.Errorf("k=1, n=1: %+v", off)
	}
	// k = 3 of n = 5: only frame 2 (the third of the first run) counts and
	// is kept; the second run's single frame is never reported; the
	// steady object from frame 2 on (2 boxes); the blob never.
	if on.PastedFrames != 1 || on.Kept != 1 || on.RunsKept != 1 || on.Reports != 1+2 || on.FalseReports != 2 ||
		on.FalseObjects != 1 || on.SingleFrame != 0 {
		t.Errorf("k=3, n=5: %+v", on)
	}
	if len(on.FalsePerFrame) != 4 || on.FalsePerFrame[0] != 0 || on.FalsePerFrame[3] != 1 {
		t.Errorf("k=3, n=5: false boxes per frame %v, want 0 0 1 1", on.FalsePerFrame)
	}
	out := filepath.Join(t.TempDir(), "report")
	if err := rep.Write(out); err != nil {
		t.Fatal(err)
	}
	if im, err := imageio.ReadFileNoted(filepath.Join(out, "objects.png")); err != nil || im.Format != "png" {
		t.Errorf("objects.png: %v (format %q)", err, im.Format)
	}
	// The strip: the run of 3 that k = 3 of 5 keeps, at half size, two rows.
	if strip, err := imageio.ReadFileNoted(filepath.Join(out, "objects_strip.jpg")); err != nil || strip.Format != "jpeg" ||
		strip.Width != 3*(240+4)-4 || strip.Height != 2*180+4 {
		t.Errorf("objects_strip.jpg: %dx%d %s, want 3 frames of 240x180 in 2 rows as jpeg (%v)", strip.Width, strip.Height, strip.Format, err)
	}
	for _, name := range []string{"objects.json", "objects.md"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Error(err)
		}
	}
	// objects.csv: one line per reported box, the steady one in frame 2 under k = 3 of 5.
	csv, err := os.ReadFile(filepath.Join(out, "objects.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(csv)), "\n")
	if len(lines) != 1+off.Reports+on.Reports || !strings.Contains(string(csv), samples[2].Name+",3,5,") ||
		!strings.Contains(string(csv), ",0,0,30,30,0.0000\n") {
		t.Errorf("objects.csv: want a header and %d boxes, the steady one among them:\n%s", off.Reports+on.Reports, csv)
	}
	if _, err := EvaluateObjects(context.Background(), eng, ds, pasted, ObjectsOptions{Split: "test", Objects: objs,
		Filters: []Filter{{4, 3}}, Match: 0.5}); err == nil {
		t.Error("k 4 of n 3 accepted")
	}
}
