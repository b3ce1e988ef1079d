package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bluenviron/goroslib/v2"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"osr/msgs"
)

// camerasRun is one way of serving the cameras: one node for all, or a
// node per camera.
type camerasRun struct {
	Setup     string  `json:"setup"`
	Nodes     int     `json:"nodes"`
	Seconds   float64 `json:"seconds"`
	FramesIn  int     `json:"frames_in"`            // published in the window, all cameras
	FramesOut int     `json:"frames_out"`           // masks of those frames received
	BatchMean string  `json:"batch_mean,omitempty"` // frames per inference, from the node's /diagnostics
	P50MS     float64 `json:"latency_p50_ms"`
	P95MS     float64 `json:"latency_p95_ms"`
	Cores     float64 `json:"cores"`   // the nodes' CPU time over the window
	RSSMiB    float64 `json:"rss_mib"` // the nodes' resident memory at the end
	PerCamera []int   `json:"frames_out_per_camera"`
}

type camerasBench struct {
	Cameras int          `json:"cameras"`
	RateHz  float64      `json:"rate_hz"`
	Width   int          `json:"width"`
	Height  int          `json:"height"`
	Stagger bool         `json:"stagger"`
	Load    string       `json:"loadavg_before"`
	Runs    []camerasRun `json:"runs"`
}

