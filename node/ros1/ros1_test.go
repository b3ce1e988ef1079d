package ros1_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/jpeg"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"osr/internal/imageio"
	"osr/internal/osrbuild"
	"osr/internal/rostest"
)

// These tests run the real osr binary against real ROS 1 tools from Debian:
// roscore, rostopic, roslaunch, and rospy publishers.

// osr is cmd/osr built outside the checkout, with the ROS 2 transport
// when the tests are (buildTags), so that the tests never replace bin/osr.
var osr = osrbuild.Binary{Tags: buildTags}

func TestMain(m *testing.M) {
	code := m.Run()
	osr.Remove()
	os.Exit(code)
}

const (
	model = "../../models/camvid-so"
	frame = "../../demo/camvid/0001TP_008640.jpg"
)

// frameFile writes the demo frame's raw RGB bytes for the rospy publisher.
func frameFile(t *testing.T) string {
	t.Helper()
	im, err := imageio.ReadFile(frame)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "frame.rgb")
	if err := os.WriteFile(p, im.Pix, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func startNode(t *testing.T, m *rostest.Master, args ...string) *rostest.Proc {
	t.Helper()
	return startNodeEnv(t, m, nil, args...)
}

// startNodeEnv is startNode with extra environment variables.
func startNodeEnv(t *testing.T, m *rostest.Master, env []string, args ...string) *rostest.Proc {
	t.Helper()
	base := []string{"node", "--model", model, "--threads", "1"}
	p := m.StartEnv(env, osr.Path(t), append(base, args...)...)
	if !p.WaitOutput("registered with the ROS master", 30*time.Second) {
		t.Fatalf("node did not register:\n%s", p.Output())
	}
	return p
}

func publishRaw(m *rostest.Master, topic, file string, rate float64, count int, encoding string, step int) *rostest.Proc {
	return m.Start("/usr/bin/python3", "../../testdata/ros1/pub_image.py", topic, "raw", file,
		"480", "360", encoding, strconv.Itoa(step), fmt.Sprint(rate), strconv.Itoa(count), "camvid_cam")
}

var fieldRe = regexp.MustCompile(`(?m)^\s*(secs|nsecs|frame_id|height|width|encoding|step|data): (.*)$`)

func fields(s string) map[string]string {
	out := map[string]string{}
	for _, m := range fieldRe.FindAllStringSubmatch(s, -1) {
		if _, ok := out[m[1]]; !ok {
			out[m[1]] = strings.Trim(strings.TrimSpace(m[2]), `"`)
		}
	}
	return out
}

func TestNodePublishesOutputsWithInputHeader(t *testing.T) {
	rostest.Require(t)
	m := rostest.StartMaster(t, 0)
	node := startNode(t, m, "image:=/camera/image_raw")
	want := map[string][3]string{
		"/osr/labels":        {"mono8", "480", ""},
		"/osr/outlier_score": {"32FC1", "1920", ""},
		"/osr/outlier_mask":  {"mono8", "480", ""},
		"/osr/overlay":       {"rgb8", "1440", ""},
	}
	echoes := map[string]*rostest.Proc{}
	for topic := range want {
		echoes[topic] = m.Start("rostopic", "echo", "-n", "1", "--noarr", topic)
	}
	info := m.Start("rostopic", "echo", "-n", "1", "/osr/label_info")
	// The overlay in full and as JPEG, to compare.
	overlay := m.Start("rostopic", "echo", "-n", "1", "/osr/overlay")
	jpg := m.Start("rostopic", "echo", "-n", "1", "/osr/overlay/compressed")
	time.Sleep(2500 * time.Millisecond) // the node sees new subscribers within its 1 s watchdog
	pub := publishRaw(m, "/camera/image_raw", frameFile(t), 4, 20, "rgb8", 1440)
	for topic, w := range want {
		e := echoes[topic]
		if err := e.Wait(30 * time.Second); err != nil {
			t.Fatalf("rostopic echo %s: %v\n%s\nnode:\n%s\npublisher:\n%s", topic, err, e.Output(), node.Output(), pub.Output())
		}
		f := fields(e.Output())
		if f["frame_id"] != "camvid_cam" || f["secs"] != "1000" {
			t.Errorf("%s: header not copied from the input: %v", topic, f)
		}
		if f["height"] != "360" || f["width"] != "480" || f["encoding"] != w[0] || f["step"] != w[1] {
			t.Errorf("%s: got %v, want 480x360 %s with step %s", topic, f, w[0], w[1])
		}
		step, _ := strconv.Atoi(w[1])
		if !strings.Contains(f["data"], fmt.Sprintf("length: %d", step*360)) {
			t.Errorf("%s: data %q, want %d bytes", topic, f["data"], step*360)
		}
	}
	checkCompressedOverlay(t, overlay, jpg)
	if err := info.Wait(10 * time.Second); err != nil || !strings.Contains(info.Output(), "classes:") || !strings.Contains(info.Output(), "sky") {
		t.Errorf("label_info (latched) not received: %v\n%s", err, info.Output())
	}
	// SIGTERM stops the node cleanly.
	node.Signal(syscall.SIGTERM)
	if err := node.Wait(10 * time.Second); err != nil {
		t.Errorf("node did not exit cleanly on SIGTERM: %v\n%s", err, node.Output())
	}
	if !strings.Contains(node.Output(), "node stopped") {
		t.Errorf("no clean-shutdown message:\n%s", node.Output())
	}
}

// echoedBytes parses rostopic echo's uint8[] data: [1, 2, ...].
func echoedBytes(t *testing.T, out string) []byte {
	t.Helper()
	m := regexp.MustCompile(`(?m)^data: \[([0-9, ]*)\]$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no data in rostopic echo output:\n%.1000s", out)
	}
	var b []byte
	for _, v := range strings.Split(m[1], ", ") {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("data: %v", err)
		}
		b = append(b, byte(n))
	}
	return b
}

// checkCompressedOverlay: rostopic echo -n 1 /osr/overlay/compressed got a
// JPEG, with the camera's header, that decodes to the overlay.
func checkCompressedOverlay(t *testing.T, overlay, jpg *rostest.Proc) {
	t.Helper()
	for _, e := range []*rostest.Proc{overlay, jpg} {
		if err := e.Wait(30 * time.Second); err != nil {
			t.Fatalf("rostopic echo: %v\n%.1000s", err, e.Output())
		}
	}
	f := fields(jpg.Output())
	if f["frame_id"] != "camvid_cam" || f["secs"] != "1000" || !strings.Contains(jpg.Output(), "format: \"rgb8; jpeg compressed bgr8\"") {
		t.Errorf("/osr/overlay/compressed: header or format wrong: %v\n%.300s", f, jpg.Output())
	}
	data := echoedBytes(t, jpg.Output())
	im, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("/osr/overlay/compressed (%d bytes) is no JPEG: %v", len(data), err)
	}
	raw := echoedBytes(t, overlay.Output())
	if b := im.Bounds(); b.Dx() != 480 || b.Dy() != 360 || len(raw) != 3*480*360 {
		t.Fatalf("JPEG %v and raw overlay of %d bytes, want 480x360 rgb8", b, len(raw))
	}
	var diff float64
	for y := range 360 {
		for x := range 480 {
			r, g, b, _ := im.At(x, y).RGBA()
			px := raw[3*(y*480+x):]
			diff += math.Abs(float64(r>>8)-float64(px[0])) + math.Abs(float64(g>>8)-float64(px[1])) + math.Abs(float64(b>>8)-float64(px[2]))
		}
	}
	diff /= float64(len(raw))
	if diff > 6 {
		t.Errorf("the JPEG differs from the raw overlay by %.2f per value, want JPEG loss only (<= 6)", diff)
	}
	t.Logf("/osr/overlay/compressed: %d bytes against %d raw, mean difference %.2f", len(data), len(raw), diff)
}

var kvRe = regexp.MustCompile(`key: "?([a-z_0-9]+)"?\s+value: "?([^"\n]*)"?`)

// lastDiagnostics parses the key/values of the last diagnostics message
// in rostopic echo output.
func lastDiagnostics(s string) map[string]string {
	all := allDiagnostics(s)
	if len(all) == 0 {
		return nil
	}
	return all[len(all)-1]
}

func TestNodeDropsStaleFramesWhenFlooded(t *testing.T) {
	rostest.Require(t)
	m := rostest.StartMaster(t, 0)
	node := startNode(t, m, "image:=/camera/image_raw")
	diag := m.Start("rostopic", "echo", "/diagnostics")
	labels := m.Start("rostopic", "hz", "/osr/labels")
	time.Sleep(2 * time.Second)
	// 200 Hz, far above inference, and paced so that a loaded machine still
	// delivers most frames (the publisher keeps one in its queue).
	pub := publishRaw(m, "/camera/image_raw", frameFile(t), 200, 400, "rgb8", 1440)
	if err := pub.Wait(120 * time.Second); err != nil {
		t.Fatalf("publisher: %v\n%s", err, pub.Output())
	}
	time.Sleep(2500 * time.Millisecond)
	kv := lastDiagnostics(diag.Output())
	if kv == nil {
		t.Fatalf("no diagnostics received:\n%s\nnode:\n%s", diag.Output(), node.Output())
	}
	in, _ := strconv.Atoi(kv["frames_in"])
	out, _ := strconv.Atoi(kv["frames_out"])
	dropped, _ := strconv.Atoi(kv["frames_dropped"])
	// The worst period's latency while flooded.
	var p95, mean, inRate, outRate float64
	for _, d := range allDiagnostics(diag.Output()) {
		if v, _ := strconv.ParseFloat(d["latency_p95_ms"], 64); v > p95 {
			p95 = v
			mean, _ = strconv.ParseFloat(d["latency_mean_ms"], 64)
			inRate, _ = strconv.ParseFloat(d["input_rate_hz"], 64)
			outRate, _ = strconv.ParseFloat(d["output_rate_hz"], 64)
		}
	}
	t.Logf("flood: frames in %d, out %d, dropped %d; worst second: input %.1f Hz, output %.1f Hz, latency mean %.1f ms, p95 %.1f ms; provider %s; rostopic hz of labels:\n%s",
		in, out, dropped, inRate, outRate, mean, p95, kv["execution_provider"], lastLines(labels.Output(), 5))
	if in < 100 {
		t.Fatalf("only %d of 400 frames arrived", in)
	}
	if dropped == 0 || out+dropped > in || out == 0 {
		t.Fatalf("want drops counted when input outpaces inference: in %d out %d dropped %d", in, out, dropped)
	}
	if !strings.Contains(node.Output(), "falling behind") {
		t.Errorf("no rate-limited falling-behind warning:\n%s", node.Output())
	}
	if strings.Count(node.Output(), "falling behind") > 3 {
		t.Errorf("falling-behind warning is not rate limited:\n%s", node.Output())
	}
	// Latency stays bounded: the slot holds one frame, so a frame waits for
	// at most one inference before its own.
	maxP95 := 1000.0
	if p95 <= 0 || p95 > maxP95 {
		t.Errorf("latency p95 %.1f ms, want in (0, %.0f]", p95, maxP95)
	}
}

func allDiagnostics(s string) []map[string]string {
	var out []map[string]string
	for _, msg := range strings.Split(s, "---") {
		kv := map[string]string{}
		for _, m := range kvRe.FindAllStringSubmatch(msg, -1) {
			kv[m[1]] = m[2]
		}
		if len(kv) > 0 {
			out = append(out, kv)
		}
	}
	return out
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func TestNodeSkipsBadFramesAndKeepsServing(t *testing.T) {
	rostest.Require(t)
	m := rostest.StartMaster(t, 0)
	node := startNode(t, m, "image:=/camera/image_raw")
	file := frameFile(t)
	if err := publishRaw(m, "/camera/image_raw", file, 10, 2, "rgb8", 100).Wait(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	if err := publishRaw(m, "/camera/image_raw", file, 10, 2, "bayer_rggb8", 1440).Wait(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	if !node.WaitOutput("step 100 is less than width 480", 5*time.Second) || !node.WaitOutput(`unknown encoding \"bayer_rggb8\"`, 5*time.Second) {
		t.Fatalf("bad frames not reported:\n%s", node.Output())
	}
	echo := m.Start("rostopic", "echo", "-n", "1", "--noarr", "/osr/labels")
	time.Sleep(2500 * time.Millisecond)
	pub := publishRaw(m, "/camera/image_raw", file, 4, 20, "rgb8", 1440)
	if err := echo.Wait(30 * time.Second); err != nil {
		t.Fatalf("node stopped serving after bad frames: %v\n%s\n%s", err, node.Output(), pub.Output())
	}
	diag := m.Start("rostopic", "echo", "-n", "1", "/diagnostics")
	if err := diag.Wait(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	kv := lastDiagnostics(diag.Output())
	if bad, _ := strconv.Atoi(kv["bad_frames"]); bad < 3 {
		t.Errorf("diagnostics count %q bad frames, want >= 3 (rospy may drop one of each pair)", kv["bad_frames"])
	}

	// A truncated JPEG on a compressed topic.
	node2 := startNode(t, m, "__name:=osr_compressed", "image:=/camera/image_raw/compressed")
	data, _ := os.ReadFile(frame)
	trunc := filepath.Join(t.TempDir(), "trunc.jpg")
	os.WriteFile(trunc, data[:len(data)/2], 0o644)
	cp := m.Start("/usr/bin/python3", "../../testdata/ros1/pub_image.py", "/camera/image_raw/compressed", "compressed", trunc, "jpeg", "10", "2", "cam")
	if err := cp.Wait(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	if !node2.WaitOutput("jpeg", 5*time.Second) || !node2.WaitOutput("frame skipped", time.Second) {
		t.Fatalf("truncated JPEG not reported:\n%s", node2.Output())
	}
	if node.Exited() || node2.Exited() {
		t.Fatal("a node exited on bad input")
	}
}

func TestNodeReregistersAfterMasterRestart(t *testing.T) {
	rostest.Require(t)
	m := rostest.StartMaster(t, 0)
	node := startNode(t, m, "image:=/camera/image_raw")
	started, startup := m.Restart()
	for {
		out := node.Output()
		if i := strings.Index(out, "lost the ROS master"); i >= 0 && strings.Contains(out[i:], "registered with the ROS master") {
			break
		}
		if time.Since(started) > startup+5*time.Second {
			t.Fatalf("node not registered 5 s after the restarted master answered:\n%s", node.Output())
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("roscore took %.2f s to start; the node re-registered %.2f s after roscore was started",
		startup.Seconds(), time.Since(started).Seconds())
	echo := m.Start("rostopic", "echo", "-n", "1", "--noarr", "/osr/labels")
	time.Sleep(2500 * time.Millisecond)
	pub := publishRaw(m, "/camera/image_raw", frameFile(t), 4, 20, "rgb8", 1440)
	if err := echo.Wait(30 * time.Second); err != nil {
		t.Fatalf("not serving after the restart: %v\n%s\n%s", err, node.Output(), pub.Output())
	}
}

// launchPackage lays the osr package out as the checkout does, in a
// temporary directory, with the test's binary as bin/osr, so that
// roslaunch runs that one and the checkout's bin/osr is left alone. It
// returns the directory for ROS_PACKAGE_PATH.
func launchPackage(t *testing.T) string {
	t.Helper()
	root, _ := filepath.Abs("../..")
	dir := t.TempDir()
	pkg := filepath.Join(dir, "osr")
	if err := os.MkdirAll(filepath.Join(pkg, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"package.xml", "launch", "config", "models", "node_modules"} {
		if err := os.Symlink(filepath.Join(root, f), filepath.Join(pkg, f)); err != nil {
			t.Fatal(err)
		}
	}
	// A copy, not a link: osr finds node_modules beside its executable.
	bin, err := os.ReadFile(osr.Path(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pkg, "bin", "osr"), bin, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestRoslaunchStartsTheNode(t *testing.T) {
	roslaunchOverlay(t, "image:=/camera/image_raw", "/camera/image_raw", "/osr/overlay")
}

// roslaunchOverlay starts osr_node.ros1.launch with arg, publishes frames
// on image and returns rostopic echo's first message on overlay, then
// stops roslaunch with SIGINT, an error when it does not shut down.
func roslaunchOverlay(t *testing.T, arg, image, overlay string) string {
	t.Helper()
	rostest.Require(t)
	if _, err := exec.LookPath("roslaunch"); err != nil {
		t.Skip("roslaunch not found")
	}
	m := rostest.StartMaster(t, 0)
	launch := m.StartEnv([]string{"ROS_PACKAGE_PATH=" + launchPackage(t)}, "roslaunch", "osr", "osr_node.ros1.launch", arg)
	if !launch.WaitOutput("registered with the ROS master", 60*time.Second) {
		t.Fatalf("roslaunch did not start the node:\n%s", launch.Output())
	}
	echo := m.Start("rostopic", "echo", "-n", "1", "--noarr", overlay)
	time.Sleep(2500 * time.Millisecond)
	publishRaw(m, image, frameFile(t), 4, 20, "rgb8", 1440)
	if err := echo.Wait(30 * time.Second); err != nil {
		t.Fatalf("no %s from the launched node: %v\n%s", overlay, err, launch.Output())
	}
	launch.Signal(syscall.SIGINT)
	if err := launch.Wait(15 * time.Second); err != nil && !launch.Exited() {
		t.Errorf("roslaunch did not shut down on SIGINT")
	}
	return echo.Output()
}

func TestNodeFollowsSimTime(t *testing.T) {
	rostest.Require(t)
	m := rostest.StartMaster(t, 0)
	set := exec.Command("rosparam", "set", "/use_sim_time", "true")
	set.Env = m.Env()
	if out, err := set.CombinedOutput(); err != nil {
		t.Fatalf("rosparam: %v %s", err, out)
	}
	clock := m.Start("rostopic", "pub", "-r", "20", "/clock", "rosgraph_msgs/Clock", "clock: {secs: 5000, nsecs: 0}")
	node := startNode(t, m, "image:=/camera/image_raw")
	diag := m.Start("rostopic", "echo", "-n", "2", "/diagnostics/header/stamp")
	if err := diag.Wait(20 * time.Second); err != nil {
		t.Fatalf("diagnostics: %v\n%s\n%s\n%s", err, diag.Output(), node.Output(), clock.Output())
	}
	if !strings.Contains(diag.Output(), "secs: 5000") {
		t.Fatalf("diagnostics not stamped with /clock time (5000 s):\n%s", diag.Output())
	}
}

// A dataset bag played by real rosbag reaches the node frame by frame, and
// a real rosbag record of the drive evaluates like the dataset itself.
func TestBagPlayRecordAndEvaluate(t *testing.T) {
	rostest.Require(t)
	if _, err := exec.LookPath("rosbag"); err != nil {
		t.Skip("rosbag not installed (python3-rosbag)")
	}
	dir := t.TempDir()
	played := filepath.Join(dir, "mini.bag")
	recorded := filepath.Join(dir, "recorded.bag")
	run := func(args ...string) string {
		out, err := exec.Command(osr.Path(t), args...).CombinedOutput()
		if err != nil {
			t.Fatalf("osr %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	run("bag", "from-dataset", "--data", "../../testdata/camvid-mini", "--split", "test", "--rate", "2", "--out", played)
	m := rostest.StartMaster(t, 0)
	node := startNode(t, m, "image:=/camera/image_raw")
	rec := m.Start("rosbag", "record", "-O", recorded, "/camera/image_raw", "/camera/labels", "/dataset_info", "/osr/labels", "/osr/outlier_mask")
	// rosbag record creates NAME.active once it runs.
	for start := time.Now(); ; time.Sleep(100 * time.Millisecond) {
		if _, err := os.Stat(recorded + ".active"); err == nil {
			break
		}
		if time.Since(start) > 30*time.Second {
			t.Fatalf("rosbag record did not start:\n%s", rec.Output())
		}
	}
	time.Sleep(2500 * time.Millisecond) // the node sees the recorder within its 1 s watchdog
	// -d: wait after advertising, so that subscribers connect before the first frame.
	play := m.Start("rosbag", "play", "-d", "2", played)
	if err := play.Wait(60 * time.Second); err != nil {
		t.Fatalf("rosbag play: %v\n%s", err, play.Output())
	}
	diag := m.Start("rostopic", "echo", "-n", "1", "/diagnostics")
	if err := diag.Wait(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	kv := lastDiagnostics(diag.Output())
	if kv["frames_in"] != "4" || kv["frames_out"] != "4" || kv["frames_dropped"] != "0" {
		t.Fatalf("node saw %s frames in, %s out, %s dropped; want all 4 played frames:\n%s", kv["frames_in"], kv["frames_out"], kv["frames_dropped"], node.Output())
	}
	time.Sleep(time.Second)
	rec.Signal(syscall.SIGINT)
	if err := rec.Wait(20 * time.Second); err != nil && !rec.Exited() {
		t.Fatalf("rosbag record did not stop: %v", err)
	}
	info, err := exec.Command("rosbag", "info", recorded).CombinedOutput()
	if err != nil {
		t.Fatalf("rosbag info: %v\n%s", err, info)
	}
	for _, topic := range []string{"/camera/image_raw", "/camera/labels", "/osr/labels", "/osr/outlier_mask"} {
		if !regexp.MustCompile(regexp.QuoteMeta(topic) + `\s+4 msgs`).Match(info) {
			t.Errorf("recorded bag lacks 4 messages on %s:\n%s", topic, info)
		}
	}
	bagOut, dataOut := filepath.Join(dir, "bag-eval"), filepath.Join(dir, "eval")
	run("bag", "eval", recorded, "--model", model, "--label-topic", "/camera/labels", "--protocol", "camvid-ood", "--out", bagOut)
	run("eval", "--model", model, "--data", "../../testdata/camvid-mini", "--split", "test", "--protocol", "camvid-ood", "--out", dataOut)
	a, b := readReport(t, bagOut), readReport(t, dataOut)
	for _, k := range []string{"miou", "ap", "fpr95", "auroc", "ap_per_image", "outlier_pixels", "images"} {
		if fmt.Sprint(a[k]) != fmt.Sprint(b[k]) {
			t.Errorf("%s: recorded bag %v, dataset %v", k, a[k], b[k])
		}
	}
	t.Logf("recorded bag and dataset agree: AP %v, mIoU %v over %v images", a["ap"], a["miou"], a["images"])
}

func readReport(t *testing.T, dir string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
