package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/bluenviron/goroslib/v2"
	"github.com/spf13/pflag"

	"osr/internal/imageio"
	"osr/msgs"
)

// nodeCPU is the CPU a real osr node (ROS 1, its own process) uses while
// a camera publishes 480x360 rgb8 frames at a fixed rate and a subscriber
// takes its outlier mask.
type nodeCPU struct {
	RateHz    float64 `json:"rate_hz"`
	Seconds   float64 `json:"seconds"`    // measured, after a warm-up
	FramesIn  int     `json:"frames_in"`  // published in the window
	FramesOut int     `json:"frames_out"` // masks received in the window
	CPUSec    float64 `json:"cpu_s"`      // the node process's user + system time
	Cores     float64 `json:"cores"`      // CPUSec / Seconds
	Skipped   string  `json:"skipped,omitempty"`
}

// clockTick is the unit of /proc/PID/stat's CPU times (USER_HZ, 100 on
// every Linux architecture osr builds for).
const clockTick = 10 * time.Millisecond

// benchNodeCPU starts roscore and `osr node` (this executable, the
// config file and engine flags the command was given), publishes frames
// of image at rate from this process for warm-up + window, and reads the
// node's CPU time from /proc over the window. Without roscore the figure
// is skipped with the reason.
func benchNodeCPU(ctx context.Context, a *app, fs *pflag.FlagSet, image string, rate float64, warmup, window time.Duration) (*nodeCPU, error) {
	res := &nodeCPU{RateHz: rate}
	roscore, err := exec.LookPath("roscore")
	if err != nil {
		res.Skipped = "roscore not found (install Debian's ros-core)"
		return res, nil
	}
	ros, err := startBenchROS(ctx, a, fs, roscore, image, "osr-bench-ros-")
	if err != nil {
		return nil, err
	}
	defer ros.close()
	img := ros.img

	args := append([]string{"node", "image:=/osr_bench/image"}, ros.engineArgs...)
	osrNode := background(exec.CommandContext(ctx, ros.exe, args...), ros.env)
	if err := osrNode.Start(); err != nil {
		return nil, fmt.Errorf("osr node: %w", err)
	}
	defer stop(osrNode)

	rn, err := rosNode(ctx, ros.master)
	if err != nil {
		return nil, err
	}
	defer rn.Close()
	var masks atomic.Int64
	sub, err := goroslib.NewSubscriber(goroslib.SubscriberConf{Node: rn, Topic: "/osr/outlier_mask",
		Callback: func(*msgs.Image) { masks.Add(1) }})
	if err != nil {
		return nil, fmt.Errorf("mask subscriber: %w", err)
	}
	defer sub.Close()
	pub, err := goroslib.NewPublisher(goroslib.PublisherConf{Node: rn, Topic: "/osr_bench/image", Msg: &msgs.Image{}})
	if err != nil {
		return nil, fmt.Errorf("image publisher: %w", err)
	}
	defer pub.Close()
	frame := &msgs.Image{Height: uint32(img.Height), Width: uint32(img.Width), Encoding: "rgb8", Step: uint32(3 * img.Width), Data: img.Pix}
	frame.Header.FrameId = "camera"

	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	// Publish until the node answers (its model loaded, subscribed), then
	// for the warm-up, then for the window.
	deadline := time.Now().Add(60 * time.Second)
	for masks.Load() == 0 {
		if err := publishTick(ctx, tick, pub, frame, osrNode); err != nil {
			return nil, err
		}
		if time.Now().After(deadline) {
			return nil, errors.New("osr node sent no mask within 60 s of the first frame")
		}
	}
	for end := time.Now().Add(warmup); time.Now().Before(end); {
		if err := publishTick(ctx, tick, pub, frame, osrNode); err != nil {
			return nil, err
		}
	}
	cpu0, err := procCPU(osrNode.Process.Pid)
	if err != nil {
		return nil, err
	}
	out0, t0 := masks.Load(), time.Now()
	for time.Since(t0) < window {
		if err := publishTick(ctx, tick, pub, frame, osrNode); err != nil {
			return nil, err
		}
		res.FramesIn++
	}
	cpu1, err := procCPU(osrNode.Process.Pid)
	if err != nil {
		return nil, err
	}
	res.Seconds = time.Since(t0).Seconds()
	res.FramesOut = int(masks.Load() - out0)
	res.CPUSec = (cpu1 - cpu0).Seconds()
	res.Cores = res.CPUSec / res.Seconds
	return res, nil
}

