// Package parallel splits loops over the CPU cores, for the image and
// tensor kernels of the engine and of training.
package parallel

import (
	"runtime"
	"sync"
)

// For runs fn over [0, n) in up to GOMAXPROCS (at most 8) contiguous
// chunks. Loops shorter than minWork run on the calling goroutine, where a
// goroutine start would cost more than it saves.
func For(n, minWork int, fn func(lo, hi int)) {
	k := min(runtime.GOMAXPROCS(0), 8, n)
	if k <= 1 || n < minWork {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	for c := range k {
		lo, hi := c*n/k, (c+1)*n/k
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	wg.Wait()
}
