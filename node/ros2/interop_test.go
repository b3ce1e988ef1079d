//go:build ros2

package ros2

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"osr/internal/imageio"
	"osr/internal/osrbuild"
)

// These tests run the real osr binary (built with -tags ros2) against a
// peer built on eProsima Fast DDS, a second DDS vendor, on loopback.

// osr is bin/osr with the ROS 2 transport, built outside the checkout.
var osr = osrbuild.Binary{Tags: []string{"ros2"}}

func buildOsr(t *testing.T) string {
	t.Helper()
	return osr.Path(t)
}

func TestMain(m *testing.M) {
	code := m.Run()
	osr.Remove()
	os.Exit(code)
}

// fastDDSPeer builds testdata/ros2/fastdds/peer.cpp with fastddsgen's
// types, once per source version, in the user cache directory.
func fastDDSPeer(t *testing.T) string {
	t.Helper()
	for _, tool := range []string{"fastddsgen", "g++"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: apt-get install libfastrtps-dev fastddsgen g++ (OSR_SETUP_ROS=1 bash scripts/setup.sh does)", tool)
		}
	}
	if _, err := os.Stat("/usr/include/fastdds/dds/domain/DomainParticipant.hpp"); err != nil {
		t.Skip("Fast DDS headers not installed: apt-get install libfastrtps-dev")
	}
	src := "../../testdata/ros2/fastdds"
	h := sha256.New()
	for _, f := range []string{"image.idl", "peer.cpp"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		h.Write(b)
	}
	ver, _ := exec.Command("fastddsgen", "-version").Output()
	h.Write(ver)
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = t.TempDir()
	}
	dir := filepath.Join(cache, "osr-test", "fastdds-peer-"+hex.EncodeToString(h.Sum(nil))[:12])
	bin := filepath.Join(dir, "peer")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	work := t.TempDir()
	run := func(name string, args ...string) {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = work
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, out)
		}
	}
	idl, _ := filepath.Abs(filepath.Join(src, "image.idl"))
	cpp, _ := filepath.Abs(filepath.Join(src, "peer.cpp"))
	run("fastddsgen", "-replace", "-d", work, idl)
	run("g++", "-std=c++14", "-O1", "-I", work, "-o", "peer", cpp, "image.cxx", "imagePubSubTypes.cxx", "-lfastrtps", "-lfastcdr")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	tmp := bin + fmt.Sprintf(".%d", os.Getpid())
	if err := os.Rename(filepath.Join(work, "peer"), tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, bin); err != nil {
		t.Fatal(err)
	}
	return bin
}

// proc is a child process whose output the test reads as it runs.
type proc struct {
	cmd  *exec.Cmd
	out  syncBuf
	done chan struct{}
	err  error
}

func start(t *testing.T, env []string, name string, args ...string) *proc {
	t.Helper()
	return startIn(t, "", env, name, args...)
}

// startIn runs the command in dir (the test's directory if empty).
func startIn(t *testing.T, dir string, env []string, name string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(name, args...), done: make(chan struct{})}
	p.cmd.Dir = dir
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	})
	return p
}

func (p *proc) wait(d time.Duration) error {
	select {
	case <-p.done:
		return p.err
	case <-time.After(d):
		return fmt.Errorf("still running after %v", d)
	}
}

func (p *proc) waitOutput(s string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if strings.Contains(p.out.String(), s) {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// peerEvent is one JSON line of the peer.
type peerEvent struct {
	Event, Topic, Encoding       string
	FrameID                      string `json:"frame_id"`
	Sec                          int32
	Nanosec, Width, Height, Step uint32
	Bytes                        int
	LatencyMs                    float64 `json:"latency_ms"`
	Ours                         bool
	Sent                         int
	// label_info and discovery events
	Classes                      int
	LastID                       int `json:"last_id"`
	First, Last, Namespace, Node string
	Threshold                    float64
	Readers, Writers             int
	LabelsWriterListed           bool `json:"labels_writer_listed"`
}

func events(t *testing.T, out string) []peerEvent {
	var evs []peerEvent
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var e peerEvent
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("peer line %q: %v", line, err)
		}
		evs = append(evs, e)
	}
	return evs
}

