package parallel

import "time"

// Adaptive remembers, for one recurring loop (a frame's pre- or
// post-processing), whether waking the pool's workers pays. Waking a
// sleeping worker's thread takes microseconds on a bare-metal CPU but up
// to milliseconds on a virtual machine whose idle cores the host has
// descheduled, or on a loaded one: there a loop of a few hundred
// microseconds ends sooner on the caller alone. Adaptive times the loop
// both ways and runs it the way that has been faster, trying the other
// way now and then, as the machine's load changes. The zero value is
// ready; one Adaptive serves one loop at a time.
//
// A loop that takes less than minHelpful on the caller alone stays there:
// beside a runtime call that uses every core (the frame's inference), the
// workers' wake-ups and idle spinning cost that call more than they save.
type Adaptive struct {
	helped, alone time.Duration // moving averages of the loop's wall time
	loops         int
}

// minHelpful is the shortest loop (on the caller alone) worth the
// workers. On the 2-core development VM, with the frame's loops at
// 0.1-0.3 ms, waking the workers for them made the node's frame 4-6 %
// slower than the caller alone (docs/performance.md, "Fourth pass:
// node"), though each loop itself ended sooner.
const minHelpful = 500 * time.Microsecond

// probeEvery is how often a loop runs the way that has been slower, to
// notice when it has become the faster.
const probeEvery = 16

// For runs t over [0, n) like Pool.For, with the workers or on the
// caller alone, whichever has been faster for this loop.
func (a *Adaptive) For(p *Pool, n, minWork int, t Task) {
	if p.Workers() <= 1 || min(p.Workers()*piecesPerWorker, n/max(1, minWork)) <= 1 {
		t.Do(0, 0, n)
		return
	}
	help := a.next()
	a.loops++
	t0 := time.Now()
	if help {
		p.For(n, minWork, t)
		a.helped = average(a.helped, time.Since(t0), a.loops <= 2)
	} else {
		t.Do(0, 0, n)
		a.alone = average(a.alone, time.Since(t0), a.loops <= 2)
	}
}

// next is whether this loop wakes the workers: first once with them and
// once alone, then the faster way, probing the other every probeEvery
// loops, unless the loop is short on the caller alone.
func (a *Adaptive) next() bool {
	switch {
	case a.loops == 0:
		return true
	case a.loops == 1, a.alone < minHelpful:
		return false // the caller's time, kept up to date by every loop
	case a.loops%probeEvery == 0:
		return !a.Helps()
	}
	return a.Helps()
}

// Helps reports whether the next loop would wake the workers (outside
// probes): for tests and diagnostics.
func (a *Adaptive) Helps() bool { return a.alone >= minHelpful && a.helped <= a.alone }

// average moves avg an eighth of the way to d (all the way for the first
// sample).
func average(avg, d time.Duration, first bool) time.Duration {
	if first {
		return d
	}
	return avg + (d-avg)/8
}
