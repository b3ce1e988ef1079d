package node

import (
	"strings"
	"testing"

	"osr/config"
)

func TestCameraNodesNameOutputsPerCamera(t *testing.T) {
	n := config.Default().Node
	one := CameraNodes(n)
	if len(one) != 1 || one[0].Name != "" || one[0].Node.ImageTopic != "image" || one[0].Node.LabelsTopic != "~labels" {
		t.Fatalf("no cameras: %+v, want the node's own topics", one)
	}
	n.Cameras = []config.Camera{{Name: "front", Image: "/front/image_raw"}, {Name: "rear", Input: "compressed"}}
	n.MaskTopic = "/osr/outlier_mask"
	n.ScoreTopic = "score"
	cams := CameraNodes(n)
	if len(cams) != 2 {
		t.Fatalf("%d cameras", len(cams))
	}
	f, r := cams[0].Node, cams[1].Node
	for _, c := range [][2]string{
		{f.ImageTopic, "/front/image_raw"}, {f.LabelsTopic, "~front/labels"}, {f.OverlayTopic, "~front/overlay"},
		{f.ObjectsTopic, "~front/outlier_objects"}, {f.MaskTopic, "/osr/front/outlier_mask"}, {f.ScoreTopic, "front/score"},
		{r.ImageTopic, "rear/image"}, {r.Input, "compressed"}, {r.LabelsTopic, "~rear/labels"},
		{f.LabelInfoTopic, "~label_info"}, {r.DiagnosticsTopic, "/diagnostics"},
	} {
		if c[0] != c[1] {
			t.Errorf("got %q, want %q", c[0], c[1])
		}
	}
	if f.Input != "auto" || len(f.Cameras) != 0 {
		t.Errorf("front: input %q, cameras %v", f.Input, f.Cameras)
	}
}

// The cameras parameter takes names, name=topic pairs and a list (a ROS 2
// params file's or -p cameras:=[...], a ROS 1 rosparam list); a camera
// named again without a topic keeps the config's.
func TestCamerasParameter(t *testing.T) {
	cfg := config.Default()
	cfg.Node.Cameras = []config.Camera{{Name: "front", Image: "/front/image_raw", Input: "compressed"}}
	s := NewSettings(cfg)
	p, ok := s.Lookup("cameras")
	if !ok {
		t.Fatal("no cameras parameter")
	}
	list, err := ParseParamValue(p, "[front, rear]")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Init(map[string]any{"cameras": list}); err != nil {
		t.Fatal(err)
	}
	got := s.Config().Node.Cameras
	if len(got) != 2 || got[0] != cfg.Node.Cameras[0] || got[1] != (config.Camera{Name: "rear"}) {
		t.Errorf("cameras %+v", got)
	}
	if v, _ := s.Get("cameras"); v != "front=/front/image_raw,rear" {
		t.Errorf("cameras reads %q", v)
	}
	if err := s.Init(map[string]any{"cameras": "left=/l/image, right"}); err != nil {
		t.Fatal(err)
	}
	if got := s.Config().Node.Cameras; len(got) != 2 || got[0].Image != "/l/image" || got[1].Name != "right" {
		t.Errorf("cameras %+v", got)
	}
	for _, bad := range []any{"a,a", "fr/ont", []any{"a", 3}} {
		if err := s.Init(map[string]any{"cameras": bad}); err == nil {
			t.Errorf("cameras %v accepted", bad)
		}
	}
	// "cameras:" with no value in a params file (ros2 launch's empty
	// argument) is no cameras.
	if err := s.Init(map[string]any{"cameras": nil}); err != nil || len(s.Config().Node.Cameras) != 0 {
		t.Errorf("cameras: nil gives %v, %+v", err, s.Config().Node.Cameras)
	}
	if err := s.Set(map[string]any{"cameras": "x"}); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("live change of cameras: %v", err)
	}
}
