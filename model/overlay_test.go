package model

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestOverlayBlendsPaletteAndPaintsOutliers(t *testing.T) {
	palette := [][3]uint8{{255, 0, 0}, {0, 0, 255}}
	outlier := [3]uint8{255, 0, 255}
	p := NewPainter(palette, 0.5, outlier, 2)
	img := []uint8{100, 100, 100, 100, 100, 100, 100, 100, 100}
	labels := []uint8{0, 1, 2}
	mask := []uint8{0, 0, 255}
	dst := make([]uint8, 9)
	p.paint(dst, img, labels, mask, newRowWeights(2))
	want := []uint8{
		177, 50, 50, // (100+255)/2, 100/2, 100/2
		50, 50, 177,
		224, 19, 224, // 0.2*100 + 0.8*255 (in 1/256ths)
	}
	for i := range want {
		if d := int(dst[i]) - int(want[i]); d < -1 || d > 1 {
			t.Fatalf("overlay = %v, want %v", dst, want)
		}
	}
}

// referenceOverlay is the overlay's definition, one channel at a time:
// (img*(256-a) + colour*a) >> 8 with a in 1/256ths, the outlier colour
// at outlierWeight for masked pixels and unknownID's (labels past the
// palette get it at alpha).
func referenceOverlay(palette [][3]uint8, alpha float32, outlier [3]uint8, unknownID int, img, labels, mask []uint8) []uint8 {
	dst := make([]uint8, len(img))
	for i, l := range labels {
		col, a := outlier, outlierWeight
		if mask[i] != 255 && int(l) != unknownID {
			a = int(alpha*256 + 0.5)
			if int(l) < len(palette) {
				col = palette[l]
			}
		}
		for c := range 3 {
			dst[3*i+c] = uint8((int(img[3*i+c])*(256-a) + int(col[c])*a) >> 8)
		}
	}
	return dst
}

// Every label and mask value, on rows that are and are not a multiple of
// the vector loop's width, and with scratch shorter than the pixels (the
// painter goes row by row of it).
func TestPaintMatchesDefinition(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	palette := make([][3]uint8, 40)
	for i := range palette {
		palette[i] = [3]uint8{uint8(r.IntN(256)), uint8(r.IntN(256)), uint8(r.IntN(256))}
	}
	outlier := [3]uint8{255, 0, 255}
	for _, alpha := range []float32{0, 0.4, 1} {
		p := NewPainter(palette, alpha, outlier, 33)
		for _, n := range []int{1, 31, 32, 512, 1000} {
			img, labels, mask := make([]uint8, 3*n), make([]uint8, n), make([]uint8, n)
			for i := range labels {
				labels[i] = uint8(r.IntN(256))
				if r.IntN(4) == 0 {
					mask[i] = 255
				}
			}
			for i := range img {
				img[i] = uint8(r.IntN(256))
			}
			want := referenceOverlay(palette, alpha, outlier, 33, img, labels, mask)
			for _, scratch := range []int{7, 1024} {
				got := make([]uint8, 3*n)
				outliers := p.paint(got, img, labels, mask, newRowWeights(scratch))
				if !slices.Equal(got, want) {
					t.Fatalf("alpha %g, %d pixels, scratch %d: overlay differs from the definition", alpha, n, scratch)
				}
				if c := bytesCount(mask, 255); outliers != c {
					t.Fatalf("alpha %g, %d pixels: %d outliers, want %d", alpha, n, outliers, c)
				}
			}
		}
	}
}

func bytesCount(b []uint8, v uint8) int {
	n := 0
	for _, x := range b {
		if x == v {
			n++
		}
	}
	return n
}

