package ros1_test

import (
	"testing"
	"time"

	"osr/internal/rostest"
)

// A camera publisher that dies in the middle of a message (header and
// half an image sent, then the socket closed, never unregistered) leaves
// the node running, and the next publisher on the topic is served.
func TestNodeSurvivesPublisherGoneMidMessage(t *testing.T) {
	rostest.Require(t)
	m := rostest.StartMaster(t, 0)
	node := startNode(t, m, "image:=/camera/image_raw")
	cut := m.Start("/usr/bin/python3", "../../testdata/ros1/cut_publisher.py", "/camera/image_raw")
	if err := cut.Wait(30 * time.Second); err != nil || !cut.WaitOutput("cut after", time.Second) {
		t.Fatalf("the cut publisher did not reach the node: %v\n%s\n%s", err, cut.Output(), node.Output())
	}
	time.Sleep(time.Second)
	if node.Exited() {
		t.Fatalf("node exited after a publisher vanished mid-message:\n%s", node.Output())
	}
	echo := m.Start("rostopic", "echo", "-n", "1", "--noarr", "/osr/labels")
	time.Sleep(2500 * time.Millisecond)
	pub := publishRaw(m, "/camera/image_raw", frameFile(t), 4, 20, "rgb8", 1440)
	if err := echo.Wait(30 * time.Second); err != nil {
		t.Fatalf("not serving after the cut publisher: %v\n%s\n%s", err, node.Output(), pub.Output())
	}
	if f := fields(echo.Output()); f["frame_id"] != "camvid_cam" {
		t.Errorf("labels %v", f)
	}
	t.Logf("node output:\n%s", node.Output())
}
