package node

import (
	"slices"
	"testing"
)

// parseMask reads a picture of a mask: '#' outlier, '.' not; the score of
// an outlier pixel is its column / 10.
func parseMask(rows ...string) (mask []uint8, score []float32, w, h int) {
	w, h = len(rows[0]), len(rows)
	for _, r := range rows {
		for x, c := range r {
			if c == '#' {
				mask, score = append(mask, 255), append(score, float32(x)/10)
			} else {
				mask, score = append(mask, 0), append(score, 0)
			}
		}
	}
	return mask, score, w, h
}

func TestObjectsEightConnected(t *testing.T) {
	mask, score, w, h := parseMask(
		"##......",
		".#...#..",
		"..#..##.",
		".....#..",
		"#.......",
		"##.....#",
	)
	var f Objects
	got := f.Find(mask, score, w, h, ObjectOptions{})
	// The diagonal run at the top left is one region (8-connectivity).
	want := []Object{
		{Box: Box{0, 0, 3, 3}, Pixels: 4, MeanScore: (0 + .1 + .1 + .2) / 4, MaxScore: .2},
		{Box: Box{5, 1, 7, 4}, Pixels: 4, MeanScore: (.5 + .5 + .6 + .5) / 4, MaxScore: .6},
		{Box: Box{0, 4, 2, 6}, Pixels: 3, MeanScore: (0 + 0 + .1) / 3, MaxScore: .1},
		{Box: Box{7, 5, 8, 6}, Pixels: 1, MeanScore: .7, MaxScore: .7},
	}
	if len(got) != len(want) {
		t.Fatalf("found %+v", got)
	}
	for i := range want {
		g, e := got[i], want[i]
		if g.Box != e.Box || g.Pixels != e.Pixels || g.MaxScore != e.MaxScore || abs32(g.MeanScore-e.MeanScore) > 1e-6 {
			t.Errorf("object %d = %+v, want %+v", i, g, e)
		}
	}

	// Minimum size in pixels and as a share of the frame (48 pixels), and
	// the bottom edge.
	if got := f.Find(mask, score, w, h, ObjectOptions{MinPixels: 4}); len(got) != 2 {
		t.Errorf("min 4 pixels kept %d objects", len(got))
	}
	if got := f.Find(mask, score, w, h, ObjectOptions{MinShare: 3.5 / 48}); len(got) != 2 {
		t.Errorf("min share 3.5/48 kept %d objects", len(got))
	}
	got = f.Find(mask, score, w, h, ObjectOptions{SkipBottom: true})
	var boxes []Box
	for _, o := range got {
		boxes = append(boxes, o.Box)
	}
	if !slices.Equal(boxes, []Box{{0, 0, 3, 3}, {5, 1, 7, 4}}) {
		t.Errorf("bottom edge excluded: %v", boxes)
	}
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}

func TestBoxIoU(t *testing.T) {
	a := Box{0, 0, 4, 4}
	for _, c := range []struct {
		b    Box
		want float64
	}{{Box{0, 0, 4, 4}, 1}, {Box{2, 0, 6, 4}, 8.0 / 24}, {Box{4, 4, 6, 6}, 0}, {Box{1, 1, 3, 3}, 4.0 / 16}} {
		if got := a.IoU(c.b); got != c.want {
			t.Errorf("IoU(%v, %v) = %g, want %g", a, c.b, got, c.want)
		}
	}
}
