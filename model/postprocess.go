package model

import (
	"fmt"
	"math"

	"osr/internal/onnxgraph"
	"osr/internal/parallel"
)

// Names of the outputs the engine adds to every model graph.
const (
	OutLabels = "osr_labels"
	OutScore  = "osr_score"
	OutMask   = "osr_mask"
	// OutLogits is the temperature-scaled logits at the input size, added
	// when Options.Logits is set (calibration needs them).
	OutLogits = "osr_logits"
)

// Scoring is the resolved outlier scoring the engine bakes into the graph.
type Scoring struct {
	Kind        string // msp or entropy
	Temperature float32
	Threshold   float32
	// UnknownID, when >= 0, replaces the label of outlier pixels.
	UnknownID int
}

// Postprocess turns one frame's outputs at the model's resolution (labels,
// outlier score, mask) into out at the frame's resolution, through l (made
// for im's size), and paints im's overlay with p. At the model's size out
// shares the given slices (no copy); frames of another size take the
// nearest model pixel for labels, mask and score alike, so that the mask
// is always the thresholded score. out.Logits is left to the engine.
//
// The work is split over pool's workers where that has been faster for
// l's frames (nil: the calling goroutine does it all); nothing is allocated
// once out's buffers have the frame's size.
func Postprocess(out *Result, im Image, l *Layout, p *Painter, labels []uint8, score []float32, mask []uint8, pool *parallel.Pool) error {
	if !l.Fits(im) || len(im.Pix) != 3*im.Width*im.Height {
		return fmt.Errorf("postprocess: a %dx%d frame (%d bytes) through the layout of %dx%d frames", im.Width, im.Height, len(im.Pix), l.FrameW, l.FrameH)
	}
	n := l.ModelW * l.ModelH
	if len(labels) != n || len(score) != n || len(mask) != n {
		return fmt.Errorf("postprocess: outputs of %d, %d and %d pixels, want %dx%d", len(labels), len(score), len(mask), l.ModelW, l.ModelH)
	}
	if l.Identity() {
		out.Width, out.Height = im.Width, im.Height
		out.Labels, out.Score, out.Mask = labels, score, mask
		out.Overlay = grow(out.Overlay, 3*n)
	} else {
		if len(out.Labels) > 0 && &out.Labels[0] == &labels[0] {
			out.Labels, out.Score, out.Mask = nil, nil, nil // stop sharing the outputs
		}
		out.resize(im.Width, im.Height)
	}
	out.ModelRows, out.ModelCols = l.Rows, l.Cols
	l.post = postTask{out: out, l: l, p: p, img: im.Pix, labels: labels, score: score, mask: mask}
	l.post.outliers = [maxWorkers]int{}
	if l.Identity() {
		l.postLoop.For(pool, n, 4096, &l.post)
	} else {
		l.postLoop.For(pool, im.Height, 16, &l.post)
	}
	out.OutlierPixels = 0
	for _, c := range l.post.outliers {
		out.OutlierPixels += c
	}
	l.post = postTask{}
	return nil
}

// postTask is Postprocess's loop: pixels at the model's size (the overlay
// alone), else frame rows; it counts outlier pixels per worker.
type postTask struct {
	out               *Result
	l                 *Layout
	p                 *Painter
	img, labels, mask []uint8
	score             []float32
	outliers          [maxWorkers]int
}

func (t *postTask) Do(worker, lo, hi int) {
	o := t.out
	if t.l.Identity() {
		t.outliers[worker] += t.p.paint(o.Overlay[3*lo:3*hi], t.img[3*lo:3*hi], o.Labels[lo:hi], o.Mask[lo:hi])
		return
	}
	if t.l.halves {
		t.outliers[worker] += upsampleHalves(o, t.l, t.p, t.img, t.labels, t.score, t.mask, lo, hi)
		return
	}
	w := t.l.FrameW
	t.outliers[worker] += upsampleNearest(o, t.l, t.p, t.img, t.labels, t.score, t.mask, lo, hi, t.l.blendIdx[worker*w:(worker+1)*w])
}

