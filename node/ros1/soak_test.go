package ros1_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"osr/internal/atomicfile"
	"osr/internal/rostest"
)

// soakWindow is one minute of the node's own diagnostics, summarised.
type soakWindow struct {
	From       string  `json:"from"` // offsets into the run
	To         string  `json:"to"`
	FramesIn   int     `json:"frames_in"` // totals at the window's end
	FramesOut  int     `json:"frames_out"`
	Dropped    int     `json:"frames_dropped"`
	BadFrames  int     `json:"bad_frames"`
	InHz       float64 `json:"input_hz"` // medians of the per-second rates
	OutHz      float64 `json:"output_hz"`
	P50        float64 `json:"latency_p50_ms"` // medians of the per-second percentiles
	P95        float64 `json:"latency_p95_ms"`
	P99        float64 `json:"latency_p99_ms"`
	RSSMiB     float64 `json:"rss_mib"` // median of the node's reports
	ProcRSSMiB float64 `json:"proc_rss_mib"`
	Goroutines int     `json:"goroutines"`
	Seen       int     `json:"diagnostics_seen"`
}

// TestSoak runs `osr node` for $OSR_SOAK (for example 30m) on ROS 1, fed
// by `rosbag play --loop` faster than it can infer, and compares its first
// minute after a minute of warm-up with its last minute. Gated: it is not
// part of the default suite. $OSR_SOAK_OUT names a JSON file for the
// figures (docs/reliability.md).
func TestSoak(t *testing.T) {
	d, err := time.ParseDuration(os.Getenv("OSR_SOAK"))
	if err != nil {
		t.Skip("set OSR_SOAK=30m (and -timeout 40m) to run the soak test")
	}
	if d < 3*time.Minute {
		t.Fatalf("OSR_SOAK=%v: want at least 3m (one minute of warm-up, a start and an end minute)", d)
	}
	rostest.Require(t)
	if _, err := exec.LookPath("rosbag"); err != nil {
		t.Skip("rosbag not installed (python3-rosbag)")
	}
	rate := 80.0
	if v, err := strconv.ParseFloat(os.Getenv("OSR_SOAK_HZ"), 64); err == nil {
		rate = v
	}
	bag := filepath.Join(t.TempDir(), "loop.bag")
	if out, err := exec.Command(osr.Path(t), "bag", "from-dataset", "--data", "../../testdata/camvid-mini", "--split", "test",
		"--rate", "10", "--out", bag).CombinedOutput(); err != nil {
		t.Fatalf("bag from-dataset: %v\n%s", err, out)
	}
	m := rostest.StartMaster(t, 0)
	node := startNode(t, m, "image:=/camera/image_raw")
	diag := m.Start("rostopic", "echo", "/diagnostics")
	time.Sleep(2 * time.Second)
	play := m.Start("rosbag", "play", "--loop", "-q", "-r", fmt.Sprint(rate/10), bag)
	start := time.Now()

	// The node's RSS from /proc every 10 s, as a check on its own report.
	type sample struct {
		at  time.Duration
		rss float64
	}
	var proc []sample
	for time.Since(start) < d {
		time.Sleep(10 * time.Second)
		if node.Exited() || play.Exited() {
			t.Fatalf("after %v: node exited %v, rosbag play exited %v\n%s\n%s", time.Since(start).Round(time.Second),
				node.Exited(), play.Exited(), lastLines(node.Output(), 20), lastLines(play.Output(), 20))
		}
		proc = append(proc, sample{time.Since(start), procRSS(node.Pid())})
	}
	elapsed := time.Since(start)
	all := allDiagnostics(diag.Output())
	if len(all) < int(d.Seconds())/2 {
		t.Fatalf("only %d diagnostics messages in %v", len(all), d)
	}
	// Diagnostics come once per second; index i is about i s into the run.
	window := func(from, to int) soakWindow {
		w := soakWindow{From: (time.Duration(from) * time.Second).String(), To: (time.Duration(to) * time.Second).String()}
		var in, out, p50, p95, p99, rss, gr []float64
		for _, kv := range all[min(from, len(all)):min(to, len(all))] {
			f := func(k string) float64 { v, _ := strconv.ParseFloat(kv[k], 64); return v }
			in, out, rss, gr = append(in, f("input_rate_hz")), append(out, f("output_rate_hz")), append(rss, f("rss_mib")), append(gr, f("goroutines"))
			p50, p95, p99 = append(p50, f("latency_p50_ms")), append(p95, f("latency_p95_ms")), append(p99, f("latency_p99_ms"))
			w.FramesIn, w.FramesOut, w.Dropped, w.BadFrames = int(f("frames_in")), int(f("frames_out")), int(f("frames_dropped")), int(f("bad_frames"))
			w.Seen++
		}
		w.InHz, w.OutHz, w.P50, w.P95, w.P99 = median(in), median(out), median(p50), median(p95), median(p99)
		w.RSSMiB, w.Goroutines = median(rss), int(median(gr))
		var pr []float64
		for _, s := range proc {
			if s.at >= time.Duration(from)*time.Second && s.at < time.Duration(to)*time.Second {
				pr = append(pr, s.rss)
			}
		}
		w.ProcRSSMiB = median(pr)
		return w
	}
	n := len(all)
	first, last := window(60, 120), window(n-60, n)
	res := struct {
		Duration string     `json:"duration"`
		RateHz   float64    `json:"rate_hz"`
		Start    soakWindow `json:"start"`
		End      soakWindow `json:"end"`
	}{elapsed.Round(time.Second).String(), rate, first, last}
	js, _ := json.MarshalIndent(res, "", "  ")
	t.Logf("soak %v at %.0f Hz:\n%s", elapsed.Round(time.Second), rate, js)
	if p := os.Getenv("OSR_SOAK_OUT"); p != "" {
		if err := atomicfile.Write(p, append(js, '\n')); err != nil {
			t.Error(err)
		}
	}
	if last.Dropped == 0 {
		t.Errorf("no frames dropped at %.0f Hz: the feed was not above capacity", rate)
	}
	if last.OutHz <= 0 || last.FramesOut <= first.FramesOut {
		t.Errorf("node stopped publishing: %d frames out at the start window, %d at the end", first.FramesOut, last.FramesOut)
	}
	if last.RSSMiB > first.RSSMiB*1.05 || last.ProcRSSMiB > first.ProcRSSMiB*1.05 {
		t.Errorf("RSS grew more than 5 %% after warm-up: %.1f -> %.1f MiB (node), %.1f -> %.1f MiB (/proc)",
			first.RSSMiB, last.RSSMiB, first.ProcRSSMiB, last.ProcRSSMiB)
	}
	if last.Goroutines > first.Goroutines+5 {
		t.Errorf("goroutines grew from %d to %d", first.Goroutines, last.Goroutines)
	}
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	return v[len(v)/2]
}

// procRSS is a process's VmRSS in MiB, or 0 when it cannot be read.
func procRSS(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}
