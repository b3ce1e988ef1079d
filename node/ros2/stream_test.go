//go:build ros2

package ros2

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"osr/msgs"
)

// A camera stream over UDP on loopback into the osr binary: at 10 Hz every
// frame comes back; at several times the rate the node sustains (derived
// from the 10 Hz latency, so a faster machine is overloaded too) the node
// keeps only the newest frame and counts the rest as dropped. Logs the
// latency from writing a frame to receiving its labels.
func TestLoopbackStream(t *testing.T) {
	domain := loopbackDomain(t)
	startOsrNode(t, domain)
	p := newPeer(t, domain) // another process than the node: real UDP
	cam := p.writer("rt/camera/image_raw", msgs.ROS2Image, false)
	// A deep history, so that the test's own reader loses no labels while
	// a loaded machine keeps it from taking them for a while: every label
	// the node counts as out must arrive.
	labels := p.readerDepth("rt/osr/labels", msgs.ROS2Image, true, false, 256)
	diag := p.reader("rt/diagnostics", msgs.ROS2DiagnosticArray, true, false)
	waitFor(t, 10*time.Second, "matching", func() bool { return matched(cam) == 1 && publishers(labels) == 1 })
	time.Sleep(300 * time.Millisecond) // let the node's reader see the writer too
	frame := demoImage(t, time.Time{})
	stream := func(hz float64, d time.Duration) (sent, back int, lat []time.Duration) {
		at := map[int64]time.Time{}
		base := time.Now().UnixNano()
		period := time.Duration(float64(time.Second) / hz)
		end := time.Now().Add(d)
		for next := time.Now(); time.Now().Before(end.Add(time.Second)); time.Sleep(time.Millisecond) {
			if now := time.Now(); now.After(next) && now.Before(end) {
				sent++
				frame.Header.Stamp = time.Unix(0, base+int64(sent))
				at[frame.Header.Stamp.UnixNano()] = now
				if err := write(cam, msgs.EncodeImageCDR(frame)); err != nil {
					t.Fatal(err)
				}
				next = next.Add(period)
			}
			for {
				data, ok, err := take(labels)
				if err != nil {
					t.Fatal(err)
				}
				if !ok {
					break
				}
				if data == nil {
					continue
				}
				m, err := msgs.DecodeImageCDR(data)
				if err != nil {
					t.Fatal(err)
				}
				if w, ok := at[m.Header.Stamp.UnixNano()]; ok {
					back++
					lat = append(lat, time.Since(w))
				}
			}
		}
		slices.Sort(lat)
		return sent, back, lat
	}
	pct := func(lat []time.Duration, q float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[int(q*float64(len(lat)-1))].Round(100 * time.Microsecond)
	}
	sent, back, lat := stream(10, 3*time.Second)
	t.Logf("10 Hz: %d frames written, %d labels back, latency p50 %v p95 %v", sent, back, pct(lat, 0.5), pct(lat, 0.95))
	if back < sent*9/10 {
		t.Errorf("10 Hz: only %d of %d frames came back", back, sent)
	}
	// A frame's latency bounds its inference time from above, so 5/p50
	// is at least five times what the node can sustain.
	over := 40.0
	if p50 := pct(lat, 0.5); p50 > 0 {
		over = min(max(over, 5/p50.Seconds()), 300)
	}
	sent2, back2, lat2 := stream(over, 2*time.Second)
	t.Logf("%.0f Hz: %d frames written, %d labels back, latency p50 %v p95 %v", over, sent2, back2, pct(lat2, 0.5), pct(lat2, 0.95))
	time.Sleep(1200 * time.Millisecond) // one more diagnostics period
	var kv map[string]string
	for {
		data, ok, err := take(diag)
		if err != nil || !ok {
			break
		}
		if data == nil {
			continue
		}
		d, err := msgs.DecodeDiagnosticArrayCDR(data)
		if err != nil {
			t.Fatal(err)
		}
		kv = map[string]string{}
		for _, v := range d.Status[0].Values {
			kv[v.Key] = v.Value
		}
	}
	in, _ := strconv.Atoi(kv["frames_in"])
	out, _ := strconv.Atoi(kv["frames_out"])
	dropped, _ := strconv.Atoi(kv["frames_dropped"])
	outDropped, err := strconv.Atoi(kv["outputs_dropped"])
	if err != nil {
		t.Fatalf("diagnostics lack outputs_dropped: %v", kv)
	}
	t.Logf("node diagnostics: frames in %d, out %d, dropped %d; label messages replaced before sending %d", in, out, dropped, outDropped)
	// Every label the node made arrived, except those its output queue
	// replaced with a newer one (counted).
	if in < (sent+sent2)*9/10 || dropped == 0 || out-outDropped != back+back2 || in-out-dropped > 2 {
		t.Errorf("diagnostics %v after %d frames written and %d labels received", kv, sent+sent2, back+back2)
	}
}
