package train

import (
	"os"
	"runtime"
	"testing"
)

// The peak RSS the memory rows report starts again at each reset: after
// touching 256 MiB it is at least that much above the reset's level, and
// after another reset it falls back once the memory is freed.
func TestPeakRSSResets(t *testing.T) {
	if _, err := os.Stat("/proc/self/clear_refs"); err != nil {
		t.Skip("no /proc/self/clear_refs (Linux 4.0+ procfs) to reset the peak RSS")
	}
	resetPeakRSS()
	base := peakRSS()
	if base <= 0 {
		t.Fatalf("peak RSS %g MiB: /proc/self/status has no VmHWM", base)
	}
	buf := make([]byte, 256<<20)
	for i := 0; i < len(buf); i += 4096 {
		buf[i] = 1
	}
	high := peakRSS()
	runtime.KeepAlive(buf)
	runtime.GC()
	resetPeakRSS()
	after := peakRSS()
	t.Logf("peak RSS: %.0f MiB at reset, %.0f MiB after touching 256 MiB, %.0f MiB after freeing it and resetting", base, high, after)
	if high-base < 250 {
		t.Errorf("peak RSS rose by %.0f MiB over touching 256 MiB", high-base)
	}
	if high-after < 200 {
		t.Errorf("peak RSS %.0f MiB after freeing 256 MiB and resetting, %.0f MiB before", after, high)
	}
}
