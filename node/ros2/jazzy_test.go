//go:build ros2

package ros2

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"osr/internal/ros2test"
	"osr/internal/rostest"
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
	echo := ros2(t, g, "topic", "echo", "--once", "/osr/label_info")
	for _, want := range []string{"class_name: road", "class_name: unknown", "threshold: 0.63"} {
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

func contains(lines []string, s string) bool {
	for _, l := range lines {
		if l == s {
			return true
		}
	}
	return false
}
