package msgs

import "fmt"

// ROS2Detection2DArray is the ROS 2 type of the outlier objects.
const ROS2Detection2DArray = "vision_msgs/msg/Detection2DArray"

// Detection2DArray is vision_msgs/msg/Detection2DArray (vision_msgs 4, as
// in Jazzy): one frame's detections.
type Detection2DArray struct {
	Header     Header
	Detections []Detection2D
}

// Detection2D is vision_msgs/msg/Detection2D.
type Detection2D struct {
	Header  Header
	Results []ObjectHypothesisWithPose
	BBox    BoundingBox2D
	ID      string
}

// ObjectHypothesisWithPose is vision_msgs/msg/ObjectHypothesisWithPose, its
// hypothesis (vision_msgs/msg/ObjectHypothesis) inlined.
type ObjectHypothesisWithPose struct {
	ClassID string
	Score   float64
	Pose    PoseWithCovariance
}

// PoseWithCovariance is geometry_msgs/msg/PoseWithCovariance: position
// x, y, z, orientation x, y, z, w, and the row-major 6x6 covariance.
type PoseWithCovariance struct {
	Position    [3]float64
	Orientation [4]float64
	Covariance  [36]float64
}

// BoundingBox2D is vision_msgs/msg/BoundingBox2D: the centre
// (vision_msgs/msg/Pose2D) and the size, in pixels.
type BoundingBox2D struct {
	CenterX, CenterY, Theta float64
	SizeX, SizeY            float64
}

// EncodeDetection2DArrayCDR serialises a vision_msgs/msg/Detection2DArray.
func EncodeDetection2DArrayCDR(m *Detection2DArray) []byte {
	w := cdrWriter{b: append([]byte(nil), cdrHeader...)}
	w.header(m.Header)
	w.u32(uint32(len(m.Detections)))
	for _, d := range m.Detections {
		w.header(d.Header)
		w.u32(uint32(len(d.Results)))
		for _, r := range d.Results {
			w.str(r.ClassID)
			w.f64(r.Score)
			for _, v := range r.Pose.Position {
				w.f64(v)
			}
			for _, v := range r.Pose.Orientation {
				w.f64(v)
			}
			for _, v := range r.Pose.Covariance {
				w.f64(v)
			}
		}
		for _, v := range []float64{d.BBox.CenterX, d.BBox.CenterY, d.BBox.Theta, d.BBox.SizeX, d.BBox.SizeY} {
			w.f64(v)
		}
		w.str(d.ID)
	}
	return w.b
}

// DecodeDetection2DArrayCDR parses a vision_msgs/msg/Detection2DArray.
func DecodeDetection2DArrayCDR(data []byte) (*Detection2DArray, error) {
	r, err := newCDRReader(data)
	if err != nil {
		return nil, err
	}
	m := &Detection2DArray{Header: r.header()}
	// A detection is at least a header (4+4+5), a count, a box (5 float64)
	// and an id (5); a result a class id (5) and 44 float64.
	for range r.count(13+4+40+5, "detections") {
		d := Detection2D{Header: r.header()}
		for range r.count(5+44*8, "results") {
			h := ObjectHypothesisWithPose{ClassID: r.str(), Score: r.f64()}
			for i := range h.Pose.Position {
				h.Pose.Position[i] = r.f64()
			}
			for i := range h.Pose.Orientation {
				h.Pose.Orientation[i] = r.f64()
			}
			for i := range h.Pose.Covariance {
				h.Pose.Covariance[i] = r.f64()
			}
			d.Results = append(d.Results, h)
		}
		b := &d.BBox
		b.CenterX, b.CenterY, b.Theta, b.SizeX, b.SizeY = r.f64(), r.f64(), r.f64(), r.f64(), r.f64()
		d.ID = r.str()
		m.Detections = append(m.Detections, d)
	}
	if r.err != nil {
		return nil, fmt.Errorf("%s: %w", ROS2Detection2DArray, r.err)
	}
	return m, nil
}
