package ros1

import (
	"sync/atomic"

	"osr/msgs"
)

// objectsSink publishes the pipeline's outlier objects as ROS 1's
// vision_msgs/Detection2DArray, whose class ids are numbers: each
// hypothesis gets the labels' unknown id (-1 when the labels mark no
// outliers).
type objectsSink struct {
	sink
	classID atomic.Int64
}

func (s *objectsSink) Publish(m any) {
	if d, ok := m.(*msgs.Detection2DArray); ok {
		s.sink.Publish(msgs.ToROS1Detections(d, s.classID.Load()))
	}
}

// setClass takes the class id from the pipeline's label info.
func (s *objectsSink) setClass(li msgs.LabelInfo) {
	id := int64(-1)
	if li.UnknownID != nil {
		id = int64(*li.UnknownID)
	}
	s.classID.Store(id)
}
