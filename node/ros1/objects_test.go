package ros1_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"osr/dataset"
	"osr/internal/imageio"
	"osr/internal/rostest"
	"osr/node"
)

// pastedBox is the box of a pasted object's pixels (class 10) in labels.
func pastedBox(t *testing.T, labels string) node.Box {
	t.Helper()
	lab, err := dataset.ReadLabel(labels)
	if err != nil {
		t.Fatal(err)
	}
	w, h := lab.Rect.Dx(), lab.Rect.Dy()
	b := node.Box{X0: w, Y0: h}
	for i, v := range lab.Pix {
		if v == 10 {
			x, y := i%w, i/w
			b = node.Box{X0: min(b.X0, x), Y0: min(b.Y0, y), X1: max(b.X1, x+1), Y1: max(b.Y1, y+1)}
		}
	}
	if b.Area() == 0 {
		t.Fatalf("%s: no pasted pixels (class 10)", labels)
	}
	return b
}

// The CamVid frame with a pasted foreign object (osr dataset paste), sent
// by a rospy camera: ~outlier_objects reaches a rospy subscriber that has
// no vision_msgs package (it decodes with genpy from the connection's
// message definition) as vision_msgs/Detection2DArray with noetic's MD5,
// the camera's header and a box overlapping the pasted object's by
// IoU >= 0.5, classed as the labels' unknown id.
func TestNodePublishesOutlierObjects(t *testing.T) {
	rostest.Require(t)
	const frame = "../../testdata/pasted/Seq05VD_f04950.jpg"
	want := pastedBox(t, "../../testdata/pasted/Seq05VD_f04950_labels.png")
	im, err := imageio.ReadFile(frame)
	if err != nil {
		t.Fatal(err)
	}
	raw := filepath.Join(t.TempDir(), "frame.rgb")
	if err := os.WriteFile(raw, im.Pix, 0o644); err != nil {
		t.Fatal(err)
	}
	m := rostest.StartMaster(t, 0)
	nd := startNode(t, m, "image:=/camera/image_raw")
	l := m.Start("/usr/bin/python3", "../../testdata/ros1/objects.py", "/osr/outlier_objects")
	if !l.WaitOutput("subscribed", 30*time.Second) {
		t.Fatalf("listener did not start:\n%s", l.Output())
	}
	time.Sleep(2500 * time.Millisecond) // the node sees the subscriber within its 1 s watchdog
	pub := publishRaw(m, "/camera/image_raw", raw, 4, 20, "rgb8", 1440)
	if err := l.Wait(60 * time.Second); err != nil {
		t.Fatalf("listener: %v\n%s\nnode:\n%s\ncamera:\n%s", err, l.Output(), nd.Output(), pub.Output())
	}
	type header struct {
		Secs    int32
		Nsecs   uint32
		FrameID string `json:"frame_id"`
	}
	var got struct {
		Type, MD5Sum string
		GenpyMD5Sum  string `json:"genpy_md5sum"`
		Header       header
		Detections   []struct {
			Header         header
			Cx, Cy, Sx, Sy float64
			Results        []struct {
				ID    int64
				Score float64
			}
		}
	}
	for _, line := range strings.Split(l.Output(), "\n") {
		if strings.HasPrefix(line, "{") {
			if err := json.Unmarshal([]byte(line), &got); err != nil {
				t.Fatal(err)
			}
		}
	}
	const noetic = "402071f61477de256df9f1aa45e6e4c8" // msgs.TestROS1DetectionsMD5MatchesNoetic
	if got.Type != "vision_msgs/Detection2DArray" || got.MD5Sum != noetic || got.GenpyMD5Sum != noetic {
		t.Errorf("type %s, md5sum %s, genpy's from the definition %s; want vision_msgs/Detection2DArray, %s", got.Type, got.MD5Sum, got.GenpyMD5Sum, noetic)
	}
	if got.Header.FrameID != "camvid_cam" || got.Header.Secs != 1000 {
		t.Errorf("header %+v, want the camera's (frame camvid_cam, stamp 1000 s + i ms)", got.Header)
	}
	best := 0.0
	for _, d := range got.Detections {
		b := node.Box{X0: int(d.Cx - d.Sx/2), Y0: int(d.Cy - d.Sy/2), X1: int(d.Cx + d.Sx/2), Y1: int(d.Cy + d.Sy/2)}
		best = max(best, b.IoU(want))
		if d.Header != got.Header || len(d.Results) != 1 || d.Results[0].ID != 10 || !(d.Results[0].Score > 0 && d.Results[0].Score <= 1) {
			t.Errorf("detection %+v: want the frame's header and one hypothesis, id 10 (the model's unknown_id), scored in (0, 1]", d)
		}
	}
	if best < 0.5 {
		t.Errorf("best box IoU with the pasted object %+v: %.2f, want >= 0.5; detections %+v", want, best, got.Detections)
	}
	t.Logf("%d detections, best IoU with the pasted object %.2f", len(got.Detections), best)
}
