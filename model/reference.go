package model

import (
	"fmt"
	"math"
)

// ReferencePostprocess computes in plain Go, one pixel at a time and in
// float64, what the engine's in-graph post-processing computes from a
// network's logits ([classes][lh][lw], row-major): bilinear upsampling to
// width x height (half-pixel centres, edge clamping, as ONNX Resize), the
// softmax at sc.Temperature, the outlier score in [0,1] (MSP: 1 - max p;
// entropy: H(p) / log C), argmax labels, the mask (255 where the score is
// above sc.Threshold) and sc.UnknownID on outlier pixels when it is >= 0.
// out gets width x height labels, score and mask, and an overlay buffer
// of that size to paint. It is the independent check of the engine, and
// post-processing for an engine whose runtime gives logits alone; it is
// written to be plain, not fast.
func ReferencePostprocess(out *Result, logits []float32, classes, lw, lh, width, height int, sc Scoring) error {
	switch {
	case classes < 1 || classes > 256:
		return fmt.Errorf("reference postprocess: %d classes, want 1 to 256", classes)
	case lw < 1 || lh < 1 || width < 1 || height < 1:
		return fmt.Errorf("reference postprocess: logits %dx%d to %dx%d: sizes must be positive", lw, lh, width, height)
	case len(logits) != classes*lw*lh:
		return fmt.Errorf("reference postprocess: %d logits, want %d classes x %dx%d = %d", len(logits), classes, lw, lh, classes*lw*lh)
	case sc.Kind != "msp" && sc.Kind != "entropy":
		return fmt.Errorf("reference postprocess: score kind %q: want msp or entropy", sc.Kind)
	case !(sc.Temperature > 0):
		return fmt.Errorf("reference postprocess: temperature %g: must be > 0", sc.Temperature)
	case sc.UnknownID > 255:
		return fmt.Errorf("reference postprocess: unknown id %d: must be below 256", sc.UnknownID)
	}
	out.resize(width, height)
	out.OutlierPixels, out.Logits, out.ModelRows, out.ModelCols = 0, nil, nil, nil
	plane := lw * lh
	p := make([]float64, classes)
	for y := range height {
		for x := range width {
			best, bestK := math.Inf(-1), 0
			for k := range classes {
				z := bilinearAt(logits[k*plane:(k+1)*plane], lw, lh, x, y, width, height) / float64(sc.Temperature)
				p[k] = z
				if z > best {
					best, bestK = z, k
				}
			}
			sum := 0.0
			for k := range p {
				p[k] = math.Exp(p[k] - best)
				sum += p[k]
			}
			var score float64
			switch sc.Kind {
			case "msp":
				score = 1 - 1/sum // the max has exp(0) = 1
			case "entropy":
				h := 0.0
				for k := range p {
					if q := p[k] / sum; q > 0 {
						h -= q * math.Log(q)
					}
				}
				if classes > 1 {
					score = h / math.Log(float64(classes))
				}
			}
			i := y*width + x
			out.Score[i] = float32(score)
			out.Labels[i] = uint8(bestK)
			out.Mask[i] = 0
			if float32(score) > sc.Threshold {
				out.Mask[i] = 255
				out.OutlierPixels++
				if sc.UnknownID >= 0 {
					out.Labels[i] = uint8(sc.UnknownID)
				}
			}
		}
	}
	return nil
}

// bilinearAt samples a w x h plane at output pixel (x, y) of an ow x oh
// grid with half-pixel centres and edge clamping, as ONNX Resize does.
func bilinearAt(plane []float32, w, h, x, y, ow, oh int) float64 {
	sx := math.Max(0, math.Min((float64(x)+0.5)*float64(w)/float64(ow)-0.5, float64(w-1)))
	sy := math.Max(0, math.Min((float64(y)+0.5)*float64(h)/float64(oh)-0.5, float64(h-1)))
	x0, y0 := int(sx), int(sy)
	x1, y1 := min(x0+1, w-1), min(y0+1, h-1)
	fx, fy := sx-float64(x0), sy-float64(y0)
	at := func(x, y int) float64 { return float64(plane[y*w+x]) }
	top := at(x0, y0)*(1-fx) + at(x1, y0)*fx
	bot := at(x0, y1)*(1-fx) + at(x1, y1)*fx
	return top*(1-fy) + bot*fy
}
