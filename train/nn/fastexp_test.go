package nn

import (
	"math"
	"testing"
)

func TestExp32(t *testing.T) {
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
}
