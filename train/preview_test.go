package train

import (
	"os"
	"path/filepath"
	"testing"

	"osr/internal/imageio"
)

// The preview undoes the input normalisation, tiles the images and
// outlines each pasted outlier in magenta.
func TestBatchPreview(t *testing.T) {
	const n, h, w = 3, 8, 10
	mean, std := []float32{0.5, 0.4, 0.3}, []float32{0.25, 0.2, 0.1}
	in := make([]float32, n*3*h*w)
	for i := range n {
		for c := range 3 {
			v := float32(20*(i+1)+c) / 255 // a distinct colour per image
			for p := range h * w {
				in[(i*3+c)*h*w+p] = (v - mean[c]) / std[c]
			}
		}
	}
	placed := []placement{{side: 4, x0: 1, y0: 2}, {side: 3, x0: 7, y0: 5}, {side: 2, x0: 0, y0: 0}}
	im := batchPreview(in, n, 3, h, w, mean, std, placed, 2)
	if im.Width != 2*w+2 || im.Height != 2*h+2 {
		t.Fatalf("preview %dx%d, want %dx%d", im.Width, im.Height, 2*w+2, 2*h+2)
	}
	at := func(x, y int) [3]uint8 {
		p := im.Pix[3*(y*im.Width+x):]
		return [3]uint8{p[0], p[1], p[2]}
	}
	magenta := [3]uint8{255, 0, 255}
	// Image 1 sits right of image 0; image 2 below image 0.
	for _, c := range []struct {
		x, y int
		want [3]uint8
	}{
		{0, 0, [3]uint8{20, 21, 22}}, {1, 2, magenta}, {4, 5, magenta}, {2, 3, [3]uint8{20, 21, 22}},
		{w + 2, 0, [3]uint8{40, 41, 42}}, {w + 2 + 7, 5, magenta}, {w + 2 + 8, 6, [3]uint8{40, 41, 42}},
		{0, h + 2, magenta}, {5, h + 2 + 5, [3]uint8{60, 61, 62}},
		{w, 0, [3]uint8{255, 255, 255}}, // the gap
	} {
		if got := at(c.x, c.y); got != c.want {
			t.Errorf("pixel (%d,%d) = %v, want %v", c.x, c.y, got, c.want)
		}
	}
	// Grayscale batches (image-wide) repeat their channel.
	g := batchPreview([]float32{0, -0.6}, 2, 1, 1, 1, []float32{0.5}, []float32{0.5}, nil, 4)
	if g.Width != 4 || g.Pix[0] != 128 || g.Pix[9] != 51 || g.Pix[11] != 51 {
		t.Errorf("grayscale preview %dx%d %v", g.Width, g.Height, g.Pix)
	}
}

// A run with pasted outliers leaves its picture beside the checkpoint;
// an msp run pastes nothing and writes none.
func TestRunWritesOutlierPreview(t *testing.T) {
	for _, mode := range []string{"noise", "msp"} {
		cfg := soConfig(t, mode, 4)
		cfg.CheckpointEvery = 2
		out := t.TempDir()
		if _, err := Run(t.Context(), cfg, RunOptions{Out: out}); err != nil {
			t.Fatal(err)
		}
		_, err := os.Stat(filepath.Join(out, previewFile))
		if mode == "msp" {
			if err == nil {
				t.Error("msp run wrote an outlier preview")
			}
			continue
		}
		im, err := imageio.ReadFile(filepath.Join(out, previewFile))
		if err != nil {
			t.Fatal(err)
		}
		if im.Width != 2*cfg.Crop[0]+2 {
			t.Errorf("preview %dx%d for %v crops", im.Width, im.Height, cfg.Crop)
		}
	}
}
