package node

import (
	"fmt"
	"math/bits"
	"sort"
)

// TrackerOptions set the temporal filter: an object is reported once it
// was seen in K of the last N frames, a detection continuing a track when
// their boxes overlap by at least IoU. K = N = 1 reports every detection.
type TrackerOptions struct {
	K, N int
	IoU  float64
}

// Validate checks 1 <= K <= N <= 64 and IoU in (0, 1].
func (o TrackerOptions) Validate() error {
	if o.K < 1 || o.N < o.K || o.N > 64 || !(o.IoU > 0 && o.IoU <= 1) {
		return fmt.Errorf("temporal filter: want 1 <= k <= n <= 64 and overlap in (0, 1], got k %d, n %d, overlap %g", o.K, o.N, o.IoU)
	}
	return nil
}

// Track is an object followed over frames.
type Track struct {
	ID uint64
	Object
	Hits int    // frames the track was seen in, over its life
	seen uint64 // bit i: seen i frames ago
}

// Tracker matches each frame's objects to the tracks of earlier frames.
type Tracker struct {
	opts   TrackerOptions
	tracks []*Track
	nextID uint64
}

// NewTracker makes a tracker; opts must be valid.
func NewTracker(opts TrackerOptions) *Tracker { return &Tracker{opts: opts, nextID: 1} }

// Update takes one frame's objects and returns the tracks to report: those
// seen in this frame and in at least K of the last N. Each object
// continues the unmatched track it overlaps most (greedily, best overlap
// first); the others start tracks. Tracks not seen for N frames end.
func (t *Tracker) Update(objs []Object) []Track {
	type pair struct {
		iou  float64
		o, t int
	}
	var pairs []pair
	for i, o := range objs {
		for j, tr := range t.tracks {
			if iou := o.IoU(tr.Box); iou >= t.opts.IoU {
				pairs = append(pairs, pair{iou, i, j})
			}
		}
	}
	sort.SliceStable(pairs, func(a, b int) bool { return pairs[a].iou > pairs[b].iou })
	for _, tr := range t.tracks {
		tr.seen <<= 1
	}
	matched := make([]bool, len(objs))
	taken := make([]bool, len(t.tracks))
	for _, p := range pairs {
		if matched[p.o] || taken[p.t] {
			continue
		}
		matched[p.o], taken[p.t] = true, true
		tr := t.tracks[p.t]
		tr.Object, tr.seen = objs[p.o], tr.seen|1
		tr.Hits++
	}
	for i, o := range objs {
		if !matched[i] {
			t.tracks = append(t.tracks, &Track{ID: t.nextID, Object: o, Hits: 1, seen: 1})
			t.nextID++
		}
	}
	window := uint64(1)<<t.opts.N - 1
	if t.opts.N == 64 {
		window = ^uint64(0)
	}
	var out []Track
	kept := t.tracks[:0]
	for _, tr := range t.tracks {
		tr.seen &= window
		if tr.seen == 0 {
			continue
		}
		kept = append(kept, tr)
		if tr.seen&1 == 1 && bits.OnesCount64(tr.seen) >= t.opts.K {
			out = append(out, *tr)
		}
	}
	clear(t.tracks[len(kept):])
	t.tracks = kept
	return out
}
