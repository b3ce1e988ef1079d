package nn

import (
	"math"
	"testing"
)

// exp32 is e^x by expShifted, one value at a time.
func exp32(x float32) float32 {
	var e, sum [1]float32
	expShifted(e[:], []float32{x}, []float32{0}, sum[:])
	return e[0]
}

func TestExpShifted(t *testing.T) {
	worst := 0.0
	for x := float32(-87); x < 88; x += 0.00731 {
		want := math.Exp(float64(x))
		got := float64(exp32(x))
		worst = math.Max(worst, math.Abs(got-want)/want)
	}
	if worst > 5e-7 {
		t.Errorf("worst relative error %g", worst)
	}
	if exp32(100) != float32(math.Inf(1)) || exp32(-100) != 0 || exp32(0) != 1 {
		t.Errorf("exp32 edges: %v %v %v", exp32(100), exp32(-100), exp32(0))
	}
	// Over a block: shifted by each value's own shift, summed into sum.
	z, shift := []float32{1, 2, 3}, []float32{1, 0, 5}
	dst, sum := make([]float32, 3), []float32{10, 20, 30}
	expShifted(dst, z, shift, sum)
	for j := range z {
		want := math.Exp(float64(z[j] - shift[j]))
		if math.Abs(float64(dst[j])-want) > 1e-6*want || math.Abs(float64(sum[j])-(want+[]float64{10, 20, 30}[j])) > 1e-5 {
			t.Errorf("element %d: e %g sum %g, want %g and %g", j, dst[j], sum[j], want, want+[]float64{10, 20, 30}[j])
		}
	}
}
