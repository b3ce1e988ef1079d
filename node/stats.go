package node

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Stats accumulates what the diagnostics report over one period.
type Stats struct {
	mu          sync.Mutex
	in, out     uint64
	bad         uint64
	errors      uint64
	lastBad     string
	latencies   []time.Duration
	outlierSum  float64
	outlierN    int
	totalIn     uint64
	totalOut    uint64
	totalBad    uint64
	totalErrors uint64
}

// Snapshot is one period's figures, plus running totals.
type Snapshot struct {
	Period               time.Duration
	InRate, OutRate      float64
	LatencyMean          time.Duration
	Latency50, Latency95 time.Duration
	Latency99            time.Duration
	Dropped              uint64 // total
	Bad, Errors          uint64 // total
	LastBad              string
	OutlierShare         float64 // mean share of outlier pixels over the period
	TotalIn, TotalOut    uint64
}

func (s *Stats) received() {
	s.mu.Lock()
	s.in++
	s.totalIn++
	s.mu.Unlock()
}

func (s *Stats) badFrame(reason string) {
	s.mu.Lock()
	s.bad++
	s.totalBad++
	s.lastBad = reason
	s.mu.Unlock()
}

func (s *Stats) failed() {
	s.mu.Lock()
	s.errors++
	s.totalErrors++
	s.mu.Unlock()
}

func (s *Stats) published(latency time.Duration, outlierShare float64) {
	s.mu.Lock()
	s.out++
	s.totalOut++
	if len(s.latencies) < 100000 {
		s.latencies = append(s.latencies, latency)
	}
	s.outlierSum += outlierShare
	s.outlierN++
	s.mu.Unlock()
}

// take returns the period's figures and starts a new period.
func (s *Stats) take(period time.Duration, dropped uint64) Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec := period.Seconds()
	snap := Snapshot{
		Period: period, InRate: float64(s.in) / sec, OutRate: float64(s.out) / sec,
		Dropped: dropped, Bad: s.totalBad, Errors: s.totalErrors, LastBad: s.lastBad,
		TotalIn: s.totalIn, TotalOut: s.totalOut,
	}
	if n := len(s.latencies); n > 0 {
		slices.Sort(s.latencies)
		var sum time.Duration
		for _, l := range s.latencies {
			sum += l
		}
		snap.LatencyMean = sum / time.Duration(n)
		q := func(pct int) time.Duration { return s.latencies[max(0, min(n-1, (n*pct+99)/100-1))] }
		snap.Latency50, snap.Latency95, snap.Latency99 = q(50), q(95), q(99)
	}
	if s.outlierN > 0 {
		snap.OutlierShare = s.outlierSum / float64(s.outlierN)
	}
	s.in, s.out, s.bad, s.errors = 0, 0, 0, 0
	s.latencies = s.latencies[:0]
	s.outlierSum, s.outlierN = 0, 0
	return snap
}

// residentMiB is the process's resident set size from /proc/self/statm
// (Go heap, ONNX Runtime's arenas and everything else), or -1 where
// there is no procfs.
func residentMiB() float64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return -1
	}
	pages, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		return -1
	}
	return float64(pages*uint64(os.Getpagesize())) / (1 << 20)
}
