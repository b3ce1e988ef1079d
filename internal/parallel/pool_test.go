package parallel

import (
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

type countTask struct {
	seen   []atomic.Int32
	chunks []atomic.Int32
}

func (c *countTask) Do(chunk, lo, hi int) {
	c.chunks[chunk].Add(1)
	for i := lo; i < hi; i++ {
		c.seen[i].Add(1)
	}
}

func TestPoolCoversEveryIndexOnceWithoutAllocating(t *testing.T) {
	p := NewPool()
	defer p.Close()
	for _, n := range []int{0, 1, 7, 5000} {
		c := &countTask{seen: make([]atomic.Int32, n), chunks: make([]atomic.Int32, p.Workers())}
		p.For(n, 1, c)
		for i := range c.seen {
			if v := c.seen[i].Load(); v != 1 {
				t.Fatalf("n=%d: index %d visited %d times", n, i, v)
			}
		}
		total := 0
		for i := range c.chunks {
			total += int(c.chunks[i].Load())
		}
		if want := min(n, 4*p.Workers()); n > 1 && total != want {
			t.Fatalf("n=%d: %d pieces, want %d", n, total, want)
		}
	}
	c := &countTask{seen: make([]atomic.Int32, 5000), chunks: make([]atomic.Int32, p.Workers())}
	if a := testing.AllocsPerRun(20, func() { p.For(5000, 1, c) }); a != 0 {
		t.Errorf("For allocates %g times per loop, want 0", a)
	}
	var none *Pool // a nil pool runs the loop on the caller
	c = &countTask{seen: make([]atomic.Int32, 10), chunks: make([]atomic.Int32, 1)}
	none.For(10, 1, c)
	if c.chunks[0].Load() != 1 || c.seen[9].Load() != 1 {
		t.Errorf("nil pool: chunks %d, last index %d", c.chunks[0].Load(), c.seen[9].Load())
	}
}

// A worker that the scheduler does not run delays nothing: with one
// processor left for all goroutines, the caller takes every piece itself
// and the loop ends without waiting for the woken workers.
func TestPoolCallerTakesTheLateWorkersPieces(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("needs GOMAXPROCS >= 2 to start a pool with workers")
	}
	p := NewPool()
	defer p.Close()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	c := &countTask{seen: make([]atomic.Int32, 1000), chunks: make([]atomic.Int32, p.Workers())}
	p.For(1000, 1, c)
	if got, want := c.chunks[0].Load(), int32(4*p.Workers()); got != want {
		t.Errorf("the caller ran %d pieces, want all %d", got, want)
	}
	for i := range c.seen {
		if v := c.seen[i].Load(); v != 1 {
			t.Fatalf("index %d visited %d times", i, v)
		}
	}
}

// sleepTask's pieces take a fixed time per index, on the caller (worker
// 0) and on the other workers.
type sleepTask struct{ caller, worker time.Duration }

func (s sleepTask) Do(w, lo, hi int) {
	d := s.caller
	if w != 0 {
		d = s.worker
	}
	time.Sleep(time.Duration(hi-lo) * d)
}

// Adaptive keeps waking the workers where they shorten the loop, stops
// where the caller alone is faster, and covers every index either way.
func TestAdaptiveChoosesTheFasterWay(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("needs GOMAXPROCS >= 2 to start a pool with workers")
	}
	p := NewPool()
	defer p.Close()
	n := piecesPerWorker * p.Workers()
	var helps Adaptive // workers as fast as the caller: the loop ends sooner with them
	for range 4 {
		helps.For(p, n, 1, sleepTask{caller: 2 * time.Millisecond, worker: 2 * time.Millisecond})
	}
	if !helps.Helps() {
		t.Errorf("workers as fast as the caller: helped %v, alone %v: want the workers to help", helps.helped, helps.alone)
	}
	var hinders Adaptive // a worker's piece outlasts the whole loop on the caller
	for range 4 {
		hinders.For(p, n, 1, sleepTask{caller: time.Millisecond, worker: time.Duration(2*n) * time.Millisecond})
	}
	if hinders.Helps() {
		t.Errorf("slow workers: helped %v, alone %v: want the caller alone", hinders.helped, hinders.alone)
	}
	c := &countTask{seen: make([]atomic.Int32, 5000), chunks: make([]atomic.Int32, p.Workers())}
	var a Adaptive
	for range 2 * probeEvery {
		for i := range c.seen {
			c.seen[i].Store(0)
		}
		a.For(p, 5000, 1, c)
		for i := range c.seen {
			if v := c.seen[i].Load(); v != 1 {
				t.Fatalf("index %d visited %d times", i, v)
			}
		}
	}
	if allocs := testing.AllocsPerRun(20, func() { a.For(p, 5000, 1, c) }); allocs != 0 {
		t.Errorf("Adaptive.For allocates %g times per loop, want 0", allocs)
	}
}

// A loop under minHelpful on the caller alone stays there even where the
// workers ended it sooner; a longer one takes the faster way, and the
// slower way is tried every probeEvery loops.
func TestAdaptiveLeavesShortLoopsToTheCaller(t *testing.T) {
	ms := time.Millisecond
	for _, c := range []struct {
		name          string
		alone, helped time.Duration
		loops         int
		want          bool
	}{
		{"first loop", 0, 0, 0, true},
		{"second loop", 0, 0, 1, false},
		{"short, faster with workers", minHelpful * 3 / 5, minHelpful / 5, 5, false},
		{"short, at a probe", minHelpful * 3 / 5, minHelpful / 5, probeEvery, false},
		{"long, faster with workers", 3 * ms, ms, 5, true},
		{"long, at a probe", 3 * ms, ms, probeEvery, false},
		{"long, faster alone", 3 * ms, 4 * ms, 5, false},
		{"long, faster alone, at a probe", 3 * ms, 4 * ms, 2 * probeEvery, true},
	} {
		a := Adaptive{alone: c.alone, helped: c.helped, loops: c.loops}
		if got := a.next(); got != c.want {
			t.Errorf("%s (alone %v, with workers %v, loop %d): wake the workers %v, want %v", c.name, c.alone, c.helped, c.loops, got, c.want)
		}
	}
}

// BenchmarkWakeSleepingWorker is how long a worker that has slept for a
// while takes to start after it is woken (the median, and the 90th
// percentile): what a pool's hand-off costs on this machine, against the
// loops' own time (Adaptive's choice).
func BenchmarkWakeSleepingWorker(b *testing.B) {
	wake := make(chan time.Time, 1)
	var late atomic.Int64
	go func() {
		for t0 := range wake {
			late.Store(int64(time.Since(t0)))
		}
	}()
	defer close(wake)
	var lat []float64
	for b.Loop() {
		b.StopTimer()
		time.Sleep(2 * time.Millisecond) // the worker's thread goes to sleep
		late.Store(-1)
		b.StartTimer()
		wake <- time.Now()
		for late.Load() < 0 {
		}
		lat = append(lat, float64(late.Load()))
	}
	slices.Sort(lat)
	b.ReportMetric(lat[len(lat)/2]/1e3, "p50-µs")
	b.ReportMetric(lat[len(lat)*9/10]/1e3, "p90-µs")
}