// upsampleNearest fills frame rows [y0, y1) of out's labels, score and
// mask with the model pixel of each frame pixel and paints their overlay
// with p, in one pass; it returns their outlier pixels. A row that takes
// the same model row as the row above (every other row when the frame is
// twice the model) copies its outputs and reuses its blend indices (idx,
// one row of scratch).
func upsampleNearest(out *Result, l *Layout, p *Painter, img []uint8, labels []uint8, score []float32, mask []uint8, y0, y1 int, idx []uint16) int {
	w := l.FrameW
	idx = idx[:w]
	total, rowOutliers := 0, 0
	for y := y0; y < y1; y++ {
		my := l.Rows[y]
		row := y * w
		lab, sc, mk := out.Labels[row:row+w], out.Score[row:row+w], out.Mask[row:row+w]
		if y > y0 && l.Rows[y-1] == my {
			copy(lab, out.Labels[row-w:row])
			copy(sc, out.Score[row-w:row])
			copy(mk, out.Mask[row-w:row])
		} else {
			src := my * l.ModelW
			ml, ms, mm := labels[src:src+l.ModelW], score[src:src+l.ModelW], mask[src:src+l.ModelW]
			rowOutliers = 0
			for x, mx := range l.Cols {
				lv, m := ml[mx], mm[mx]
				lab[x], sc[x], mk[x] = lv, ms[mx], m
				o := uint16(m & 1)
				rowOutliers += int(o)
				idx[x] = uint16(lv) | o<<8
			}
		}
		total += rowOutliers
		p.paintRow(out.Overlay[3*row:3*(row+w)], img[3*row:3*(row+w)], idx)
	}
	return total
}

// upsampleHalves is upsampleNearest for a frame of exactly twice the
// content's size, where each model pixel is a 2x2 block of frame pixels:
// the first frame row of a block reads each model pixel once, writes its
// two frame pixels' labels, score and mask, and paints both with one blend
// entry; the second copies those rows and paints its own pixels.
func upsampleHalves(out *Result, l *Layout, p *Painter, img []uint8, labels []uint8, score []float32, mask []uint8, y0, y1 int) int {
	w := l.FrameW
	total := 0
	for y := y0; y < y1; y++ {
		row := y * w
		src := (l.Y+y/2)*l.ModelW + l.X
		ml, ms, mm := labels[src:src+l.W], score[src:src+l.W], mask[src:src+l.W]
		lab, sc, mk := out.Labels[row:row+2*l.W], out.Score[row:row+2*l.W], out.Mask[row:row+2*l.W]
		ov, im := out.Overlay[3*row:3*(row+2*l.W)], img[3*row:3*(row+2*l.W)]
		if y%2 == 1 && y > y0 {
			copy(lab, out.Labels[row-w:row-w+2*l.W])
			copy(sc, out.Score[row-w:row-w+2*l.W])
			copy(mk, out.Mask[row-w:row-w+2*l.W])
			n := 0
			for x, lv := range ml {
				o := int(mm[x] & 1)
				n += o
				e := &p.blend[int(lv)|o<<8]
				a, d := im[6*x:6*x+6:6*x+6], ov[6*x:6*x+6:6*x+6]
				v0 := (uint64(a[0])|uint64(a[1])<<16|uint64(a[2])<<32)*e.keep + e.pre
				v1 := (uint64(a[3])|uint64(a[4])<<16|uint64(a[5])<<32)*e.keep + e.pre
				d[0], d[1], d[2], d[3], d[4], d[5] = uint8(v0>>8), uint8(v0>>24), uint8(v0>>40), uint8(v1>>8), uint8(v1>>24), uint8(v1>>40)
			}
			total += 2 * n
			continue
		}
		for x, lv := range ml {
			sv, m := ms[x], mm[x]
			o := int(m & 1)
			total += 2 * o
			l2, s2, m2 := lab[2*x:2*x+2:2*x+2], sc[2*x:2*x+2:2*x+2], mk[2*x:2*x+2:2*x+2]
			l2[0], l2[1], s2[0], s2[1], m2[0], m2[1] = lv, lv, sv, sv, m, m
			e := &p.blend[int(lv)|o<<8]
			a, d := im[6*x:6*x+6:6*x+6], ov[6*x:6*x+6:6*x+6]
			v0 := (uint64(a[0])|uint64(a[1])<<16|uint64(a[2])<<32)*e.keep + e.pre
			v1 := (uint64(a[3])|uint64(a[4])<<16|uint64(a[5])<<32)*e.keep + e.pre
			d[0], d[1], d[2], d[3], d[4], d[5] = uint8(v0>>8), uint8(v0>>24), uint8(v0>>40), uint8(v1>>8), uint8(v1>>24), uint8(v1>>40)
		}
	}
	return total
}

