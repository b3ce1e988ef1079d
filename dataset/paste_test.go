package dataset

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ring is a grayscale 28x28 object: a bright square ring on black, so
// that its mask has a hole the paste must leave alone.
func ring() *Images {
	m := &Images{N: 1, C: 1, H: 28, W: 28, Pix: make([]uint8, 28*28), Labels: []uint8{0}}
	for y := 4; y < 24; y++ {
		for x := 4; x < 24; x++ {
			if x < 10 || x >= 18 || y < 10 || y >= 18 {
				m.Pix[y*28+x] = 255
			}
		}
	}
	return m
}

// The pasted split keeps every image and inlier label, labels exactly the
// changed pixels as the protocol's outlier, ignores the source's own
// outliers, and opens as a dataset under the same protocol.
func TestPasteObjects(t *testing.T) {
	src, err := Open("../testdata/camvid-mini")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "pasted")
	opts := PasteOptions{Split: "test", Protocol: "camvid-ood", Objects: ring(), MinSide: 56, MaxSide: 112, Seed: 3}
	n, err := PasteObjects(context.Background(), src, dir, opts, nil)
	if err != nil || n != 4 {
		t.Fatalf("pasted %d images: %v", n, err)
	}
	out, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if ids, err := out.OutlierIDs("camvid-ood"); err != nil || ids[0] != 10 || out.Name != "camvid-mini-pasted" {
		t.Fatalf("pasted dataset %s: outlier ids %v, %v", out.Name, ids, err)
	}
	before, _ := src.Samples("test")
	after, err := out.Samples("test")
	if err != nil || len(after) != len(before) {
		t.Fatalf("pasted split has %d samples (%v), want %d", len(after), err, len(before))
	}
	hadOutliers := false
	for i := range before {
		im0, lab0, err := Load(before[i])
		if err != nil {
			t.Fatal(err)
		}
		im1, lab1, err := Load(after[i])
		if err != nil {
			t.Fatal(err)
		}
		pasted, edge := 0, 0
		for q, v := range lab1.Pix {
			changed := im0.Pix[3*q] != im1.Pix[3*q] || im0.Pix[3*q+1] != im1.Pix[3*q+1] || im0.Pix[3*q+2] != im1.Pix[3*q+2]
			switch {
			case v == 10:
				pasted++
			case changed:
				// The blended edge: less than half opaque, beside the object.
				if !near(lab1.Pix, im1.Width, q, 5, 10) {
					t.Fatalf("%s: pixel %d changed, is labelled %d, and is not at the object's edge", after[i].Name, q, v)
				}
				edge++
			case lab0.Pix[q] == 10:
				hadOutliers = true
				if v != 11 {
					t.Fatalf("%s: the source's outlier pixel %d is labelled %d, want ignored (11)", after[i].Name, q, v)
				}
			case v != lab0.Pix[q]:
				t.Fatalf("%s: inlier pixel %d relabelled %d -> %d", after[i].Name, q, lab0.Pix[q], v)
			}
		}
		// The ring covers 320 of its 784 pixels: about 40 % of the side².
		if pasted < 56*56/4 || pasted > 112*112/2 || edge == 0 || edge > pasted/2 {
			t.Errorf("%s: %d pasted and %d blended edge pixels for a side of 56 to 112", after[i].Name, pasted, edge)
		}
	}
	if !hadOutliers {
		t.Error("no source image had outlier pixels: the ignore rule went untested")
	}
	if _, err := PasteObjects(context.Background(), src, dir, opts, nil); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("pasting into an existing directory: %v", err)
	}
	// A cancelled run leaves nothing behind, not even a partial directory.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	parent := t.TempDir()
	if _, err := PasteObjects(ctx, src, filepath.Join(parent, "cut"), opts, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled paste: %v", err)
	}
	if left, _ := os.ReadDir(parent); len(left) != 0 {
		t.Errorf("a cancelled paste left %d entries, the first %s", len(left), left[0].Name())
	}
	// A protocol whose outlier id is not a class is named, not a panic.
	bad := *src
	bad.Protocol = &Protocol{Name: "camvid-ood", OutlierIDs: []int{300}}
	if _, err := PasteObjects(context.Background(), &bad, filepath.Join(t.TempDir(), "y"), opts, nil); err == nil ||
		!strings.Contains(err.Error(), "outlier id 300") {
		t.Errorf("outlier id 300: %v", err)
	}
	opts.Protocol = ""
	if _, err := PasteObjects(context.Background(), src, filepath.Join(t.TempDir(), "x"), opts, nil); err == nil || !strings.Contains(err.Error(), "protocol") {
		t.Errorf("pasting without a protocol: %v", err)
	}
}

