package model

// overlayPainter blends the palette over the frame in integer arithmetic:
// out = (img*(256-a) + colour*a) >> 8, with a stronger alpha on outliers so
// that they stand out in RViz.
type overlayPainter struct {
	// colour[id] premultiplied by alpha, and the image weight for that id.
	premul [256][3]uint16
	keep   [256]uint16
}

// outlierWeight is the outlier colour's alpha in 1/256ths (0.8).
const outlierWeight = 205

func newOverlayPainter(palette [][3]uint8, alpha float32, outlier [3]uint8, unknownID int) *overlayPainter {
	p := &overlayPainter{}
	a := uint16(alpha*256 + 0.5)
	for id := range 256 {
		col, w := outlier, a
		if id < len(palette) && id != unknownID {
			col = palette[id]
		}
		if id == unknownID {
			w = outlierWeight
		}
		p.set(id, col, w)
	}
	return p
}

func (p *overlayPainter) set(id int, col [3]uint8, a uint16) {
	p.keep[id] = 256 - a
	for c := range 3 {
		p.premul[id][c] = uint16(col[c]) * a
	}
}

// paint writes the overlay for one frame. Outlier pixels (mask 255) use
// the outlier colour whatever their label.
func (p *overlayPainter) paint(dst, img, labels, mask []uint8, outlier [3]uint8) {
	oa := uint16(outlierWeight)
	var opre [3]uint16
	for c := range 3 {
		opre[c] = uint16(outlier[c]) * oa
	}
	okeep := 256 - oa
	for i, l := range labels {
		pre, keep := &p.premul[l], p.keep[l]
		if mask[i] != 0 {
			pre, keep = &opre, okeep
		}
		s := img[3*i : 3*i+3 : 3*i+3]
		d := dst[3*i : 3*i+3 : 3*i+3]
		d[0] = uint8((uint16(s[0])*keep + pre[0]) >> 8)
		d[1] = uint8((uint16(s[1])*keep + pre[1]) >> 8)
		d[2] = uint8((uint16(s[2])*keep + pre[2]) >> 8)
	}
}
