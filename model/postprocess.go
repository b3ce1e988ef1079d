package model

import (
	"fmt"
	"math"

	"osr/internal/onnxgraph"
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
func Postprocess(out *Result, im Image, l *Layout, p *Painter, labels []uint8, score []float32, mask []uint8) error {
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
		for y, my := range l.Rows {
			row := y * im.Width
			for x, mx := range l.Cols {
				j := my*l.ModelW + mx
				out.Labels[row+x] = labels[j]
				out.Score[row+x] = score[j]
				out.Mask[row+x] = mask[j]
			}
		}
	}
	out.ModelRows, out.ModelCols = l.Rows, l.Cols
	out.OutlierPixels = p.paint(out.Overlay, im.Pix, out.Labels, out.Mask)
	return nil
}

// postprocessGraph builds the nodes appended after the network's logits
// [1,C,h,w]: bilinear upsampling to [1,C,H,W] when the sizes differ, the
// temperature-scaled softmax, the outlier score in [0,1] (MSP: 1-max p;
// entropy: H(p)/log C), argmax labels and the thresholded mask. Running it
// inside ONNX Runtime keeps it on the model's execution provider.
func postprocessGraph(logits string, classes, logitsH, logitsW, height, width int, sc Scoring, withLogits bool) (*onnxgraph.Graph, error) {
	if sc.Kind != "msp" && sc.Kind != "entropy" {
		return nil, fmt.Errorf("score kind %q: want msp or entropy", sc.Kind)
	}
	g := &onnxgraph.Graph{Name: "osr_postprocess", Prefix: "osr_"}
	// Scaling by 1/T before upsampling is the same (Resize is linear) and
	// touches 16x fewer values.
	invT := g.FloatTensor("osr_inv_temperature", nil, []float32{1 / sc.Temperature})
	z := g.Op("Mul", []string{logits, invT})
	if logitsH != height || logitsW != width {
		sizes := g.Int64Tensor("osr_sizes", []int64{4}, []int64{1, int64(classes), int64(height), int64(width)})
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
	shape := []int64{1, int64(height), int64(width)}
	if withLogits {
		g.Node("Identity", []string{z}, []string{OutLogits})
		g.Output(onnxgraph.Value{Name: OutLogits, Type: onnxgraph.Float32, Shape: []int64{1, int64(classes), int64(height), int64(width)}})
	}
	g.Output(onnxgraph.Value{Name: OutLabels, Type: onnxgraph.Uint8, Shape: shape})
	g.Output(onnxgraph.Value{Name: OutScore, Type: onnxgraph.Float32, Shape: shape})
	g.Output(onnxgraph.Value{Name: OutMask, Type: onnxgraph.Uint8, Shape: shape})
	return g, nil
}
