package model

import (
	"encoding/binary"
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
	o, w := t.out, t.l.weights[worker]
	switch {
	case t.l.Identity():
		t.outliers[worker] += t.p.paint(o.Overlay[3*lo:3*hi], t.img[3*lo:3*hi], o.Labels[lo:hi], o.Mask[lo:hi], w)
	case t.l.halves:
		t.outliers[worker] += upsampleHalves(o, t.l, t.p, t.img, t.labels, t.score, t.mask, lo, hi, w)
	default:
		t.outliers[worker] += upsampleNearest(o, t.l, t.p, t.img, t.labels, t.score, t.mask, lo, hi, w)
	}
}

// upsampleNearest fills frame rows [y0, y1) of out's labels, score and
// mask with the model pixel of each frame pixel and paints their overlay
// with p, row by row; it returns their outlier pixels. A row that takes
// the same model row as the row above (every other row when the frame is
// twice the model) copies its outputs and reuses its blend weights (w, one
// row of scratch).
func upsampleNearest(out *Result, l *Layout, p *Painter, img []uint8, labels []uint8, score []float32, mask []uint8, y0, y1 int, w rowWeights) int {
	fw := l.FrameW
	total, rowOutliers := 0, 0
	for y := y0; y < y1; y++ {
		my := l.Rows[y]
		row := y * fw
		lab, sc, mk := out.Labels[row:row+fw], out.Score[row:row+fw], out.Mask[row:row+fw]
		if y > y0 && l.Rows[y-1] == my {
			copy(lab, out.Labels[row-fw:row])
			copy(sc, out.Score[row-fw:row])
			copy(mk, out.Mask[row-fw:row])
		} else {
			src := my * l.ModelW
			ml, ms, mm := labels[src:src+l.ModelW], score[src:src+l.ModelW], mask[src:src+l.ModelW]
			for x, mx := range l.Cols {
				lab[x], sc[x], mk[x] = ml[mx], ms[mx], mm[mx]
			}
			rowOutliers = p.setWeights(w, lab, mk)
		}
		total += rowOutliers
		w.apply(out.Overlay[3*row:3*(row+fw)], img[3*row:3*(row+fw)])
	}
	return total
}

// upsampleHalves is upsampleNearest for a frame of exactly twice the
// content's size, where each model pixel is a 2x2 block of frame pixels:
// the first frame row of a block reads each model pixel once and writes
// its two frame pixels' labels, score, mask and blend weights; the second
// copies those rows and paints with the same weights.
func upsampleHalves(out *Result, l *Layout, p *Painter, img []uint8, labels []uint8, score []float32, mask []uint8, y0, y1 int, w rowWeights) int {
	fw := l.FrameW
	total, rowOutliers := 0, 0
	for y := y0; y < y1; y++ {
		row := y * fw
		lab, sc, mk := out.Labels[row:row+2*l.W], out.Score[row:row+2*l.W], out.Mask[row:row+2*l.W]
		if y%2 == 1 && y > y0 {
			copy(lab, out.Labels[row-fw:row-fw+2*l.W])
			copy(sc, out.Score[row-fw:row-fw+2*l.W])
			copy(mk, out.Mask[row-fw:row-fw+2*l.W])
		} else {
			src := (l.Y+y/2)*l.ModelW + l.X
			ml, ms, mm := labels[src:src+l.W], score[src:src+l.W], mask[src:src+l.W]
			rowOutliers = 2 * p.setHalves(w, lab, sc, mk, ml, ms, mm)
		}
		total += rowOutliers
		w.apply(out.Overlay[3*row:3*(row+2*l.W)], img[3*row:3*(row+2*l.W)])
	}
	return total
}

// doubled writes each model pixel's label, score and mask twice: the two
// frame pixels of a row of a 2x2 block.
func doubled(lab []uint8, sc []float32, mk, ml []uint8, ms []float32, mm []uint8) {
	doubleBytes(lab, ml)
	doubleBytes(mk, mm)
	ms, sc = ms[:len(ml)], sc[:2*len(ml)]
	for x, v := range ms {
		s2 := sc[2*x : 2*x+2 : 2*x+2]
		s2[0], s2[1] = v, v
	}
}

// doubleBytes writes each byte of src twice into dst, eight at a time.
func doubleBytes(dst, src []uint8) {
	x := 0
	dst = dst[:2*len(src)]
	for ; x+8 <= len(src); x += 8 {
		v := binary.LittleEndian.Uint64(src[x:])
		binary.LittleEndian.PutUint64(dst[2*x:], spreadBytes(uint32(v)))
		binary.LittleEndian.PutUint64(dst[2*x+8:], spreadBytes(uint32(v>>32)))
	}
	for ; x < len(src); x++ {
		dst[2*x], dst[2*x+1] = src[x], src[x]
	}
}

// spreadBytes turns bytes abcd into aabbccdd (little-endian).
func spreadBytes(v uint32) uint64 {
	x := uint64(v)
	x = (x | x<<16) & 0x0000ffff0000ffff
	x = (x | x<<8) & 0x00ff00ff00ff00ff
	return x | x<<8
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
