package calibration

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"

	"osr/dataset"
	"osr/internal/atomicfile"
	"osr/node"
)

// stripFrame is what the strip needs of a played frame.
type stripFrame struct {
	sample dataset.Sample
	run    int
	truth  node.Box
}

var (
	pastedColor   = color.RGBA{0, 230, 0, 255} // the pasted object's box, drawn 2 px outside it
	reportedColor = color.RGBA{255, 0, 0, 255} // reported boxes (the garments can be yellow, the overlay's box colour)
)

// writeStrip draws, at half size, the frames of the pasted object that the
// last filter reports in most frames: on top the boxes the first filter
// reports, below the last filter's, in red, and the pasted object's box in
// green.
func (r *ObjectsReport) writeStrip(path string) error {
	if len(r.Rows) == 0 || len(r.frames) == 0 {
		return nil
	}
	first, last := r.Rows[0], r.Rows[len(r.Rows)-1]
	kept := map[int]int{}
	byImage := map[string]int{}
	for i, f := range r.frames {
		byImage[f.sample.Name] = i
	}
	for _, b := range last.reported {
		if b.iou >= r.Match {
			kept[r.frames[byImage[b.image]].run]++
		}
	}
	run, best := r.frames[0].run, -1
	for _, f := range r.frames { // in order: the first of equals
		if kept[f.run] > best {
			run, best = f.run, kept[f.run]
		}
	}
	var frames []stripFrame
	for _, f := range r.frames {
		if f.run == run {
			frames = append(frames, f)
		}
	}
	const gap = 4
	var canvas *image.RGBA
	for i, f := range frames {
		im, _, err := dataset.Load(f.sample)
		if err != nil {
			return err
		}
		w, h := im.Width/2, im.Height/2
		if canvas == nil {
			canvas = image.NewRGBA(image.Rect(0, 0, len(frames)*(w+gap)-gap, 2*h+gap))
			for p := range canvas.Pix {
				canvas.Pix[p] = 255
			}
		}
		for row, rep := range []ObjectsRow{first, last} {
			x0, y0 := i*(w+gap), row*(h+gap)
			for y := range h {
				for x := range w {
					var c [3]int
					for _, q := range [4]int{(2*y)*im.Width + 2*x, (2*y)*im.Width + 2*x + 1, (2*y+1)*im.Width + 2*x, (2*y+1)*im.Width + 2*x + 1} {
						for k := range c {
							c[k] += int(im.Pix[3*q+k])
						}
					}
					canvas.SetRGBA(x0+x, y0+y, color.RGBA{uint8(c[0] / 4), uint8(c[1] / 4), uint8(c[2] / 4), 255})
				}
			}
			clip := image.Rect(x0, y0, x0+w, y0+h)
			if f.truth.Area() > 0 {
				outline(canvas, clip, node.Box{X0: f.truth.X0 - 4, Y0: f.truth.Y0 - 4, X1: f.truth.X1 + 4, Y1: f.truth.Y1 + 4}, pastedColor)
			}
			for _, b := range rep.reported {
				if b.image == f.sample.Name {
					outline(canvas, clip, b.box, reportedColor)
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, canvas, &jpeg.Options{Quality: 85}); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return atomicfile.Write(path, buf.Bytes())
}

// outline draws box b, in full-size pixels, at half size into the clip
// rectangle of dst.
func outline(dst *image.RGBA, clip image.Rectangle, b node.Box, c color.RGBA) {
	if b.Area() == 0 {
		return
	}
	x0, y0 := clip.Min.X+b.X0/2, clip.Min.Y+b.Y0/2
	x1, y1 := clip.Min.X+(b.X1-1)/2, clip.Min.Y+(b.Y1-1)/2
	set := func(x, y int) {
		if (image.Point{x, y}).In(clip) {
			dst.SetRGBA(x, y, c)
		}
	}
	for x := x0; x <= x1; x++ {
		set(x, y0)
		set(x, y1)
	}
	for y := y0; y <= y1; y++ {
		set(x0, y)
		set(x1, y)
	}
}
