package msgs

import (
	"github.com/bluenviron/goroslib/v2/pkg/msgs/geometry_msgs"
	"github.com/bluenviron/goroslib/v2/pkg/msgs/vision_msgs"
)

// ROS1Detection2DArray is vision_msgs/Detection2DArray as ROS 1 (noetic,
// vision_msgs 0.0.2) defines it; goroslib generated it from the noetic
// branch. Its hypotheses carry an int64 class id and its detections no
// track id.
type ROS1Detection2DArray = vision_msgs.Detection2DArray

// ToROS1Detections converts m to the ROS 1 message. The class of every
// hypothesis becomes classID (ROS 1's ids are numbers, not "unknown");
// the track ids are dropped, the noetic message has no field for them.
func ToROS1Detections(m *Detection2DArray, classID int64) *ROS1Detection2DArray {
	out := &ROS1Detection2DArray{Header: m.Header, Detections: make([]vision_msgs.Detection2D, 0, len(m.Detections))}
	for _, d := range m.Detections {
		r1 := vision_msgs.Detection2D{
			Header:  d.Header,
			Results: make([]vision_msgs.ObjectHypothesisWithPose, 0, len(d.Results)),
			Bbox: vision_msgs.BoundingBox2D{
				Center: geometry_msgs.Pose2D{X: d.BBox.CenterX, Y: d.BBox.CenterY, Theta: d.BBox.Theta},
				SizeX:  d.BBox.SizeX, SizeY: d.BBox.SizeY,
			},
		}
		for _, h := range d.Results {
			p := h.Pose
			var pose geometry_msgs.PoseWithCovariance
			pose.Pose.Position = geometry_msgs.Point{X: p.Position[0], Y: p.Position[1], Z: p.Position[2]}
			pose.Pose.Orientation = geometry_msgs.Quaternion{X: p.Orientation[0], Y: p.Orientation[1], Z: p.Orientation[2], W: p.Orientation[3]}
			pose.Covariance = p.Covariance
			r1.Results = append(r1.Results, vision_msgs.ObjectHypothesisWithPose{Id: classID, Score: h.Score, Pose: pose})
		}
		out.Detections = append(out.Detections, r1)
	}
	return out
}
