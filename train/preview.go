package train

import (
	"math"

	"osr/internal/imageio"
)

// previewFile is the picture of a training batch written beside the
// checkpoint in noise and so modes: what the segmenter learns from, and
// what the flow currently generates.
const previewFile = "outliers.png"

// batchPreview tiles the first images of a normalised NCHW batch (c is 1
// or 3 channels) into one RGB picture, cols per row with a 2-pixel gap,
// and outlines each image's pasted outlier (when placed is given) in
// magenta, so that it can be told from the scene.
func batchPreview(in []float32, n, c, h, w int, mean, std []float32, placed []placement, cols int) imageio.RGB {
	const gap = 2
	cols = max(1, min(cols, n))
	rows := (n + cols - 1) / cols
	out := imageio.RGB{Width: cols*(w+gap) - gap, Height: rows*(h+gap) - gap}
	out.Pix = make([]uint8, 3*out.Width*out.Height)
	for i := range out.Pix {
		out.Pix[i] = 255
	}
	plane := h * w
	for i := range n {
		ox, oy := (i%cols)*(w+gap), (i/cols)*(h+gap)
		img := in[i*c*plane : (i+1)*c*plane]
		for y := range h {
			for x := range w {
				d := out.Pix[3*((oy+y)*out.Width+ox+x):]
				for k := range 3 {
					ch := min(k, c-1)
					v := (img[ch*plane+y*w+x]*std[ch] + mean[ch]) * 255
					d[k] = uint8(math.Round(float64(min(max(v, 0), 255))))
				}
			}
		}
		if i < len(placed) {
			p := placed[i]
			for j := range p.side {
				for _, q := range [][2]int{{p.x0 + j, p.y0}, {p.x0 + j, p.y0 + p.side - 1}, {p.x0, p.y0 + j}, {p.x0 + p.side - 1, p.y0 + j}} {
					d := out.Pix[3*((oy+q[1])*out.Width+ox+q[0]):]
					d[0], d[1], d[2] = 255, 0, 255
				}
			}
		}
	}
	return out
}
