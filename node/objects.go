package node

// Box is a pixel rectangle, X0 and Y0 inclusive, X1 and Y1 exclusive.
type Box struct{ X0, Y0, X1, Y1 int }

// Area is the box's pixel count.
func (b Box) Area() int { return max(0, b.X1-b.X0) * max(0, b.Y1-b.Y0) }

// IoU is the boxes' intersection over union, 0 for disjoint boxes.
func (b Box) IoU(o Box) float64 {
	in := Box{max(b.X0, o.X0), max(b.Y0, o.Y0), min(b.X1, o.X1), min(b.Y1, o.Y1)}.Area()
	if in == 0 {
		return 0
	}
	return float64(in) / float64(b.Area()+o.Area()-in)
}

// Object is one connected region of the outlier mask.
type Object struct {
	Box
	Pixels    int
	MeanScore float32
	MaxScore  float32
}

// ObjectOptions filter the mask's regions.
type ObjectOptions struct {
	MinPixels int     // fewer pixels: not an object
	MinShare  float64 // smaller share of the frame: not an object
	// SkipBottom drops regions that touch the frame's bottom row, where an
	// ego vehicle's hood is.
	SkipBottom bool
}

// Objects finds the 8-connected regions of nonzero mask pixels in a w x h
// frame that pass opts, with their outlier scores. It reuses its buffers
// between frames, so keep one Objects per stream.
type Objects struct {
	label []int32 // region index + 1 per pixel, 0 = not yet visited
	stack []int32
	found []Object
}

// Find labels mask and returns the regions that pass opts, in scan order of
// their first pixel. The slice is valid until the next call.
func (f *Objects) Find(mask []uint8, score []float32, w, h int, opts ObjectOptions) []Object {
	n := w * h
	if cap(f.label) < n {
		f.label = make([]int32, n)
	}
	lab := f.label[:n]
	clear(lab)
	f.found = f.found[:0]
	minPixels := max(opts.MinPixels, int(opts.MinShare*float64(n)+0.5), 1)
	var next int32
	for start := range n {
		if mask[start] == 0 || lab[start] != 0 {
			continue
		}
		next++
		o := Object{Box: Box{w, h, 0, 0}}
		var sum float64
		lab[start] = next
		f.stack = append(f.stack[:0], int32(start))
		for len(f.stack) > 0 {
			p := int(f.stack[len(f.stack)-1])
			f.stack = f.stack[:len(f.stack)-1]
			x, y := p%w, p/w
			o.X0, o.Y0, o.X1, o.Y1 = min(o.X0, x), min(o.Y0, y), max(o.X1, x+1), max(o.Y1, y+1)
			o.Pixels++
			s := score[p]
			sum += float64(s)
			o.MaxScore = max(o.MaxScore, s)
			for dy := -1; dy <= 1; dy++ {
				yy := y + dy
				if yy < 0 || yy >= h {
					continue
				}
				for dx := -1; dx <= 1; dx++ {
					xx := x + dx
					q := yy*w + xx
					if xx < 0 || xx >= w || mask[q] == 0 || lab[q] != 0 {
						continue
					}
					lab[q] = next
					f.stack = append(f.stack, int32(q))
				}
			}
		}
		if o.Pixels < minPixels || opts.SkipBottom && o.Y1 == h {
			continue
		}
		o.MeanScore = float32(sum / float64(o.Pixels))
		f.found = append(f.found, o)
	}
	return f.found
}
