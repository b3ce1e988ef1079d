//go:build ros2

package ros2

import (
	"bytes"
	"encoding/json"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"osr/internal/ros2test"
)

// box is a pixel rectangle, x0 and y0 inclusive, x1 and y1 exclusive.
type box struct{ x0, y0, x1, y1 float64 }

func (b box) area() float64 { return max(0, b.x1-b.x0) * max(0, b.y1-b.y0) }

func (b box) iou(o box) float64 {
	in := box{max(b.x0, o.x0), max(b.y0, o.y0), min(b.x1, o.x1), min(b.y1, o.y1)}.area()
	if in == 0 {
		return 0
	}
	return in / (b.area() + o.area() - in)
}

// pastedBox is the box of a pasted object's pixels (class 10) in labels.
func pastedBox(t *testing.T, labelsPNG string, w int) box {
	t.Helper()
	b := box{1e9, 1e9, 0, 0}
	for i, v := range grayPNG(t, labelsPNG) {
		if v == 10 {
			x, y := float64(i%w), float64(i/w)
			b = box{min(b.x0, x), min(b.y0, y), max(b.x1, x+1), max(b.y1, y+1)}
		}
	}
	if b.area() == 0 {
		t.Fatalf("%s: no pasted pixels (class 10)", labelsPNG)
	}
	return b
}

// A CamVid frame with a pasted foreign object (osr dataset paste), sent by
// an rclpy camera: an rclpy subscriber of ~outlier_objects gets a
// vision_msgs/msg/Detection2DArray with the camera's header and a box
// overlapping the pasted object's by IoU >= 0.5, hypothesis "unknown".
// From the same node, ros2 topic echo --once gets ~overlay/compressed, a
// JPEG that decodes to the overlay an rclpy subscriber gets.
func TestJazzyOutlierObjectsAndCompressed(t *testing.T) {
	g := ros2test.NewGraph(t)
	const frame = "../../testdata/pasted/Seq05VD_f04950.jpg"
	want := pastedBox(t, "../../testdata/pasted/Seq05VD_f04950_labels.png", 480)
	startJazzyNode(t, g, "--ros-args", "-r", "image:=/camera/image_raw")
	l := g.Start("/usr/bin/python3", "../../testdata/ros2/objects.py", "/osr/outlier_objects")
	if !l.WaitOutput("subscribed", 30*time.Second) {
		t.Fatalf("listener did not start:\n%s", l.Output())
	}
	dir := t.TempDir()
	raw := g.Start("/usr/bin/python3", "../../testdata/ros2/listen.py", dir, "/osr/overlay")
	if !raw.WaitOutput("subscribed", 30*time.Second) {
		t.Fatalf("overlay listener did not start:\n%s", raw.Output())
	}
	echo := g.Start("ros2", "topic", "echo", "--once", "--full-length", "--no-daemon", "/osr/overlay/compressed")
	cam := g.Start("/usr/bin/python3", "../../testdata/ros2/camera.py", "/camera/image_raw", "compressed", frame, "480", "360", "reliable", "5", "1000")
	defer cam.Signal(syscall.SIGINT)
	if err := l.Wait(60 * time.Second); err != nil {
		t.Fatalf("listener: %v\n%s\ncamera:\n%s", err, l.Output(), cam.Output())
	}
	type header struct {
		Sec     int32
		Nanosec uint32
		FrameID string `json:"frame_id"`
	}
	var got struct {
		Header     header
		Detections []struct {
			Header         header
			ID             string
			Cx, Cy, Sx, Sy float64
			Results        []struct {
				ClassID string `json:"class_id"`
				Score   float64
			}
		}
	}
	for _, line := range ros2test.Lines(l.Output()) {
		if strings.HasPrefix(line, "{") {
			if err := json.Unmarshal([]byte(line), &got); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got.Header.FrameID != "camvid_camera" || got.Header.Sec < 1000 || got.Header.Nanosec != 500 {
		t.Errorf("header %+v, want the camera's (frame camvid_camera, stamp 1000+i s 500 ns)", got.Header)
	}
	best := 0.0
	for _, d := range got.Detections {
		b := box{d.Cx - d.Sx/2, d.Cy - d.Sy/2, d.Cx + d.Sx/2, d.Cy + d.Sy/2}
		best = max(best, b.iou(want))
		if d.Header != got.Header || d.ID == "" || len(d.Results) != 1 || d.Results[0].ClassID != "unknown" || !(d.Results[0].Score > 0 && d.Results[0].Score <= 1) {
			t.Errorf("detection %+v: want the frame's header, a track id and one hypothesis \"unknown\" scored in (0, 1]", d)
		}
	}
	if best < 0.5 {
		t.Errorf("best box IoU with the pasted object %v: %.2f, want >= 0.5; detections %+v", want, best, got.Detections)
	}
	t.Logf("%d detections, best IoU with the pasted object %.2f", len(got.Detections), best)

	if err := raw.Wait(60 * time.Second); err != nil {
		t.Fatalf("overlay listener: %v\n%s", err, raw.Output())
	}
	if err := echo.Wait(60 * time.Second); err != nil {
		t.Fatalf("ros2 topic echo: %v\n%s", err, echo.Output())
	}
	out := echo.Output()
	if !strings.Contains(out, "format: rgb8; jpeg compressed bgr8") || !strings.Contains(out, "frame_id: camvid_camera") {
		t.Errorf("ros2 topic echo --once /osr/overlay/compressed: no JPEG format or camera frame_id:\n%.2000s", out)
	}
	var jpg []byte
	for _, m := range regexp.MustCompile(`(?m)^- (\d+)$`).FindAllStringSubmatch(out, -1) {
		v, _ := strconv.Atoi(m[1])
		jpg = append(jpg, byte(v))
	}
	im, err := jpeg.Decode(bytes.NewReader(jpg))
	if err != nil {
		t.Fatalf("~overlay/compressed (%d bytes) is no JPEG: %v", len(jpg), err)
	}
	rawOverlay, err := os.ReadFile(filepath.Join(dir, "overlay.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if b := im.Bounds(); b.Dx() != 480 || b.Dy() != 360 || len(rawOverlay) != 3*480*360 {
		t.Fatalf("JPEG %v and raw overlay of %d bytes, want 480x360 rgb8", b, len(rawOverlay))
	}
	var diff float64
	for y := range 360 {
		for x := range 480 {
			r, g, b, _ := im.At(x, y).RGBA()
			px := rawOverlay[3*(y*480+x):]
			diff += absDiff(r>>8, px[0]) + absDiff(g>>8, px[1]) + absDiff(b>>8, px[2])
		}
	}
	diff /= float64(len(rawOverlay))
	if diff > 6 {
		t.Errorf("the JPEG differs from the raw overlay by %.2f per value, want JPEG loss only (<= 6)", diff)
	}
	t.Logf("~overlay/compressed: %d bytes against %d raw, mean difference %.2f", len(jpg), len(rawOverlay), diff)
}

func absDiff(a uint32, b uint8) float64 { return math.Abs(float64(a) - float64(b)) }