// benchROS is a private roscore for one benchmark, and what the osr
// nodes it starts need: this executable, an environment that points at
// the master, and the config file and engine flags the command was given.
type benchROS struct {
	master     string
	env        []string
	exe        string
	engineArgs []string
	img        imageio.RGB // the bench image
	home       string
	core       *exec.Cmd
}

// startBenchROS reads the bench image and starts roscore on a free port,
// its ROS_HOME a new temporary directory named from prefix; close stops
// it and removes the directory.
func startBenchROS(ctx context.Context, a *app, fs *pflag.FlagSet, roscore, image, prefix string) (*benchROS, error) {
	img, err := imageio.ReadFile(bundled(image))
	if err != nil {
		return nil, fmt.Errorf("bench image: %w", err)
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	home, err := os.MkdirTemp("", prefix)
	if err != nil {
		return nil, err
	}
	master := "http://127.0.0.1:" + strconv.Itoa(port)
	env := append(os.Environ(), "ROS_MASTER_URI="+master, "ROS_HOME="+home, "ROS_LOG_DIR="+filepath.Join(home, "log"), "ROS_IP=127.0.0.1")
	core := background(exec.CommandContext(ctx, roscore, "-p", strconv.Itoa(port)), env)
	if err := core.Start(); err != nil {
		os.RemoveAll(home)
		return nil, fmt.Errorf("roscore: %w", err)
	}
	var engineArgs []string
	if a.configFile != "" {
		engineArgs = append(engineArgs, "--config", a.configFile)
	}
	fs.Visit(func(f *pflag.Flag) {
		if _, ok := engineFlagKeys[f.Name]; ok {
			engineArgs = append(engineArgs, "--"+f.Name+"="+f.Value.String())
		}
	})
	return &benchROS{master: master, env: env, exe: exe, engineArgs: engineArgs, img: img, home: home, core: core}, nil
}

func (r *benchROS) close() {
	stop(r.core)
	os.RemoveAll(r.home)
}

// publishTick waits for the next tick and publishes frame, or says why it
// cannot go on.
func publishTick(ctx context.Context, tick *time.Ticker, pub *goroslib.Publisher, frame *msgs.Image, node *exec.Cmd) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tick.C:
	}
	if node.ProcessState != nil || syscall.Kill(node.Process.Pid, 0) != nil {
		return errors.New("osr node exited during the CPU benchmark")
	}
	frame.Header.Stamp = time.Now()
	pub.Write(frame)
	return nil
}

// rosNode connects this process to the master, which roscore may still be
// starting.
func rosNode(ctx context.Context, master string) (*goroslib.Node, error) {
	var err error
	for range 100 {
		var rn *goroslib.Node
		rn, err = goroslib.NewNode(goroslib.NodeConf{
			Name: "osr_bench_camera", MasterAddress: strings.TrimPrefix(master, "http://"), Host: "127.0.0.1",
			LogDestinations: goroslib.LogDestinationCallback, // no OnLog: quiet
		})
		if err == nil {
			return rn, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return nil, fmt.Errorf("ROS master at %s: %w", master, err)
}

// background prepares cmd to run in its own process group, quietly.
func background(cmd *exec.Cmd, env []string) *exec.Cmd {
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	return cmd
}

// stop ends a background process group with SIGINT, then SIGKILL after 10 s.
func stop(cmd *exec.Cmd) {
	pg := -cmd.Process.Pid
	if err := syscall.Kill(pg, syscall.SIGINT); err != nil {
		cmd.Wait()
		return
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		syscall.Kill(pg, syscall.SIGKILL)
		<-done
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// procCPU is a process's user + system CPU time from /proc/PID/stat.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("node CPU time: %w", err)
	}
	// Fields after the command name (which may hold spaces) in parentheses:
	// state is field 3, utime 14, stime 15.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("node CPU time: /proc/%d/stat has %d fields after the name", pid, len(f))
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("node CPU time: %w", err)
	}
	return time.Duration(ut+st) * clockTick, nil
}
