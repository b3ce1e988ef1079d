package node

import "testing"

func obj(x0, y0, x1, y1 int) Object {
	return Object{Box: Box{x0, y0, x1, y1}, Pixels: (x1 - x0) * (y1 - y0)}
}

// With k = 3 of n = 5, an object in 5 consecutive frames is reported from
// the third on, a blob of one frame never, and flicker that returns within
// the window keeps its track.
func TestTrackerKOfN(t *testing.T) {
	tr := NewTracker(TrackerOptions{K: 3, N: 5, IoU: 0.3})
	moving := func(f int) Object { return obj(10+f, 10, 30+f, 30) } // drifts a pixel a frame
	var firstID uint64
	for f := range 5 {
		objs := []Object{moving(f)}
		if f == 1 {
			objs = append(objs, obj(100, 100, 104, 104)) // one frame only
		}
		got := tr.Update(objs)
		if f < 2 {
			if len(got) != 0 {
				t.Fatalf("frame %d reported %+v", f, got)
			}
			continue
		}
		if len(got) != 1 || got[0].Box != moving(f).Box {
			t.Fatalf("frame %d reported %+v, want the moving object", f, got)
		}
		if got[0].Hits != f+1 {
			t.Fatalf("frame %d: the track was seen %d times, want %d", f, got[0].Hits, f+1)
		}
		if firstID == 0 {
			firstID = got[0].ID
		} else if got[0].ID != firstID {
			t.Fatalf("frame %d: track id changed from %d to %d", f, firstID, got[0].ID)
		}
	}
	// Missing for one frame, back in the next: still reported (4 of 5).
	if got := tr.Update(nil); len(got) != 0 {
		t.Fatalf("a frame without objects reported %+v", got)
	}
	if got := tr.Update([]Object{moving(6)}); len(got) != 1 || got[0].ID != firstID {
		t.Fatalf("the returning object: %+v", got)
	}
	// Gone for n frames: the track ends, and a new object there starts over.
	for range 5 {
		tr.Update(nil)
	}
	if got := tr.Update([]Object{moving(12)}); len(got) != 0 {
		t.Fatalf("an object after the track ended was reported at once: %+v", got)
	}
}

func TestTrackerOff(t *testing.T) {
	tr := NewTracker(TrackerOptions{K: 1, N: 1, IoU: 0.5})
	if got := tr.Update([]Object{obj(0, 0, 2, 2), obj(5, 5, 9, 9)}); len(got) != 2 {
		t.Fatalf("k = n = 1 reported %d of 2 objects", len(got))
	}
	for _, bad := range []TrackerOptions{{K: 0, N: 1, IoU: .5}, {K: 3, N: 2, IoU: .5}, {K: 1, N: 65, IoU: .5}, {K: 1, N: 1, IoU: 0}} {
		if bad.Validate() == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