func frameRGB(t *testing.T) string {
	t.Helper()
	im, err := imageio.ReadFile("../../demo/camvid/0001TP_008640.jpg")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "frame.rgb")
	if err := os.WriteFile(p, im.Pix, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func startOsrNode(t *testing.T, domain uint32, env ...string) *proc {
	t.Helper()
	bin := buildOsr(t)
	env = append(env, "CYCLONEDDS_URI="+loopbackConfig, fmt.Sprintf("ROS_DOMAIN_ID=%d", domain))
	n := start(t, env, bin, "node", "--transport", "ros2", "--model", "../../models/camvid-so", "--threads", "1",
		"--ros-args", "-r", "image:=/camera/image_raw")
	if !n.waitOutput("joined the DDS domain", 30*time.Second) {
		t.Fatalf("osr node did not start:\n%s", n.out.String())
	}
	return n
}

// Both camera QoS: the node's best-effort camera reader (the sensor-data
// profile) matches reliable and best-effort Fast DDS publishers, and the
// outputs reach Fast DDS's reliable readers with the frame's header. Fast
// DDS also reads the label info and the discovery info that ROS 2 tools use.
func TestFastDDSCameraAndOsrNode(t *testing.T) {
	peer := fastDDSPeer(t)
	frame := frameRGB(t)
	domain := loopbackDomain(t)
	n := startOsrNode(t, domain)
	for _, rel := range []string{"reliable", "best_effort"} {
		t.Run(rel, func(t *testing.T) {
			began := time.Now()
			p := start(t, nil, peer, fmt.Sprint(domain), rel, frame, "480", "360", "30")
			if err := p.wait(40 * time.Second); err != nil {
				t.Fatalf("peer: %v\n%s\nnode:\n%s", err, p.out.String(), n.out.String())
			}
			got := map[string]peerEvent{}
			var done, labelInfo, discovery peerEvent
			for _, e := range events(t, p.out.String()) {
				switch {
				case e.Event == "output" && e.Ours:
					if _, ok := got[e.Topic]; !ok {
						got[e.Topic] = e
					}
				case e.Event == "done":
					done = e
				case e.Event == "label_info":
					labelInfo = e
				case e.Event == "discovery":
					discovery = e
				}
			}
			// Transient-local label info reaches a late Fast DDS reader.
			if labelInfo.Classes != 11 || labelInfo.First != "sky" || labelInfo.Last != "unknown" || labelInfo.LastID != 10 || labelInfo.Threshold <= 0 {
				t.Errorf("label info as Fast DDS read it: %+v", labelInfo)
			}
			// rmw_fastrtps would map the labels writer to node /osr; the node
			// also lists /rosout, its 10 outputs (four images, three compressed,
			// objects, diagnostics, label info), 6 parameter services and
			// /parameter_events.
			if discovery.Node != "osr" || discovery.Namespace != "/" || discovery.Readers != 1+6 || discovery.Writers != 1+10+6+1 || !discovery.LabelsWriterListed {
				t.Errorf("ros_discovery_info as Fast DDS read it: %+v", discovery)
			}
			for topic, enc := range map[string]string{"labels": "mono8", "outlier_mask": "mono8", "overlay": "rgb8"} {
				e, ok := got[topic]
				if !ok {
					t.Errorf("no %s with the peer's stamp:\n%s", topic, p.out.String())
					continue
				}
				if e.FrameID != "fastdds_cam" || e.Nanosec != 123456789 || e.Sec < 1700000001 || e.Width != 480 || e.Height != 360 ||
					e.Encoding != enc || e.Bytes != int(e.Step*e.Height) {
					t.Errorf("%s: %+v", topic, e)
				}
				t.Logf("%s camera: %s back %.1f ms after its frame was written", rel, topic, e.LatencyMs)
			}
			t.Logf("%s camera: %d frame(s) written before all three outputs came back; peer ran %v", rel, done.Sent, time.Since(began).Round(time.Millisecond))
		})
	}
	// SIGINT: the node leaves the domain and exits cleanly.
	n.cmd.Process.Signal(syscall.SIGINT)
	if err := n.wait(10 * time.Second); err != nil || !strings.Contains(n.out.String(), "node stopped") {
		t.Fatalf("node did not stop cleanly: %v\n%s", err, n.out.String())
	}
}

// A best-effort writer never matches a reliable reader, across vendors:
// with ros2.image_reliability: reliable the node cannot hear a best-effort
// Fast DDS camera, and it logs why.
func TestReliableNodeIgnoresBestEffortFastDDSCamera(t *testing.T) {
	peer := fastDDSPeer(t)
	frame := frameRGB(t)
	domain := loopbackDomain(t)
	n := startOsrNode(t, domain, "OSR_ROS2_IMAGE_RELIABILITY=reliable")
	p := start(t, nil, peer, fmt.Sprint(domain), "best_effort", frame, "480", "360", "3", "--expect-no-match")
	if err := p.wait(20 * time.Second); err != nil {
		t.Fatalf("peer: %v\n%s", err, p.out.String())
	}
	if !n.waitOutput("policy=reliability", 5*time.Second) || !strings.Contains(n.out.String(), "does not match this node's QoS") {
		t.Fatalf("the node did not report the QoS mismatch:\n%s", n.out.String())
	}
}
