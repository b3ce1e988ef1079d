//go:build ros2

package ros2

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"osr/internal/ros2test"
	"osr/internal/rostest"
	"osr/model"
	"osr/msgs"
)

// These tests run osr's node against the real ROS 2 Jazzy from
// ../shared/ros2 (rclpy, the ros2 command line, ros2 launch). They skip
// where /opt/ros/jazzy is missing.

// startJazzyNode runs bin/osr (with -tags ros2) as a ROS 2 node in g's
// domain, with extra command-line arguments.
func startJazzyNode(t *testing.T, g *ros2test.Graph, args ...string) *rostest.Proc {
	t.Helper()
	args = append([]string{"node", "--transport", "ros2", "--model", "../../models/camvid-so", "--threads", "1"}, args...)
	n := g.Start(buildOsr(t), args...)
	if !n.WaitOutput("joined the DDS domain", 30*time.Second) {
		t.Fatalf("osr node did not start:\n%s", n.Output())
	}
	return n
}

// ros2 runs the ros2 command line and fails the test if it fails or
// warns about a type hash.
func ros2(t *testing.T, g *ros2test.Graph, args ...string) string {
	t.Helper()
	out, err := g.ROS2(args...)
	if err != nil {
		t.Fatalf("ros2 %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	if strings.Contains(out, "Failed to parse type hash") {
		t.Errorf("ros2 %s warns about a type hash:\n%s", strings.Join(args, " "), out)
	}
	return out
}

// ros2 node list/info, topic list -t and topic info -v see the node as
// they see an rclcpp node: its endpoints with their types and QoS, and on
// each endpoint the type hash that the installed type support has.
func TestJazzyGraphTools(t *testing.T) {
	g := ros2test.NewGraph(t)
	startJazzyNode(t, g, "--ros-args", "-r", "image:=/camera/image_raw")
	spin := []string{"--no-daemon", "--spin-time", "3"}

	if out := ros2(t, g, append([]string{"node", "list"}, spin...)...); !contains(ros2test.Lines(out), "/osr") {
		t.Errorf("ros2 node list lacks /osr:\n%s", out)
	}
	info := ros2(t, g, append([]string{"node", "info", "/osr"}, spin...)...)
	for _, want := range []string{
		"Subscribers:\n    /camera/image_raw: sensor_msgs/msg/Image",
		"/osr/labels: sensor_msgs/msg/Image", "/osr/outlier_score: sensor_msgs/msg/Image",
		"/osr/outlier_mask: sensor_msgs/msg/Image", "/osr/overlay: sensor_msgs/msg/Image",
		"/osr/label_info: vision_msgs/msg/LabelInfo", "/diagnostics: diagnostic_msgs/msg/DiagnosticArray",
		"/osr/outlier_objects: vision_msgs/msg/Detection2DArray",
	} {
		if !strings.Contains(info, want) {
			t.Errorf("ros2 node info /osr lacks %q:\n%s", want, info)
		}
	}
	topics := ros2test.Lines(ros2(t, g, append([]string{"topic", "list", "-t"}, spin...)...))
	for _, want := range []string{"/osr/labels [sensor_msgs/msg/Image]", "/osr/label_info [vision_msgs/msg/LabelInfo]",
		"/camera/image_raw [sensor_msgs/msg/Image]", "/diagnostics [diagnostic_msgs/msg/DiagnosticArray]"} {
		if !contains(topics, want) {
			t.Errorf("ros2 topic list -t lacks %q:\n%s", want, strings.Join(topics, "\n"))
		}
	}

	in, err := msgs.LoadInterfaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ topic, typ, kind, reliability, durability string }{
		{"/osr/labels", msgs.ROS2Image, "PUBLISHER", "RELIABLE", "VOLATILE"},
		{"/osr/label_info", msgs.ROS2LabelInfo, "PUBLISHER", "RELIABLE", "TRANSIENT_LOCAL"},
		{"/osr/outlier_objects", msgs.ROS2Detection2DArray, "PUBLISHER", "RELIABLE", "VOLATILE"},
		{"/camera/image_raw", msgs.ROS2Image, "SUBSCRIPTION", "BEST_EFFORT", "VOLATILE"},
	} {
		out := ros2(t, g, "topic", "info", "-v", c.topic, "--no-daemon")
		hash, err := in.Hash(c.typ)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"Node name: osr", "Topic type: " + c.typ, "Topic type hash: " + hash,
			"Endpoint type: " + c.kind, "Reliability: " + c.reliability, "Durability: " + c.durability} {
			if !strings.Contains(out, want) {
				t.Errorf("ros2 topic info -v %s lacks %q:\n%s", c.topic, want, out)
			}
		}
	}

	// label_info is transient-local: a late echo gets it, with the classes.
	echo := ros2(t, g, "topic", "echo", "--once", "--no-daemon", "/osr/label_info")
	pkg, err := model.Load("../../models/camvid-so")
	if err != nil {
		t.Fatal(err)
	}
	threshold := "threshold: " + strconv.FormatFloat(float64(pkg.Spec.Scoring.Threshold), 'f', -1, 32)
	for _, want := range []string{"class_name: road", "class_name: unknown", threshold} {
		if !strings.Contains(echo, want) {
			t.Errorf("ros2 topic echo --once /osr/label_info lacks %q:\n%s", want, echo)
		}
	}
	// What ros2 interface show says LabelInfo holds is what osr sends.
	iface := ros2(t, g, "interface", "show", msgs.ROS2LabelInfo)
	fields := regexp.MustCompile(`(?m)^(\S+)\s+(\w+)\s*$`).FindAllStringSubmatch(iface, -1)
	var got []string
	for _, f := range fields {
		got = append(got, f[1]+" "+f[2])
	}
	if want := []string{"std_msgs/Header header", "vision_msgs/VisionClass[] class_map", "float32 threshold"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("ros2 interface show %s: top-level fields %q, osr encodes %q", msgs.ROS2LabelInfo, got, want)
	}
}

