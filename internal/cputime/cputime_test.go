package cputime

import (
	"runtime"
	"testing"
	"time"
)

// Busy work shows up in both the thread's and the process's CPU time, and
// sleeping adds (almost) none.
func TestBusyWorkCountsSleepDoesNot(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	p0, t0 := Process(), Thread()
	x := 1.0
	for start := time.Now(); time.Since(start) < 50*time.Millisecond; {
		x = x*1.0000001 + 1e-9
	}
	p1, t1 := Process(), Thread()
	if t1-t0 < 20*time.Millisecond || p1-p0 < t1-t0-time.Millisecond {
		t.Fatalf("50 ms of busy work: thread %v, process %v (x=%g)", t1-t0, p1-p0, x)
	}
	time.Sleep(50 * time.Millisecond)
	if t2 := Thread(); t2-t1 > 20*time.Millisecond {
		t.Errorf("50 ms of sleep used %v of the thread's CPU", t2-t1)
	}
}
