package node

import (
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
