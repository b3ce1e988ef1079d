package bilinear

import "testing"

func TestTaps(t *testing.T) {
	// Upsampling 2 -> 4: centres at -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1).
	want := []Tap{{0, 1, 0}, {0, 1, 0.25}, {0, 1, 0.75}, {1, 1, 0}}
	for i, tp := range Taps(2, 4) {
		if tp != want[i] {
			t.Errorf("tap %d = %+v, want %+v", i, tp, want[i])
		}
	}
	// Downsampling 4 -> 2 by exactly 2 averages pairs.
	for i, tp := range Taps(4, 2) {
		if tp.I0 != 2*i || tp.I1 != 2*i+1 || tp.W != 0.5 {
			t.Errorf("tap %d = %+v", i, tp)
		}
	}
}
