// Package cputime reads the CPU time a process or thread has used, which
// the benchmarks report beside wall time: on a shared machine other load
// disturbs it far less.
package cputime

import (
	"syscall"
	"time"
)

// rusageThread is Linux's RUSAGE_THREAD, which package syscall does not
// name.
const rusageThread = 1

// Process is the CPU time this process has used so far, all threads, user
// and system; 0 where the system cannot say.
func Process() time.Duration { return usage(syscall.RUSAGE_SELF) }

// Thread is the CPU time the calling OS thread has used so far (lock the
// goroutine to its thread to measure one); 0 where the system cannot say.
func Thread() time.Duration { return usage(rusageThread) }

func usage(who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
