package model

import (
	"math"
	"strings"
	"testing"
)

// referenceOutputs computes testNet in plain Go, then ReferencePostprocess,
// as the independent check of the engine.
func referenceOutputs(t *testing.T, n testNet, im Image, sc Scoring) Result {
	t.Helper()
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
	logits := make([]float32, n.classes*lw*lh)
	for k := range n.classes {
		for i := range lw * lh {
			v := float64(n.bias[k])
			for c := range 3 {
				v += float64(n.weights[3*k+c]) * pooled[c][i]
			}
			logits[k*lw*lh+i] = float32(v)
		}
	}
	var out Result
	if err := ReferencePostprocess(&out, logits, n.classes, lw, lh, n.w, n.h, sc); err != nil {
		t.Fatal(err)
	}
	return out
}

// Two classes whose logits differ by d have MSP score 1 - 1/(1+e^-|d|/T)
// and entropy H(p)/log 2; the upsampling interpolates between logit
// columns with half-pixel centres and clamps at the edges.
func TestReferencePostprocessByHand(t *testing.T) {
	// Class 0: logits 0 and 4 over two columns, one row; class 1: 2 everywhere.
	logits := []float32{0, 4, 2, 2}
	// Upsampled to 4 columns: x=0 samples at -0.25 (clamped to 0), x=1 at
	// 0.25, x=2 at 0.75, x=3 at 1.25 (clamped to 1).
	z0 := []float64{0, 1, 3, 4}
	msp := func(d, temp float64) float64 { return 1 - 1/(1+math.Exp(-math.Abs(d)/temp)) }
	entropy := func(d, temp float64) float64 {
		p := 1 / (1 + math.Exp(-math.Abs(d)/temp))
		return -(p*math.Log(p) + (1-p)*math.Log(1-p)) / math.Log(2)
	}
	for _, c := range []struct {
		kind string
		temp float64
		f    func(d, temp float64) float64
	}{{"msp", 1, msp}, {"msp", 2, msp}, {"entropy", 1, entropy}, {"entropy", 3, entropy}} {
		sc := Scoring{Kind: c.kind, Temperature: float32(c.temp), UnknownID: -1}
		sc.Threshold = float32(c.f(1.5, c.temp)) // between the scores at |d| = 1 and |d| = 2
		var out Result
		if err := ReferencePostprocess(&out, logits, 2, 2, 1, 4, 2, sc); err != nil {
			t.Fatal(err)
		}
		if out.Width != 4 || out.Height != 2 || len(out.Overlay) != 3*8 {
			t.Fatalf("%s T=%g: result %dx%d with a %d-byte overlay", c.kind, c.temp, out.Width, out.Height, len(out.Overlay))
		}
		outliers := 0
		for i := range 8 {
			d := z0[i%4] - 2
			wantLabel := uint8(1)
			if d > 0 {
				wantLabel = 0
			}
			want := c.f(d, c.temp)
			wantMask := uint8(0)
			if want > float64(sc.Threshold) {
				wantMask = 255
				outliers++
			}
			if math.Abs(float64(out.Score[i])-want) > 1e-6 || out.Labels[i] != wantLabel || out.Mask[i] != wantMask {
				t.Errorf("%s T=%g pixel %d: score %g label %d mask %d, want %g, %d, %d",
					c.kind, c.temp, i, out.Score[i], out.Labels[i], out.Mask[i], want, wantLabel, wantMask)
			}
		}
		if outliers != 4 || out.OutlierPixels != outliers {
			t.Errorf("%s T=%g: %d outliers counted, want %d (of 4 expected)", c.kind, c.temp, out.OutlierPixels, outliers)
		}
	}
}

// Equal logits are the most uncertain: MSP 1 - 1/C, entropy 1. Outliers
// take the unknown id.
func TestReferencePostprocessUniformAndUnknownID(t *testing.T) {
	logits := make([]float32, 3*2*2)
	for _, c := range []struct {
		kind string
		want float64
	}{{"msp", 2.0 / 3}, {"entropy", 1}} {
		var out Result
		err := ReferencePostprocess(&out, logits, 3, 2, 2, 2, 2, Scoring{Kind: c.kind, Temperature: 1, Threshold: 0.5, UnknownID: 9})
		if err != nil {
			t.Fatal(err)
		}
		for i := range out.Score {
			if math.Abs(float64(out.Score[i])-c.want) > 1e-6 || out.Mask[i] != 255 || out.Labels[i] != 9 {
				t.Fatalf("%s pixel %d: score %g mask %d label %d, want %g, 255, 9", c.kind, i, out.Score[i], out.Mask[i], out.Labels[i], c.want)
			}
		}
	}
}

func TestReferencePostprocessRejectsBadInput(t *testing.T) {
	ok := Scoring{Kind: "msp", Temperature: 1, Threshold: 0.5, UnknownID: -1}
	cases := []struct {
		name    string
		logits  []float32
		classes int
		sc      Scoring
		want    string
	}{
		{"short logits", make([]float32, 7), 2, ok, "7 logits, want 2 classes x 2x2 = 8"},
		{"no classes", nil, 0, ok, "0 classes"},
		{"bad kind", make([]float32, 8), 2, Scoring{Kind: "max", Temperature: 1}, `score kind "max"`},
		{"zero temperature", make([]float32, 8), 2, Scoring{Kind: "msp"}, "temperature 0"},
	}
	for _, c := range cases {
		var out Result
		err := ReferencePostprocess(&out, c.logits, c.classes, 2, 2, 4, 4, c.sc)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one with %q", c.name, err, c.want)
		}
	}
}