func newBenchCamerasCmd(a *app) *cobra.Command {
	var n int
	var rate float64
	var warmup, window time.Duration
	var image string
	var stagger, asJSON bool
	cmd := &cobra.Command{
		Use:   "cameras [--cameras 4] [--rate 5] [--json]",
		Short: "Several cameras through one node (batched) against a node per camera, on ROS 1",
		Long: `Starts roscore, then (1) one osr node with --cameras cam0,...: its
cameras' frames batched into one inference, (2) the same with max_batch 1:
one frame at a time, and (3) one osr node per camera, each with its own
model. A camera per topic publishes the frame (480x360 rgb8 by default) at
--rate from this process, all on the same tick (hardware-triggered cameras)
or spread over the period (--stagger), and a subscriber takes every
camera's outlier mask. Over --window after a warm-up it counts the frames
published and their masks received, the latency from a frame's stamp to its
mask's arrival (p50, p95, all cameras), the nodes' CPU (cores) and resident
memory at the end, and the one node's frames per inference (/diagnostics).
The engine flags given (--threads, --device, ...) go to every node.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := a.loadConfig(cmd.Flags(), engineFlagKeys); err != nil {
				return err
			}
			res := camerasBench{Cameras: n, RateHz: rate, Stagger: stagger, Load: loadAvg()}
			for _, setup := range []string{setupBatched, setupOneByOne, setupNodes} {
				r, err := benchCameras(cmd.Context(), a, cmd.Flags(), image, n, rate, stagger, setup, warmup, window)
				if err != nil {
					return err
				}
				res.Width, res.Height = r.width, r.height
				res.Runs = append(res.Runs, r.camerasRun)
			}
			if asJSON {
				return printJSON(res)
			}
			order := "same tick"
			if stagger {
				order = "spread over the period"
			}
			fmt.Printf("osr bench cameras: %d cameras at %g Hz each (%s), %dx%d rgb8, ROS 1; load average before: %s\n",
				n, rate, order, res.Width, res.Height, res.Load)
			fmt.Printf("%-22s %5s %9s %10s %8s %8s %6s %8s %6s  %s\n", "setup", "nodes", "frames in", "frames out", "p50 ms", "p95 ms", "cores", "RSS MiB", "batch", "out per camera")
			for _, r := range res.Runs {
				batch := r.BatchMean
				if batch == "" {
					batch = "-"
				}
				fmt.Printf("%-22s %5d %9d %10d %8.0f %8.0f %6.2f %8.0f %6s  %v\n", r.Setup, r.Nodes, r.FramesIn, r.FramesOut, r.P50MS, r.P95MS, r.Cores, r.RSSMiB, batch, r.PerCamera)
			}
			return nil
		},
	}
	addEngineFlags(cmd)
	f := cmd.Flags()
	f.IntVar(&n, "cameras", 4, "cameras")
	f.Float64Var(&rate, "rate", 5, "frames per second per camera")
	f.DurationVar(&warmup, "warmup", 5*time.Second, "publishing before the window")
	f.DurationVar(&window, "window", 30*time.Second, "measured time")
	f.StringVar(&image, "image", defaultBenchImage, "frame every camera publishes")
	f.BoolVar(&stagger, "stagger", false, "spread the cameras' frames over the period instead of one tick for all")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// The setups benchCameras compares.
const (
	setupBatched  = "one node, batched"
	setupOneByOne = "one node, max_batch 1"
	setupNodes    = "a node per camera"
)

type camerasResult struct {
	camerasRun
	width, height int
}

// benchCameras runs one setup: one node for n cameras (batched or not) or
// n nodes.
func benchCameras(ctx context.Context, a *app, fs *pflag.FlagSet, image string, n int, rate float64, stagger bool, setup string,
	warmup, window time.Duration) (*camerasResult, error) {
	if n < 1 || rate <= 0 {
		return nil, fmt.Errorf("--cameras %d --rate %g: want at least one camera and a positive rate", n, rate)
	}
	roscore, err := exec.LookPath("roscore")
	if err != nil {
		return nil, errors.New("roscore not found (install Debian's ros-core)")
	}
	ros, err := startBenchROS(ctx, a, fs, roscore, image, "osr-bench-cameras-")
	if err != nil {
		return nil, err
	}
	defer ros.close()
	img, exe, env, engineArgs := ros.img, ros.exe, ros.env, ros.engineArgs
	cams := make([]string, n)
	masks := make([]string, n)
	for i := range cams {
		cams[i] = fmt.Sprintf("cam%d", i)
	}
	var nodes []*exec.Cmd
	if setup != setupNodes {
		args := append([]string{"node", "--cameras", strings.Join(cams, ",")}, engineArgs...)
		if setup == setupOneByOne {
			args = append(args, "_max_batch:=1")
		} else {
			args = append(args, fmt.Sprintf("_max_batch:=%d", n)) // auto is 1 on the CPU
		}
		for i, c := range cams {
			args = append(args, c+"/image:=/osr_bench/"+c+"/image")
			masks[i] = "/osr/" + c + "/outlier_mask"
		}
		nodes = append(nodes, background(exec.CommandContext(ctx, exe, args...), env))
	} else {
		for i, c := range cams {
			args := append([]string{"node", "__name:=osr_" + c, "image:=/osr_bench/" + c + "/image"}, engineArgs...)
			nodes = append(nodes, background(exec.CommandContext(ctx, exe, args...), env))
			masks[i] = "/osr_" + c + "/outlier_mask"
		}
	}
	for _, nd := range nodes {
		if err := nd.Start(); err != nil {
			return nil, fmt.Errorf("osr node: %w", err)
		}
		defer stop(nd)
	}
	rn, err := rosNode(ctx, ros.master)
	if err != nil {
		return nil, err
	}
	defer rn.Close()

	// Per camera: masks received, and latencies while measuring.
	var mu sync.Mutex
	got := make([]int, n)
	var lat []time.Duration
	var t0, t1 time.Time // the window: frames stamped in it count
	inWindow := make([]int, n)
	batchMean := ""
	for i := range cams {
		sub, err := goroslib.NewSubscriber(goroslib.SubscriberConf{Node: rn, Topic: masks[i],
			Callback: func(m *msgs.Image) {
				now := time.Now()
				mu.Lock()
				got[i]++
				if st := m.Header.Stamp; !t0.IsZero() && !st.Before(t0) && (t1.IsZero() || st.Before(t1)) {
					inWindow[i]++
					lat = append(lat, now.Sub(st))
				}
				mu.Unlock()
			}})
		if err != nil {
			return nil, fmt.Errorf("mask subscriber: %w", err)
		}
		defer sub.Close()
	}
	diag, err := goroslib.NewSubscriber(goroslib.SubscriberConf{Node: rn, Topic: "/diagnostics",
		Callback: func(m *msgs.DiagnosticArray) {
			for _, st := range m.Status {
				for _, kv := range st.Values {
					if kv.Key == "batch_mean" && kv.Value != "0.00" {
						mu.Lock()
						batchMean = kv.Value
						mu.Unlock()
					}
				}
			}
		}})
	if err != nil {
		return nil, fmt.Errorf("diagnostics subscriber: %w", err)
	}
	defer diag.Close()
	var pubs []*goroslib.Publisher
	for _, c := range cams {
		pub, err := goroslib.NewPublisher(goroslib.PublisherConf{Node: rn, Topic: "/osr_bench/" + c + "/image", Msg: &msgs.Image{}})
		if err != nil {
			return nil, fmt.Errorf("image publisher: %w", err)
		}
		defer pub.Close()
		pubs = append(pubs, pub)
	}
	period := time.Duration(float64(time.Second) / rate)
	published := 0
	// publish sends one period's frames: all at once, or spread over it.
	publish := func(tick *time.Ticker) error {
		for i, pub := range pubs {
			if i == 0 || stagger {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-tick.C:
				}
			}
			for _, nd := range nodes {
				if nd.ProcessState != nil {
					return errors.New("an osr node exited during the benchmark")
				}
			}
			frame := &msgs.Image{Height: uint32(img.Height), Width: uint32(img.Width), Encoding: "rgb8", Step: uint32(3 * img.Width), Data: img.Pix}
			frame.Header.FrameId, frame.Header.Stamp = cams[i], time.Now()
			pub.Write(frame)
			published++
		}
		return nil
	}
	every := period
	if stagger {
		every = period / time.Duration(n)
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	ready := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return !slices.Contains(got, 0)
	}
	for deadline := time.Now().Add(120 * time.Second); !ready(); {
		if err := publish(tick); err != nil {
			return nil, err
		}
		if time.Now().After(deadline) {
			return nil, errors.New("not every camera's mask arrived within 120 s of the first frames")
		}
	}
	for end := time.Now().Add(warmup); time.Now().Before(end); {
		if err := publish(tick); err != nil {
			return nil, err
		}
	}
	cpu0, err := nodesCPU(nodes)
	if err != nil {
		return nil, err
	}
	mu.Lock()
	t0 = time.Now()
	mu.Unlock()
	published = 0
	for time.Since(t0) < window {
		if err := publish(tick); err != nil {
			return nil, err
		}
	}
	cpu1, err := nodesCPU(nodes)
	if err != nil {
		return nil, err
	}
	mu.Lock()
	t1 = time.Now()
	mu.Unlock()
	secs := t1.Sub(t0).Seconds()
	time.Sleep(2 * time.Second) // the last frames' masks
	mu.Lock()
	res := &camerasResult{width: img.Width, height: img.Height}
	r := &res.camerasRun
	r.Setup, r.Nodes, r.Seconds, r.FramesIn = setup, len(nodes), secs, published
	r.PerCamera, r.BatchMean = inWindow, batchMean
	for _, k := range inWindow {
		r.FramesOut += k
	}
	slices.Sort(lat)
	if k := len(lat); k > 0 {
		q := func(p int) float64 { return float64(lat[max(0, min(k-1, (k*p+99)/100-1))].Microseconds()) / 1000 }
		r.P50MS, r.P95MS = q(50), q(95)
	}
	mu.Unlock()
	r.Cores = (cpu1 - cpu0).Seconds() / secs
	for _, nd := range nodes {
		r.RSSMiB += procRSSMiB(nd.Process.Pid)
	}
	return res, nil
}

func nodesCPU(nodes []*exec.Cmd) (time.Duration, error) {
	var sum time.Duration
	for _, nd := range nodes {
		c, err := procCPU(nd.Process.Pid)
		if err != nil {
			return 0, err
		}
		sum += c
	}
	return sum, nil
}

// procRSSMiB is a process's resident set (VmRSS), 0 where unknown.
func procRSSMiB(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// loadAvg is /proc/loadavg's three load averages.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