// grayPNG reads an 8-bit gray PNG's pixels.
func grayPNG(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	im, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	g, ok := im.(*image.Gray)
	if !ok {
		t.Fatalf("%s: %T, want 8-bit gray", path, im)
	}
	return g.Pix
}

// listened is one line of testdata/ros2/listen.py.
type listened struct {
	Topic, Encoding string
	FrameID         string `json:"frame_id"`
	Sec             int32
	Nanosec         uint32
	Width, Height   uint32
}

// listenedByTopic is the last message listen.py printed for each topic.
func listenedByTopic(t *testing.T, out string) map[string]listened {
	t.Helper()
	got := map[string]listened{}
	for _, line := range ros2test.Lines(out) {
		if strings.HasPrefix(line, "{") {
			var m listened
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatal(err)
			}
			got[m.Topic] = m
		}
	}
	return got
}

// An rclpy camera (sensor-data QoS sending Image, then reliable QoS
// sending CompressedImage) and rclpy subscribers: labels, score, mask and
// overlay come back with the camera's stamp and frame_id, and labels and
// mask are what osr infer makes of the same frame. ros2 topic hz measures
// the labels' rate meanwhile.
func TestJazzyRclpyCameraAndSubscribers(t *testing.T) {
	g := ros2test.NewGraph(t)
	const jpeg = "../../demo/camvid/0001TP_008640.jpg"
	inferDir := t.TempDir()
	if out, err := exec.Command(buildOsr(t), "infer", "--model", "../../models/camvid-so", "--threads", "1",
		jpeg, "--out", inferDir).CombinedOutput(); err != nil {
		t.Fatalf("osr infer: %v\n%s", err, out)
	}
	wantLabels := grayPNG(t, filepath.Join(inferDir, "0001TP_008640_labels.png"))
	wantMask := grayPNG(t, filepath.Join(inferDir, "0001TP_008640_mask.png"))

	n := startJazzyNode(t, g, "--ros-args", "-r", "image:=/camera/image_raw")
	outputs := []string{"/osr/labels", "/osr/outlier_score", "/osr/outlier_mask", "/osr/overlay"}
	for _, c := range []struct{ kind, file, qos string }{
		{"raw", frameRGB(t), "sensor"},
		{"compressed", jpeg, "reliable"},
	} {
		t.Run(c.kind+"_"+c.qos, func(t *testing.T) {
			dir := t.TempDir()
			l := g.Start("/usr/bin/python3", append([]string{"../../testdata/ros2/listen.py", dir}, outputs...)...)
			if !l.WaitOutput("subscribed", 30*time.Second) {
				t.Fatalf("listener did not start:\n%s", l.Output())
			}
			cam := g.Start("/usr/bin/python3", "../../testdata/ros2/camera.py", "/camera/image_raw", c.kind, c.file, "480", "360", c.qos, "5", "1000")
			var hz *rostest.Proc
			if c.kind == "raw" {
				hz = g.Start("ros2", "topic", "hz", "/osr/labels")
			}
			if err := l.Wait(60 * time.Second); err != nil {
				t.Fatalf("listener: %v\n%s\ncamera:\n%s", err, l.Output(), cam.Output())
			}
			got := listenedByTopic(t, l.Output())
			enc := map[string]string{"/osr/labels": "mono8", "/osr/outlier_score": "32FC1", "/osr/outlier_mask": "mono8", "/osr/overlay": "rgb8"}
			for _, topic := range outputs {
				m, ok := got[topic]
				switch {
				case !ok:
					t.Errorf("%s: nothing received", topic)
				case m.FrameID != "camvid_camera" || m.Sec < 1000 || m.Nanosec != 500:
					t.Errorf("%s: header %+v, want the camera's (frame camvid_camera, stamp 1000+i s 500 ns)", topic, m)
				case m.Encoding != enc[topic] || m.Width != 480 || m.Height != 360:
					t.Errorf("%s: %s %dx%d, want %s 480x360", topic, m.Encoding, m.Width, m.Height, enc[topic])
				}
			}
			for name, want := range map[string][]byte{"labels": wantLabels, "outlier_mask": wantMask} {
				data, err := os.ReadFile(filepath.Join(dir, name+".bin"))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(data, want) {
					t.Errorf("%s differs from osr infer's on the same frame", name)
				}
			}
			if hz != nil {
				if !hz.WaitOutput("average rate:", 20*time.Second) {
					t.Errorf("ros2 topic hz /osr/labels printed no rate:\n%s", hz.Output())
				}
				hz.Signal(syscall.SIGINT)
				t.Logf("ros2 topic hz /osr/labels (camera at 5 Hz):\n%s", hz.Output())
			}
			cam.Signal(syscall.SIGINT)
			if c.kind == "compressed" && !strings.Contains(n.Output(), "now carries compressed images") {
				t.Errorf("the node did not switch to compressed input:\n%s", n.Output())
			}
		})
	}
}

