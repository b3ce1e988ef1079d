package msgs

import (
	"bytes"
	"reflect"
	"testing"
	"time"
)

func testDetections() *Detection2DArray {
	h := Header{Stamp: time.Unix(1700000000, 500), FrameId: "cam"}
	var pose PoseWithCovariance
	pose.Orientation[3] = 1
	pose.Covariance[35] = 2.5
	return &Detection2DArray{Header: h, Detections: []Detection2D{
		{Header: h, Results: []ObjectHypothesisWithPose{{ClassID: "unknown", Score: 0.75, Pose: pose}},
			BBox: BoundingBox2D{CenterX: 10.5, CenterY: 20, SizeX: 7, SizeY: 9}, ID: "3"},
		{Header: h, ID: "4"},
	}}
}

// osr's Detection2DArray bytes are rclpy's, byte for byte, and decode back.
func TestDetection2DArrayMatchesRclpy(t *testing.T) {
	m := testDetections()
	ours := EncodeDetection2DArrayCDR(m)
	back, err := DecodeDetection2DArrayCDR(ours)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, m) {
		t.Errorf("round trip: got %+v, want %+v", back, m)
	}
	if _, err := DecodeDetection2DArrayCDR(ours[:len(ours)-3]); err == nil {
		t.Error("a truncated message decoded without an error")
	}
	theirs := rclpyCDR(t, `Detection2DArray(header=Header(stamp=Time(sec=1700000000, nanosec=500), frame_id="cam"), detections=[`+
		`Detection2D(header=Header(stamp=Time(sec=1700000000, nanosec=500), frame_id="cam"), results=[ObjectHypothesisWithPose(`+
		`hypothesis=ObjectHypothesis(class_id="unknown", score=0.75), pose=PoseWithCovariance(pose=Pose(orientation=Quaternion(x=0.0, y=0.0, z=0.0, w=1.0)), covariance=[0.0]*35+[2.5]))],`+
		`bbox=BoundingBox2D(center=Pose2D(position=Point2D(x=10.5, y=20.0)), size_x=7.0, size_y=9.0), id="3"),`+
		`Detection2D(header=Header(stamp=Time(sec=1700000000, nanosec=500), frame_id="cam"), id="4")])`)
	if !bytes.Equal(ours, theirs[0]) {
		t.Errorf("osr:   %x\nrclpy: %x", ours, theirs[0])
	}
}