// near reports whether a pixel within r of pixel q (row width w) has id.
func near(lab []uint8, w, q, r int, id uint8) bool {
	x0, y0 := q%w, q/w
	for y := max(0, y0-r); y <= y0+r && y*w < len(lab); y++ {
		for x := max(0, x0-r); x <= min(w-1, x0+r); x++ {
			if lab[y*w+x] == id {
				return true
			}
		}
	}
	return false
}

// With Track, the split is a sequence: one object per run of Track
// frames, the same shape shifted a little each frame, and pasted.csv
// names each frame's run and the box of its labelled pixels.
func TestPasteObjectsTrack(t *testing.T) {
	src, err := Open("../testdata/camvid-mini")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "pasted")
	opts := PasteOptions{Split: "test", Protocol: "camvid-ood", Objects: ring(), MinSide: 56, MaxSide: 112, Seed: 3, Track: 3}
	if _, err := PasteObjects(context.Background(), src, dir, opts, nil); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "test", "pasted.csv"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	samples, err := out.Samples("test")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if len(lines) != len(samples)+1 || lines[0] != "image,run,frame,x0,y0,x1,y1" {
		t.Fatalf("pasted.csv:\n%s\nwant a header and %d rows", raw, len(samples))
	}
	type row struct{ run, frame, x0, y0, x1, y1 int }
	var rows []row
	for i, l := range lines[1:] {
		var r row
		var name string
		f := strings.SplitN(l, ",", 2)
		name = f[0]
		if _, err := fmt.Sscanf(f[1], "%d,%d,%d,%d,%d,%d", &r.run, &r.frame, &r.x0, &r.y0, &r.x1, &r.y1); err != nil || name != samples[i].Name {
			t.Fatalf("row %q: %v, want %s first", l, err, samples[i].Name)
		}
		// The box is that of the labelled pixels.
		_, lab, err := Load(samples[i])
		if err != nil {
			t.Fatal(err)
		}
		b := [4]int{lab.Rect.Dx(), lab.Rect.Dy(), 0, 0}
		for q, v := range lab.Pix {
			if x, y := q%lab.Rect.Dx(), q/lab.Rect.Dx(); v == 10 {
				b = [4]int{min(b[0], x), min(b[1], y), max(b[2], x+1), max(b[3], y+1)}
			}
		}
		if b != [4]int{r.x0, r.y0, r.x1, r.y1} {
			t.Errorf("%s: pasted.csv box %v, labelled pixels' box %v", name, r, b)
		}
		rows = append(rows, r)
	}
	// 4 frames: a run of 3 (frames 0, 1, 2) and a new run.
	for i, want := range [][2]int{{0, 0}, {0, 1}, {0, 2}, {3, 0}} {
		if rows[i].run != want[0] || rows[i].frame != want[1] {
			t.Fatalf("row %d: run %d frame %d, want run %d frame %d", i, rows[i].run, rows[i].frame, want[0], want[1])
		}
	}
	moved := false
	for i := 1; i < 3; i++ {
		a, b := rows[i-1], rows[i]
		w := a.x1 - a.x0
		if b.x1-b.x0 != w || b.y1-b.y0 != a.y1-a.y0 {
			t.Errorf("frames %d and %d: box %v then %v, want the same size within a run", i-1, i, a, b)
		}
		dx, dy := b.x0-a.x0, b.y0-a.y0
		if max(dx, -dx, dy, -dy) > w/4 {
			t.Errorf("frames %d and %d: moved by (%d, %d), want at most a quarter of the box (%d)", i-1, i, dx, dy, w)
		}
		moved = moved || dx != 0 || dy != 0
	}
	if !moved {
		t.Error("the object stood still through its run")
	}
	opts.Track = -1
	if _, err := PasteObjects(context.Background(), src, filepath.Join(t.TempDir(), "x"), opts, nil); err == nil || !strings.Contains(err.Error(), "track -1") {
		t.Errorf("track -1: %v", err)
	}
}
