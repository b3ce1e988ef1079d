package msgs

import (
	"testing"

	"github.com/bluenviron/goroslib/v2/pkg/msgproc"
	"github.com/bluenviron/goroslib/v2/pkg/msgs/vision_msgs"
)

// The ROS 1 objects message has the MD5 sums of the real noetic package,
// or no ROS 1 subscriber built against vision_msgs would connect. The
// values are those of code generated from vision_msgs 0.0.2 (noetic):
// jros1messages' Detection2DArrayMessage.java (md5sum
// "402071f61477de256df9f1aa45e6e4c8"), and rosserial's and genlisp's
// Detection2D (getMD5() "9e11092151fa150724a255fbac727f3b") and
// ObjectHypothesisWithPose ("fa1ab3bc7146f53921fa142d631d02db").
func TestROS1DetectionsMD5MatchesNoetic(t *testing.T) {
	for _, c := range []struct {
		msg  any
		name string
		md5  string
	}{
		{ROS1Detection2DArray{}, "vision_msgs/Detection2DArray", "402071f61477de256df9f1aa45e6e4c8"},
		{vision_msgs.Detection2D{}, "vision_msgs/Detection2D", "9e11092151fa150724a255fbac727f3b"},
		{vision_msgs.ObjectHypothesisWithPose{}, "vision_msgs/ObjectHypothesisWithPose", "fa1ab3bc7146f53921fa142d631d02db"},
	} {
		sum, err := msgproc.MD5(c.msg)
		if err != nil {
			t.Fatal(err)
		}
		typ, err := msgproc.Type(c.msg)
		if err != nil {
			t.Fatal(err)
		}
		if sum != c.md5 || typ != c.name {
			t.Errorf("%s: md5 %s, want noetic's %s (%s)", typ, sum, c.md5, c.name)
		}
	}
}

func TestToROS1Detections(t *testing.T) {
	m := testDetections()
	r := ToROS1Detections(m, 10)
	if r.Header != m.Header || len(r.Detections) != 2 {
		t.Fatalf("got %+v, want the header and two detections", r)
	}
	d := r.Detections[0]
	if d.Header != m.Header || d.Bbox.Center.X != 10.5 || d.Bbox.Center.Y != 20 || d.Bbox.SizeX != 7 || d.Bbox.SizeY != 9 {
		t.Errorf("detection %+v: want the header and the box centred at (10.5, 20), 7 x 9", d)
	}
	if len(d.Results) != 1 || d.Results[0].Id != 10 || d.Results[0].Score != 0.75 ||
		d.Results[0].Pose.Pose.Orientation.W != 1 || d.Results[0].Pose.Covariance[35] != 2.5 {
		t.Errorf("hypotheses %+v: want one, class 10, score 0.75, the identity pose and its covariance", d.Results)
	}
	if len(r.Detections[1].Results) != 0 {
		t.Errorf("a detection without hypotheses got %+v", r.Detections[1].Results)
	}
}
