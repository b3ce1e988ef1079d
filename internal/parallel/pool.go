package parallel

import (
	"runtime"
	"sync"
)

// Task is a loop body: chunk is the chunk's number in [0, Pool.Workers()),
// for per-chunk scratch space and counts, and [lo, hi) its range.
type Task interface {
	Do(chunk, lo, hi int)
}

// Pool runs loops like For on workers started once, so that a loop
// allocates nothing (For starts a goroutine per chunk and call): the
// engine's per-frame path runs on one. A pool runs one loop at a time.
type Pool struct {
	task    Task
	jobs    chan [3]int
	wg      sync.WaitGroup
	workers int
}

// NewPool starts a pool of up to GOMAXPROCS (at most 8) workers, the
// calling goroutine being one of them. Close stops it.
func NewPool() *Pool {
	p := &Pool{jobs: make(chan [3]int), workers: min(runtime.GOMAXPROCS(0), 8)}
	for range p.workers - 1 {
		go p.work()
	}
	return p
}

// Workers is the most chunks a loop is split into.
func (p *Pool) Workers() int {
	if p == nil {
		return 1
	}
	return p.workers
}

func (p *Pool) work() {
	for j := range p.jobs {
		p.task.Do(j[0], j[1], j[2])
		p.wg.Done()
	}
}

// For runs t over [0, n) in up to Workers contiguous chunks, chunk 0 on
// the calling goroutine. Loops shorter than minWork, and any loop on a nil
// pool, run as one chunk on the calling goroutine.
func (p *Pool) For(n, minWork int, t Task) {
	k := min(p.Workers(), n)
	if k <= 1 || n < minWork {
		t.Do(0, 0, n)
		return
	}
	p.task = t
	p.wg.Add(k - 1)
	for c := 1; c < k; c++ {
		p.jobs <- [3]int{c, c * n / k, (c + 1) * n / k}
	}
	t.Do(0, 0, n/k)
	p.wg.Wait()
	p.task = nil
}

// Close stops the workers; the pool must not be used after.
func (p *Pool) Close() {
	if p != nil {
		close(p.jobs)
	}
}
