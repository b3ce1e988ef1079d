package model

import "testing"

func TestOverlayBlendsPaletteAndPaintsOutliers(t *testing.T) {
	palette := [][3]uint8{{255, 0, 0}, {0, 0, 255}}
	outlier := [3]uint8{255, 0, 255}
	p := NewPainter(palette, 0.5, outlier, 2)
	img := []uint8{100, 100, 100, 100, 100, 100, 100, 100, 100}
	labels := []uint8{0, 1, 2}
	mask := []uint8{0, 0, 255}
	dst := make([]uint8, 9)
	p.paint(dst, img, labels, mask)
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