// postprocessGraph builds the nodes appended after the network's logits
// [1,C,h,w]: bilinear upsampling to [1,C,H,W] when the sizes differ, the
// temperature-scaled softmax, the outlier score in [0,1] (MSP: 1-max p;
// entropy: H(p)/log C), argmax labels and the thresholded mask. Running it
// inside ONNX Runtime keeps it on the model's execution provider.
func postprocessGraph(logits string, batch, classes, logitsH, logitsW, height, width int, sc Scoring, withLogits bool) (*onnxgraph.Graph, error) {
	if sc.Kind != "msp" && sc.Kind != "entropy" {
		return nil, fmt.Errorf("score kind %q: want msp or entropy", sc.Kind)
	}
	g := &onnxgraph.Graph{Name: "osr_postprocess", Prefix: "osr_"}
	// Scaling by 1/T before upsampling is the same (Resize is linear) and
	// touches 16x fewer values.
	invT := g.FloatTensor("osr_inv_temperature", nil, []float32{1 / sc.Temperature})
	z := g.Op("Mul", []string{logits, invT})
	if logitsH != height || logitsW != width {
		sizes := g.Int64Tensor("osr_sizes", []int64{4}, []int64{int64(batch), int64(classes), int64(height), int64(width)})
		z = g.Op("Resize", []string{z, "", "", sizes},
			onnxgraph.String("mode", "linear"),
			onnxgraph.String("coordinate_transformation_mode", "half_pixel"))
	}
	// The softmax is spelled out with reductions over the class axis:
	// ONNX Runtime's Softmax on a non-last axis transposes per pixel and is
	// some 40x slower at 480x360. With d = z - max z, e = exp d, s = sum e:
	//   MSP score     1 - max p = 1 - 1/s
	//   entropy       H = log s - sum(e d)/s, normalised by log C.
	axes := g.Int64Tensor("osr_axes", []int64{1}, []int64{1})
	zmax := g.Op("ReduceMax", []string{z}, onnxgraph.Ints("axes", 1), onnxgraph.Int("keepdims", 1))
	d := g.Op("Sub", []string{z, zmax})
	e := g.Op("Exp", []string{d})
	sum := g.Op("ReduceSum", []string{e, axes}, onnxgraph.Int("keepdims", 0))
	one := g.FloatTensor("osr_one", nil, []float32{1})
	var score string
	switch sc.Kind {
	case "msp":
		score = g.Op("Sub", []string{one, g.Op("Div", []string{one, sum})})
	case "entropy":
		ed := g.Op("ReduceSum", []string{g.Op("Mul", []string{e, d}), axes}, onnxgraph.Int("keepdims", 0))
		h := g.Op("Sub", []string{g.Op("Log", []string{sum}), g.Op("Div", []string{ed, sum})})
		norm := float32(1)
		if classes > 1 {
			norm = float32(1 / math.Log(float64(classes)))
		}
		k := g.FloatTensor("osr_inv_log_classes", nil, []float32{norm})
		score = g.Op("Mul", []string{h, k})
	}
	// Clip guards against tiny negative or >1 values from rounding.
	lo := g.FloatTensor("osr_zero", nil, []float32{0})
	g.Node("Clip", []string{score, lo, one}, []string{OutScore})
	thr := g.FloatTensor("osr_threshold", nil, []float32{sc.Threshold})
	outlier := g.Op("Greater", []string{OutScore, thr})
	u255 := g.Uint8Tensor("osr_u255", nil, []uint8{255})
	u0 := g.Uint8Tensor("osr_u0", nil, []uint8{0})
	g.Node("Where", []string{outlier, u255, u0}, []string{OutMask})
	arg := g.Op("ArgMax", []string{z}, onnxgraph.Int("axis", 1), onnxgraph.Int("keepdims", 0))
	if sc.UnknownID >= 0 {
		labels := g.Op("Cast", []string{arg}, onnxgraph.Int("to", int64(onnxgraph.Uint8)))
		unknown := g.Uint8Tensor("osr_unknown", nil, []uint8{uint8(sc.UnknownID)})
		g.Node("Where", []string{outlier, unknown, labels}, []string{OutLabels})
	} else {
		g.Node("Cast", []string{arg}, []string{OutLabels}, onnxgraph.Int("to", int64(onnxgraph.Uint8)))
	}
	shape := []int64{int64(batch), int64(height), int64(width)}
	if withLogits {
		g.Node("Identity", []string{z}, []string{OutLogits})
		g.Output(onnxgraph.Value{Name: OutLogits, Type: onnxgraph.Float32, Shape: []int64{int64(batch), int64(classes), int64(height), int64(width)}})
	}
	g.Output(onnxgraph.Value{Name: OutLabels, Type: onnxgraph.Uint8, Shape: shape})
	g.Output(onnxgraph.Value{Name: OutScore, Type: onnxgraph.Float32, Shape: shape})
	g.Output(onnxgraph.Value{Name: OutMask, Type: onnxgraph.Uint8, Shape: shape})
	return g, nil
}