func TestOpenSetLabelsUseUnknownID(t *testing.T) {
	net := newTestNet(4, 16, 16, 3)
	spec := net.spec()
	unknown := 7
	spec.Scoring.UnknownID = &unknown
	dir := writePackage(t, spec, net.onnx())
	opts := DefaultOptions()
	opts.Overrides.Threshold = 0.2
	e := openEngine(t, dir, opts)
	var out Result
	if err := e.Run(randomImage(16, 16, 4), &out); err != nil {
		t.Fatal(err)
	}
	outliers := 0
	for i, m := range out.Mask {
		isUnknown := out.Labels[i] == 7
		if (m == 255) != isUnknown {
			t.Fatalf("pixel %d: mask %d but label %d", i, m, out.Labels[i])
		}
		if m == 255 {
			outliers++
			if out.Score[i] <= 0.2 {
				t.Fatalf("pixel %d is an outlier with score %g <= threshold", i, out.Score[i])
			}
		} else if out.Labels[i] >= 4 {
			t.Fatalf("inlier pixel %d has label %d outside the classes", i, out.Labels[i])
		}
	}
	if outliers == 0 || outliers == len(out.Mask) || out.OutlierPixels != outliers {
		t.Fatalf("%d outliers (counted %d) of %d: the test needs a mix", outliers, out.OutlierPixels, len(out.Mask))
	}
	opts.Overrides.OpenSet = false
	e2 := openEngine(t, dir, opts)
	if err := e2.Run(randomImage(16, 16, 4), &out); err != nil {
		t.Fatal(err)
	}
	for i, l := range out.Labels {
		if l >= 4 {
			t.Fatalf("open_set off: pixel %d has label %d", i, l)
		}
	}
}

// The painter's weight loops (assembly on amd64) write what their Go
// versions write: single pixels, and the first row of 2x2 blocks with its
// doubled labels, score and mask.
func TestFillWeightsMatchesGo(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	p := NewPainter([][3]uint8{{1, 2, 3}, {200, 100, 50}, {9, 99, 199}}, 0.3, [3]uint8{255, 0, 255}, 2)
	for _, c := range []struct{ n, run, maskRun int }{
		{0, 1, 1}, {1, 1, 1}, {5, 1, 1}, {240, 1, 1}, {481, 1, 1}, {8, 8, 8}, {17, 12, 12}, {480, 20, 20}, {963, 30, 30}, {480, 480, 13},
	} {
		// Runs of random lengths up to c.run of one label, and up to
		// c.maskRun of one mask bit (mask values vary within a run), as a
		// segmentation's rows have.
		n := c.n
		labels, mask, score := make([]uint8, n), make([]uint8, n), make([]float32, n)
		for i := 0; i < n; {
			l := uint8(r.IntN(256))
			for end := min(n, i+1+r.IntN(c.run)); i < end; i++ {
				labels[i], score[i] = l, r.Float32()
			}
		}
		for i := 0; i < n; {
			m := uint8(r.IntN(256))
			for end := min(n, i+1+r.IntN(c.maskRun)); i < end; i++ {
				mask[i] = m &^ uint8(r.IntN(2)*0xfe)
			}
		}
		a, b := newRowWeights(2*n), newRowWeights(2*n)
		na, nb := p.setWeights(a, labels, mask), p.fillWeightsGo(b, labels, mask, false)
		if na != nb || !slices.Equal(a.keep, b.keep) || !slices.Equal(a.add, b.add) {
			t.Fatalf("%d labels: weights or outliers (%d, %d) differ from the Go loop", n, na, nb)
		}
		a, b = newRowWeights(2*n), newRowWeights(2*n)
		labA, labB, mkA, mkB := make([]uint8, 2*n), make([]uint8, 2*n), make([]uint8, 2*n), make([]uint8, 2*n)
		scA, scB := make([]float32, 2*n), make([]float32, 2*n)
		na = p.setHalves(a, labA, scA, mkA, labels, score, mask)
		nb = p.fillHalvesGo(b, labB, scB, mkB, labels, score, mask)
		if na != nb || !slices.Equal(a.keep, b.keep) || !slices.Equal(a.add, b.add) ||
			!slices.Equal(labA, labB) || !slices.Equal(scA, scB) || !slices.Equal(mkA, mkB) {
			t.Fatalf("%d model pixels, 2x2 blocks: outputs, weights or outliers (%d, %d) differ from the Go loop", n, na, nb)
		}
	}
}
