package model

import "math"

// referenceOutputs computes testNet and the post-processing in plain Go,
// one pixel at a time, as the independent check of the engine.
func referenceOutputs(n testNet, im Image, sc Scoring) Result {
	in := n.spec().Input
	// Normalise and average-pool 2x2.
	lw, lh := n.w/2, n.h/2
	pooled := make([][]float64, 3)
	for c := range 3 {
		pooled[c] = make([]float64, lw*lh)
		for y := range lh {
			for x := range lw {
				s := 0.0
				for dy := range 2 {
					for dx := range 2 {
						v := float64(im.Pix[3*((2*y+dy)*n.w+2*x+dx)+c])
						s += (v/255 - float64(in.Mean[c])) / float64(in.Std[c])
					}
				}
				pooled[c][y*lw+x] = s / 4
			}
		}
	}
	logits := make([][]float64, n.classes)
	for k := range n.classes {
		logits[k] = make([]float64, lw*lh)
		for i := range logits[k] {
			v := float64(n.bias[k])
			for c := range 3 {
				v += float64(n.weights[3*k+c]) * pooled[c][i]
			}
			logits[k][i] = v
		}
	}
	out := Result{Width: n.w, Height: n.h}
	out.resize(n.w, n.h)
	p := make([]float64, n.classes)
	for y := range n.h {
		for x := range n.w {
			best, bestK := math.Inf(-1), 0
			for k := range n.classes {
				z := bilinearAt(logits[k], lw, lh, x, y, n.w, n.h) / float64(sc.Temperature)
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
					q := p[k] / sum
					if q > 0 {
						h -= q * math.Log(q)
					}
				}
				score = h / math.Log(float64(n.classes))
			}
			i := y*n.w + x
			out.Score[i] = float32(score)
			out.Labels[i] = uint8(bestK)
			if float32(score) > sc.Threshold {
				out.Mask[i] = 255
				if sc.UnknownID >= 0 {
					out.Labels[i] = uint8(sc.UnknownID)
				}
			}
		}
	}
	return out
}

// bilinearAt samples a w x h plane at output pixel (x, y) of an ow x oh grid
// with half-pixel centres and edge clamping, as ONNX Resize does.
func bilinearAt(plane []float64, w, h, x, y, ow, oh int) float64 {
	sx := math.Max(0, math.Min((float64(x)+0.5)*float64(w)/float64(ow)-0.5, float64(w-1)))
	sy := math.Max(0, math.Min((float64(y)+0.5)*float64(h)/float64(oh)-0.5, float64(h-1)))
	x0, y0 := int(sx), int(sy)
	x1, y1 := min(x0+1, w-1), min(y0+1, h-1)
	fx, fy := sx-float64(x0), sy-float64(y0)
	top := plane[y0*w+x0]*(1-fx) + plane[y0*w+x1]*fx
	bot := plane[y1*w+x0]*(1-fx) + plane[y1*w+x1]*fx
	return top*(1-fy) + bot*fy
}