// colcon build of the checkout as a ROS 2 package, then ros2 launch: of
// the installed package (an rclpy camera's frames come back as labels
// with the camera's header, and the threshold argument reaches
// label_info), from an including file that pushes a namespace, and by path.
func TestJazzyColconBuildAndLaunch(t *testing.T) {
	g := ros2test.NewGraph(t)
	root, _ := filepath.Abs("../..")
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not on PATH")
	}
	ws := t.TempDir()
	build := g.Start("bash", "-c", `cd "$1" && PATH="$PATH:$3" colcon build --paths "$2"`, "bash", ws, root, filepath.Dir(gobin))
	if err := build.Wait(5 * time.Minute); err != nil {
		t.Fatalf("colcon build: %v\n%s", err, build.Output())
	}
	g.Source(filepath.Join(ws, "install/setup.bash"))

	launch := func(args ...string) *rostest.Proc {
		t.Helper()
		l := g.Start("ros2", append([]string{"launch"}, args...)...)
		if !l.WaitOutput("joined the DDS domain", 60*time.Second) {
			t.Fatalf("ros2 launch %s: the node did not start:\n%s", strings.Join(args, " "), l.Output())
		}
		return l
	}
	stop := func(l *rostest.Proc) {
		t.Helper()
		l.Signal(syscall.SIGINT)
		if err := l.Wait(20 * time.Second); err != nil || !strings.Contains(l.Output(), "process has finished cleanly") {
			t.Errorf("ros2 launch did not stop cleanly on SIGINT (%v):\n%s", err, l.Output())
		}
	}
	nodes := func() []string {
		t.Helper()
		return ros2test.Lines(ros2(t, g, "node", "list", "--no-daemon", "--spin-time", "3"))
	}

	l := launch("osr", "osr_node.launch", "image:=/camera/image_raw", "threshold:=0.5")
	if got := nodes(); !contains(got, "/osr") {
		t.Errorf("ros2 node list after ros2 launch osr osr_node.launch: %q, want /osr", got)
	}
	if echo := ros2(t, g, "topic", "echo", "--once", "--no-daemon", "/osr/label_info"); !strings.Contains(echo, "threshold: 0.5") {
		t.Errorf("threshold:=0.5 does not reach label_info:\n%s", echo)
	}
	dir := t.TempDir()
	lis := g.Start("/usr/bin/python3", "../../testdata/ros2/listen.py", dir, "/osr/labels")
	if !lis.WaitOutput("subscribed", 30*time.Second) {
		t.Fatalf("listener did not start:\n%s", lis.Output())
	}
	cam := g.Start("/usr/bin/python3", "../../testdata/ros2/camera.py", "/camera/image_raw", "raw", frameRGB(t), "480", "360", "sensor", "5", "1000")
	if err := lis.Wait(60 * time.Second); err != nil {
		t.Fatalf("listener got no labels: %v\n%s\nlaunch:\n%s", err, lis.Output(), l.Output())
	}
	if out := lis.Output(); !strings.Contains(out, `"frame_id": "camvid_camera"`) || !strings.Contains(out, `"nanosec": 500`) {
		t.Errorf("labels lack the camera's header:\n%s", out)
	}
	cam.Signal(syscall.SIGINT)
	stop(l)

	// The namespace argument defaults to empty, so a pushed one applies.
	include := filepath.Join(t.TempDir(), "robot1.launch.xml")
	if err := os.WriteFile(include, []byte(`<launch><group>
  <push_ros_namespace namespace="robot1"/>
  <include file="$(find-pkg-share osr)/launch/osr_node.launch"/>
</group></launch>`), 0o644); err != nil {
		t.Fatal(err)
	}
	l = launch(include)
	if got := nodes(); !contains(got, "/robot1/osr") {
		t.Errorf("ros2 node list with <push_ros_namespace namespace=\"robot1\"/>: %q, want /robot1/osr", got)
	}
	if !strings.Contains(l.Output(), "/robot1/osr/labels") {
		t.Errorf("outputs not under /robot1/osr:\n%s", l.Output())
	}
	stop(l)

	l = launch(filepath.Join(root, "launch/osr_node.launch"), "node_name:=by_path")
	if got := nodes(); !contains(got, "/by_path") {
		t.Errorf("ros2 node list after ros2 launch launch/osr_node.launch: %q, want /by_path", got)
	}
	stop(l)
}

