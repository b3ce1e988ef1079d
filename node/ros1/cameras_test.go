package ros1_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"osr/internal/rostest"
)

// Four camera topics into one node, named by the cameras parameter and
// remapped as ROS users remap a topic: every camera's outputs arrive under
// its own name, each with its own camera's header, and /diagnostics has a
// status per camera and the engine's.
func TestNodeFourCameras(t *testing.T) {
	rostest.Require(t)
	m := rostest.StartMaster(t, 0)
	cams := []string{"front", "rear", "left", "right"}
	args := []string{"_cameras:=" + strings.Join(cams, ",")}
	for _, c := range cams {
		args = append(args, fmt.Sprintf("%s/image:=/%s/image_raw", c, c))
	}
	node := startNode(t, m, args...)
	echoes := map[string]*rostest.Proc{}
	for _, c := range cams {
		for _, out := range []string{"labels", "outlier_mask"} {
			topic := "/osr/" + c + "/" + out
			echoes[topic] = m.Start("rostopic", "echo", "-n", "1", "--noarr", topic)
		}
	}
	// Each camera has the one-camera node's outputs, under its name.
	list := m.Start("rostopic", "list")
	if err := list.Wait(30 * time.Second); err != nil {
		t.Fatalf("rostopic list: %v\n%s", err, list.Output())
	}
	topics := " " + strings.Join(strings.Fields(list.Output()), " ") + " "
	for _, c := range cams {
		for _, out := range []string{"labels", "outlier_score", "outlier_mask", "overlay", "labels/compressed", "outlier_mask/compressed",
			"overlay/compressed", "outlier_objects"} {
			if !strings.Contains(topics, " /osr/"+c+"/"+out+" ") {
				t.Errorf("rostopic list lacks /osr/%s/%s:\n%s", c, out, list.Output())
			}
		}
	}
	if strings.Contains(topics, " /osr/labels ") || !strings.Contains(topics, " /osr/label_info ") {
		t.Errorf("want the node's label_info and no one-camera outputs:\n%s", list.Output())
	}
	diag := m.Start("rostopic", "echo", "/diagnostics")
	time.Sleep(2500 * time.Millisecond) // the node sees new subscribers within its 1 s watchdog
	file := frameFile(t)
	var pubs []*rostest.Proc
	for _, c := range cams {
		pubs = append(pubs, m.Start("/usr/bin/python3", "../../testdata/ros1/pub_image.py", "/"+c+"/image_raw", "raw", file,
			"480", "360", "rgb8", "1440", "5", "25", c+"_optical"))
	}
	for topic, e := range echoes {
		if err := e.Wait(60 * time.Second); err != nil {
			t.Fatalf("rostopic echo %s: %v\n%s\nnode:\n%s", topic, err, e.Output(), node.Output())
		}
		cam := strings.Split(topic, "/")[2]
		f := fields(e.Output())
		if f["frame_id"] != cam+"_optical" || f["secs"] != "1000" || f["width"] != "480" || f["height"] != "360" {
			t.Errorf("%s: header %v, want camera %s's (frame_id %s_optical)", topic, f, cam, cam)
		}
	}
	for _, p := range pubs {
		if err := p.Wait(60 * time.Second); err != nil {
			t.Fatalf("publisher: %v\n%s", err, p.Output())
		}
	}
	time.Sleep(1500 * time.Millisecond) // a diagnostics period after the last frame
	out := diag.Output()
	msgs := strings.Split(out, "---")
	last := ""
	for i := len(msgs) - 1; i >= 0 && last == ""; i-- {
		if strings.Contains(msgs[i], "osr: engine") {
			last = msgs[i]
		}
	}
	for _, c := range cams {
		if !strings.Contains(last, "osr: camera "+c) {
			t.Errorf("no diagnostics status for camera %s in:\n%.3000s", c, last)
		}
	}
	var in, outN int
	for _, kv := range statuses(last) {
		var i, o int
		fmt.Sscan(kv["frames_in"], &i)
		fmt.Sscan(kv["frames_out"], &o)
		in, outN = in+i, outN+o
		if kv["name"] == "osr: engine" {
			t.Logf("engine: %d inferences for %s frames, batch mean of the last period %s", atoi(kv["inferences"]), kv["frames_inferred"], kv["batch_mean"])
		}
	}
	t.Logf("four cameras at 5 Hz, 25 frames each: frames in %d, out %d", in, outN)
	if in < 4*20 || outN == 0 || outN > in {
		t.Errorf("frames in %d, out %d: want most of the 100 frames in and some out", in, outN)
	}
}

// statuses parses a DiagnosticArray from rostopic echo: per status its
// name and key/values.
func statuses(msg string) []map[string]string {
	var out []map[string]string
	for _, part := range strings.Split(msg, "level:")[1:] {
		kv := map[string]string{}
		if i := strings.Index(part, "name: \""); i >= 0 {
			kv["name"] = strings.SplitN(part[i+7:], "\"", 2)[0]
		}
		for _, m := range kvRe.FindAllStringSubmatch(part, -1) {
			kv[m[1]] = m[2]
		}
		out = append(out, kv)
	}
	return out
}

func atoi(s string) int {
	var n int
	fmt.Sscan(s, &n)
	return n
}

// roslaunch's cameras argument: two cameras with their topics, each
// camera's overlay under its name.
func TestRoslaunchCameras(t *testing.T) {
	out := roslaunchOverlay(t, "cameras:=front=/front/image_raw,rear=/rear/image_raw", "/rear/image_raw", "/osr/rear/overlay")
	if f := fields(out); f["frame_id"] != "camvid_cam" {
		t.Errorf("/osr/rear/overlay: header %v, want the rear camera's", f)
	}
}
