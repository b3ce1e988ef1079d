package parallel

import (
	"runtime"
	"sync"
)

// Task is a loop body: worker is the number in [0, Pool.Workers()) of the
// goroutine that runs [lo, hi), for per-worker scratch space and counts. A
// worker may run several pieces of one loop, one after the other.
type Task interface {
	Do(worker, lo, hi int)
}

// Pool runs loops like For on workers started once, so that a loop
// allocates nothing (For starts a goroutine per chunk and call): the
// engine's per-frame path runs on one. A loop is cut into a few pieces
// per worker that the calling goroutine and whichever workers wake up in
// time take in turn, so that on a loaded machine a worker the scheduler
// has not run yet delays nothing: the caller takes its pieces. A pool
// runs one loop at a time.
type Pool struct {
	wake    chan struct{}
	done    chan struct{} // the last piece's worker tells a waiting caller
	workers int

	mu      sync.Mutex // guards the loop below
	task    Task
	n       int
	pieces  int
	next    int // the next piece to take
	left    int // pieces not finished
	waiting bool
}

// piecesPerWorker is how finely a loop is cut: enough for the caller to
// take a late worker's share, few enough to keep the hand-offs cheap.
const piecesPerWorker = 4

// NewPool starts a pool of up to GOMAXPROCS (at most 8) workers, the
// calling goroutine being one of them. Close stops it.
func NewPool() *Pool {
	p := &Pool{workers: min(runtime.GOMAXPROCS(0), 8)}
	p.wake = make(chan struct{}, p.workers)
	p.done = make(chan struct{}, 1)
	for w := 1; w < p.workers; w++ {
		go p.work(w)
	}
	return p
}

// Workers is the most goroutines a loop runs on.
func (p *Pool) Workers() int {
	if p == nil {
		return 1
	}
	return p.workers
}

func (p *Pool) work(w int) {
	for range p.wake {
		p.take(w)
	}
}

// take runs pieces of the current loop until none is left. A worker woken
// for a loop that has ended finds none.
func (p *Pool) take(w int) {
	for {
		p.mu.Lock()
		if p.next == p.pieces {
			p.mu.Unlock()
			return
		}
		t, lo, hi := p.task, p.next*p.n/p.pieces, (p.next+1)*p.n/p.pieces
		p.next++
		p.mu.Unlock()
		t.Do(w, lo, hi)
		p.mu.Lock()
		p.left--
		last := p.left == 0 && p.waiting && w != 0
		p.mu.Unlock()
		if last {
			p.done <- struct{}{}
		}
	}
}

// For runs t over [0, n) in up to piecesPerWorker·Workers contiguous
// pieces of at least minWork each, on the calling goroutine (worker 0) and
// the pool's workers. Loops shorter than 2·minWork, and any loop on a nil
// pool, run as one piece on the calling goroutine.
func (p *Pool) For(n, minWork int, t Task) {
	pieces := min(p.Workers()*piecesPerWorker, n/max(1, minWork))
	if p.Workers() <= 1 || pieces <= 1 {
		t.Do(0, 0, n)
		return
	}
	p.mu.Lock()
	p.task, p.n, p.pieces, p.next, p.left, p.waiting = t, n, pieces, 0, pieces, false
	p.mu.Unlock()
	for range p.workers - 1 {
		select {
		case p.wake <- struct{}{}:
		default: // enough wake-ups are queued already
		}
	}
	p.take(0)
	p.mu.Lock()
	if p.left > 0 {
		p.waiting = true
		p.mu.Unlock()
		<-p.done
		p.mu.Lock()
	}
	p.task = nil
	p.mu.Unlock()
}

// Close stops the workers; the pool must not be used after.
func (p *Pool) Close() {
	if p != nil {
		close(p.wake)
	}
}
