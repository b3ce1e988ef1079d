//go:build ros2

package ros2

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"osr/internal/ros2test"
	"osr/internal/rostest"
)

// Four camera topics into one ROS 2 node, named by the cameras parameter
// (a list, as a launch file gives it) and remapped with -r: rclpy
// subscribers get every camera's outputs under its name, each with its
// own camera's header; /diagnostics has a status per camera and the
// engine's; ros2 param get shows the cameras.
func TestJazzyFourCameras(t *testing.T) {
	g := ros2test.NewGraph(t)
	cams := []string{"front", "rear", "left", "right"}
	args := []string{"--ros-args", "-p", "cameras:=[" + strings.Join(cams, ", ") + "]"}
	for _, c := range cams {
		args = append(args, "-r", fmt.Sprintf("%s/image:=/%s/image_raw", c, c))
	}
	n := startJazzyNode(t, g, args...)
	var outputs []string
	for _, c := range cams {
		outputs = append(outputs, "/osr/"+c+"/labels", "/osr/"+c+"/outlier_mask", "/osr/"+c+"/overlay")
	}
	l := g.Start("/usr/bin/python3", append([]string{"../../testdata/ros2/listen.py", t.TempDir()}, outputs...)...)
	if !l.WaitOutput("subscribed", 30*time.Second) {
		t.Fatalf("listener did not start:\n%s", l.Output())
	}
	file := frameRGB(t)
	var pubs []*rostest.Proc
	for _, c := range cams {
		pubs = append(pubs, g.Start("/usr/bin/python3", "../../testdata/ros2/camera.py", "/"+c+"/image_raw", "raw", file,
			"480", "360", "sensor", "5", "1000", c+"_optical"))
	}
	defer func() {
		for _, p := range pubs {
			p.Signal(syscall.SIGINT)
		}
	}()
	if err := l.Wait(90 * time.Second); err != nil {
		t.Fatalf("listener: %v\n%s\nnode:\n%s", err, l.Output(), n.Output())
	}
	got := listenedByTopic(t, l.Output())
	for _, topic := range outputs {
		cam := strings.Split(topic, "/")[2]
		m, ok := got[topic]
		switch {
		case !ok:
			t.Errorf("%s: nothing received", topic)
		case m.FrameID != cam+"_optical" || m.Sec < 1000 || m.Nanosec != 500 || m.Width != 480 || m.Height != 360:
			t.Errorf("%s: %+v, want camera %s's header (frame %s_optical) at 480x360", topic, m, cam, cam)
		}
	}
	// Each camera has the one-camera node's outputs, under its name.
	list := ros2(t, g, "topic", "list", "-t")
	for _, c := range cams {
		for _, out := range []string{"labels [sensor_msgs/msg/Image]", "outlier_score [sensor_msgs/msg/Image]",
			"overlay/compressed [sensor_msgs/msg/CompressedImage]", "outlier_mask/compressed [sensor_msgs/msg/CompressedImage]",
			"outlier_objects [vision_msgs/msg/Detection2DArray]"} {
			if !strings.Contains(list, "/osr/"+c+"/"+out) {
				t.Errorf("ros2 topic list lacks /osr/%s/%s:\n%s", c, out, list)
			}
		}
	}
	if strings.Contains(list, "/osr/labels ") || !strings.Contains(list, "/osr/label_info ") {
		t.Errorf("want the node's label_info and no one-camera outputs:\n%s", list)
	}
	diag := ros2(t, g, "topic", "echo", "--once", "--full-length", "/diagnostics")
	for _, c := range cams {
		if !strings.Contains(diag, "name: 'osr: camera "+c+"'") {
			t.Errorf("/diagnostics has no status for camera %s:\n%.3000s", c, diag)
		}
	}
	if !strings.Contains(diag, "name: 'osr: engine'") || !strings.Contains(diag, "key: batch_mean") {
		t.Errorf("/diagnostics has no engine status:\n%.3000s", diag)
	}
	if out := ros2(t, g, "param", "get", "/osr", "cameras"); !strings.Contains(out, "front,rear,left,right") {
		t.Errorf("ros2 param get /osr cameras: %s", out)
	}
}
