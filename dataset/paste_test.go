package dataset

import (
	"context"
	"errors"
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