// count255 counts a mask's outlier pixels.
func count255(mask []byte) int {
	n := 0
	for _, v := range mask {
		if v == 255 {
			n++
		}
	}
	return n
}

// ROS 2 parameters with the real ros2 param: -p and --params-file at
// start, list/get/describe/dump, a live threshold change that the next
// mask and label_info follow, a refused value, a load, and the events on
// /parameter_events.
func TestJazzyParameters(t *testing.T) {
	g := ros2test.NewGraph(t)
	params := filepath.Join(t.TempDir(), "params.yaml")
	if err := os.WriteFile(params, []byte("/**:\n  ros__parameters:\n    overlay_alpha: 0.25\n/osr:\n  ros__parameters:\n    temperature: 1.5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	const jpeg = "../../demo/camvid/0001TP_008640.jpg"
	inferDir := t.TempDir()
	if out, err := exec.Command(buildOsr(t), "infer", "--model", "../../models/camvid-so", "--threads", "1", "--threshold", "0.99",
		jpeg, "--out", inferDir).CombinedOutput(); err != nil {
		t.Fatalf("osr infer: %v\n%s", err, out)
	}
	want99 := grayPNG(t, filepath.Join(inferDir, "0001TP_008640_mask.png"))

	startJazzyNode(t, g, "--ros-args", "-r", "image:=/camera/image_raw", "-p", "threshold:=0.3", "--params-file", params)
	get := func(name string) string {
		t.Helper()
		return strings.TrimSpace(ros2(t, g, "param", "get", "/osr", name, "--no-daemon"))
	}
	for name, want := range map[string]string{"threshold": "Double value is: 0.3", "overlay_alpha": "Double value is: 0.25",
		"temperature": "Double value is: 1.5", "use_sim_time": "Boolean value is: False"} {
		if got := get(name); got != want {
			t.Errorf("ros2 param get /osr %s: %q, want %q", name, got, want)
		}
	}
	list := ros2test.Lines(ros2(t, g, "param", "list", "/osr", "--no-daemon"))
	for _, want := range []string{"threshold", "temperature", "score", "open_set", "overlay_alpha", "lazy", "device", "model", "input", "image_reliability", "use_sim_time"} {
		if !contains(list, want) {
			t.Errorf("ros2 param list /osr lacks %s:\n%s", want, strings.Join(list, "\n"))
		}
	}
	desc := ros2(t, g, "param", "describe", "/osr", "threshold", "device", "--no-daemon")
	for _, want := range []string{"Type: double", "Min value: -1.0", "Max value: 1.0", "Type: string", "Read only: true"} {
		if !strings.Contains(desc, want) {
			t.Errorf("ros2 param describe lacks %q:\n%s", want, desc)
		}
	}

	// The mask before and after a live change, from an rclpy camera.
	cam := g.Start("/usr/bin/python3", "../../testdata/ros2/camera.py", "/camera/image_raw", "raw", frameRGB(t), "480", "360", "sensor", "5", "100000")
	mask := func() []byte {
		t.Helper()
		dir := t.TempDir()
		l := g.Start("/usr/bin/python3", "../../testdata/ros2/listen.py", dir, "/osr/outlier_mask")
		if err := l.Wait(60 * time.Second); err != nil {
			t.Fatalf("no mask: %v\n%s\ncamera:\n%s", err, l.Output(), cam.Output())
		}
		data, err := os.ReadFile(filepath.Join(dir, "outlier_mask.bin"))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	before := mask()
	events := g.Start("ros2", "topic", "echo", "--no-daemon", "/parameter_events")
	if out := ros2(t, g, "param", "set", "/osr", "threshold", "0.99", "--no-daemon"); !strings.Contains(out, "Set parameter successful") {
		t.Fatalf("ros2 param set /osr threshold 0.99:\n%s", out)
	}
	after := mask()
	t.Logf("outlier pixels: %d at threshold 0.3, %d at 0.99", count255(before), count255(after))
	if count255(after) >= count255(before) {
		t.Errorf("threshold 0.99 gave %d outlier pixels, 0.3 gave %d: want fewer", count255(after), count255(before))
	}
	if !bytes.Equal(after, want99) {
		t.Errorf("the mask at threshold 0.99 differs from osr infer --threshold 0.99's")
	}
	if got := get("threshold"); got != "Double value is: 0.99" {
		t.Errorf("ros2 param get /osr threshold after the set: %q", got)
	}
	out, _ := g.ROS2("param", "set", "/osr", "threshold", "7", "--no-daemon")
	if !strings.Contains(out, "Setting parameter failed") || !strings.Contains(out, "out of range") {
		t.Errorf("ros2 param set /osr threshold 7 was not refused with a reason:\n%s", out)
	}
	if got := get("threshold"); got != "Double value is: 0.99" {
		t.Errorf("a refused set changed threshold: %q", got)
	}
	if echo := ros2(t, g, "topic", "echo", "--once", "--no-daemon", "/osr/label_info"); !strings.Contains(echo, "threshold: 0.99") {
		t.Errorf("label_info does not show the new threshold:\n%s", echo)
	}
	if !events.WaitOutput("name: threshold", 20*time.Second) || !strings.Contains(events.Output(), "node: /osr") {
		t.Errorf("/parameter_events shows no change of threshold by /osr:\n%s", events.Output())
	}

	dump := ros2(t, g, "param", "dump", "/osr", "--no-daemon")
	for _, want := range []string{"/osr:", "ros__parameters:", "threshold: 0.99", "overlay_alpha: 0.25", "device: cpu"} {
		if !strings.Contains(dump, want) {
			t.Errorf("ros2 param dump /osr lacks %q:\n%s", want, dump)
		}
	}
	load := filepath.Join(t.TempDir(), "load.yaml")
	if err := os.WriteFile(load, []byte("/osr:\n  ros__parameters:\n    open_set: false\n    lazy: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := ros2(t, g, "param", "load", "/osr", load, "--no-daemon"); strings.Count(out, "successful") != 2 {
		t.Errorf("ros2 param load:\n%s", out)
	}
	if got := get("open_set"); got != "Boolean value is: False" {
		t.Errorf("open_set after ros2 param load: %q", got)
	}
	cam.Signal(syscall.SIGINT)
}

// Log lines reach /rosout as rcl_interfaces/msg/Log under the node's
// name; rcl arguments osr has no use for do not stop it; with
// use_sim_time the stamps the node makes follow a real /clock publisher.
func TestJazzyRosoutAndSimTime(t *testing.T) {
	g := ros2test.NewGraph(t)
	n := startJazzyNode(t, g, "--ros-args", "-r", "image:=/camera/image_raw", "-p", "use_sim_time:=true",
		"--enclave", "/osr_enclave", "--log-file-name", "osr_log", "--disable-stdout-logs")
	// /rosout is transient local, as rcl's: a late reader that asks for it
	// gets the node's first lines.
	rosout := ros2(t, g, "topic", "echo", "--once", "--no-daemon", "--qos-durability", "transient_local", "--qos-reliability", "reliable", "/rosout")
	for _, want := range []string{"level: 20", "name: osr", "msg: joined the DDS domain as a ROS 2 node", "function: osr/node/ros2.(*Transport).Run"} {
		if !strings.Contains(rosout, want) {
			t.Errorf("ros2 topic echo /rosout lacks %q:\n%s", want, rosout)
		}
	}
	clock := g.Start("ros2", "topic", "pub", "-r", "5", "/clock", "rosgraph_msgs/msg/Clock", "{clock: {sec: 4242, nanosec: 7}}")
	if !n.WaitOutput("use_sim_time: following /clock", 30*time.Second) {
		t.Fatalf("the node does not follow /clock:\n%s\nclock publisher:\n%s", n.Output(), clock.Output())
	}
	sim := "stamp:\n    sec: 4242\n    nanosec: 7"
	if d := ros2(t, g, "topic", "echo", "--once", "--no-daemon", "/diagnostics"); !strings.Contains(d, sim) {
		t.Errorf("/diagnostics not stamped with /clock's time:\n%s", d)
	}
	ros2(t, g, "param", "set", "/osr", "threshold", "0.9", "--no-daemon")
	if li := ros2(t, g, "topic", "echo", "--once", "--no-daemon", "/osr/label_info"); !strings.Contains(li, sim) || !strings.Contains(li, "threshold: 0.89999") {
		t.Errorf("label_info re-published after a set is not stamped with /clock's time:\n%s", li)
	}
	clock.Signal(syscall.SIGINT)
}

// --ros-args --log-level warn: info lines go neither to stderr nor to
// /rosout; warnings go to both.
func TestJazzyLogLevel(t *testing.T) {
	g := ros2test.NewGraph(t)
	n := g.Start(buildOsr(t), "node", "--transport", "ros2", "--model", "../../models/camvid-so", "--threads", "1",
		"--ros-args", "--log-level", "warn")
	deadline := time.Now().Add(30 * time.Second)
	for !contains(ros2test.Lines(ros2(t, g, "node", "list", "--no-daemon", "--spin-time", "2")), "/osr") {
		if time.Now().After(deadline) || n.Exited() {
			t.Fatalf("the node did not come up:\n%s", n.Output())
		}
	}
	out, _ := g.ROS2("param", "set", "/osr", "threshold", "7", "--no-daemon")
	if !strings.Contains(out, "Setting parameter failed") {
		t.Fatalf("ros2 param set /osr threshold 7: %s", out)
	}
	rosout := ros2(t, g, "topic", "echo", "--once", "--no-daemon", "/rosout")
	if !strings.Contains(rosout, "level: 30") || !strings.Contains(rosout, "parameter change refused reason=threshold: 7 is out of range") {
		t.Errorf("the first /rosout line at --log-level warn is not the warning:\n%s", rosout)
	}
	if strings.Contains(n.Output(), "level=INFO") || !strings.Contains(n.Output(), "level=WARN") {
		t.Errorf("stderr at --log-level warn:\n%s", n.Output())
	}
}

// ROS_AUTOMATIC_DISCOVERY_RANGE as rmw_cyclonedds applies it: a node at
// LOCALHOST is found by ros2 node list at LOCALHOST; one at OFF is not.
func TestJazzyDiscoveryRange(t *testing.T) {
	g := ros2test.NewGraph(t)
	start := func(rng, name string) {
		t.Helper()
		n := g.StartEnv([]string{"CYCLONEDDS_URI=", "ROS_AUTOMATIC_DISCOVERY_RANGE=" + rng}, buildOsr(t), "node", "--transport", "ros2",
			"--model", "../../models/camvid-so", "--threads", "1", "--ros-args", "-r", "__node:="+name)
		if !n.WaitOutput("joined the DDS domain", 30*time.Second) {
			t.Fatalf("osr node at %s did not start:\n%s", rng, n.Output())
		}
	}
	start("LOCALHOST", "near")
	start("OFF", "hermit")
	out, err := g.RunEnv([]string{"CYCLONEDDS_URI=", "ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST"}, "ros2", "node", "list", "--no-daemon", "--spin-time", "3")
	if err != nil {
		t.Fatalf("ros2 node list: %v\n%s", err, out)
	}
	nodes := ros2test.Lines(out)
	if !contains(nodes, "/near") || contains(nodes, "/hermit") {
		t.Errorf("ros2 node list at LOCALHOST: %q, want /near and not /hermit (discovery OFF)", nodes)
	}
}

// rclcppCamera builds testdata/ros2/rclcpp_camera with colcon, once per
// source version, in the user cache directory, and returns its executable.
func rclcppCamera(t *testing.T, g *ros2test.Graph) string {
	t.Helper()
	src, _ := filepath.Abs("../../testdata/ros2/rclcpp_camera")
	h := sha256.New()
	for _, f := range []string{"package.xml", "CMakeLists.txt", "camera.cpp"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		h.Write(b)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = t.TempDir()
	}
	ws := filepath.Join(cache, "osr-test", "rclcpp-camera-"+hex.EncodeToString(h.Sum(nil))[:12])
	bin := filepath.Join(ws, "install/osr_test_camera/lib/osr_test_camera/camera")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	tmp := ws + fmt.Sprintf(".%d", os.Getpid())
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	out, err := g.Run("bash", "-c", `cd "$1" && colcon build --paths "$2" --cmake-args -DCMAKE_BUILD_TYPE=Release`, "bash", tmp, src)
	if err != nil {
		t.Fatalf("colcon build of the rclcpp camera: %v\n%s", err, out)
	}
	os.RemoveAll(ws)
	if err := os.Rename(tmp, ws); err != nil {
		t.Fatal(err)
	}
	return bin
}

// An rclcpp camera at sensor-data QoS and at reliable QoS: the labels come
// back with its header and equal osr infer's on the same frame.
func TestJazzyRclcppCamera(t *testing.T) {
	g := ros2test.NewGraph(t)
	cam := rclcppCamera(t, g)
	inferDir := t.TempDir()
	if out, err := exec.Command(buildOsr(t), "infer", "--model", "../../models/camvid-so", "--threads", "1",
		"../../demo/camvid/0001TP_008640.jpg", "--out", inferDir).CombinedOutput(); err != nil {
		t.Fatalf("osr infer: %v\n%s", err, out)
	}
	want := grayPNG(t, filepath.Join(inferDir, "0001TP_008640_labels.png"))
	startJazzyNode(t, g, "--ros-args", "-r", "image:=/camera/image_raw")
	frame := frameRGB(t)
	for _, qos := range []string{"sensor", "reliable"} {
		dir := t.TempDir()
		l := g.Start("/usr/bin/python3", "../../testdata/ros2/listen.py", dir, "/osr/labels")
		if !l.WaitOutput("subscribed", 30*time.Second) {
			t.Fatalf("listener did not start:\n%s", l.Output())
		}
		c := g.Start(cam, "/camera/image_raw", frame, "480", "360", qos, "5")
		if err := l.Wait(60 * time.Second); err != nil {
			t.Fatalf("%s: no labels: %v\n%s\ncamera:\n%s", qos, err, l.Output(), c.Output())
		}
		if out := l.Output(); !strings.Contains(out, `"frame_id": "rclcpp_camera"`) || !strings.Contains(out, `"nanosec": 900`) {
			t.Errorf("%s: labels lack the rclcpp camera's header:\n%s", qos, out)
		}
		if data, err := os.ReadFile(filepath.Join(dir, "labels.bin")); err != nil || !bytes.Equal(data, want) {
			t.Errorf("%s: labels differ from osr infer's (%v)", qos, err)
		}
		c.Signal(syscall.SIGINT)
		c.Wait(10 * time.Second)
	}
}
