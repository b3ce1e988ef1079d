package msgs

import (
	"fmt"
	"strings"
)

// ROS 2 type names of the messages only the ROS 2 transport carries.
const (
	ROS2Header                  = "std_msgs/msg/Header"
	ROS2DiagnosticArray         = "diagnostic_msgs/msg/DiagnosticArray"
	ROS2LabelInfo               = "vision_msgs/msg/LabelInfo"
	ROS2ParticipantEntitiesInfo = "rmw_dds_common/msg/ParticipantEntitiesInfo"
)

// DDSTypeName is the name a ROS 2 type has on DDS:
// sensor_msgs/msg/Image -> sensor_msgs::msg::dds_::Image_.
func DDSTypeName(rosType string) (string, error) {
	parts := strings.Split(rosType, "/")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return "", fmt.Errorf("ROS 2 type %q: want package/msg/Name", rosType)
	}
	return parts[0] + "::" + parts[1] + "::dds_::" + parts[2] + "_", nil
}

// VisionClass is vision_msgs/msg/VisionClass: one entry of a class map.
type VisionClass struct {
	ClassID   uint16
	ClassName string
}

// VisionLabelInfo is vision_msgs/msg/LabelInfo, the ROS 2 label info.
type VisionLabelInfo struct {
	Header    Header
	ClassMap  []VisionClass
	Threshold float32
}

// ROS2 is the label info as vision_msgs/msg/LabelInfo: the class names by
// id, the unknown id (if any) named "unknown", and the outlier threshold.
// The palette and scoring details stay in the ROS 1 YAML form.
func (l LabelInfo) ROS2(h Header) *VisionLabelInfo {
	m := &VisionLabelInfo{Header: h, Threshold: l.Threshold}
	for i, c := range l.Classes {
		m.ClassMap = append(m.ClassMap, VisionClass{ClassID: uint16(i), ClassName: c})
	}
	if l.UnknownID != nil && *l.UnknownID >= len(l.Classes) {
		m.ClassMap = append(m.ClassMap, VisionClass{ClassID: uint16(*l.UnknownID), ClassName: "unknown"})
	}
	return m
}

// Gid is an rmw_dds_common/msg/Gid: a DDS entity GUID (16 bytes), padded
// with zeros to the 24 bytes that Humble's char[24] layout carries.
type Gid [24]byte

// Gid sizes on the wire: Iron and later use uint8[16], Humble char[24].
const (
	GidSize       = 16
	GidSizeHumble = 24
)

// NodeEntitiesInfo is rmw_dds_common/msg/NodeEntitiesInfo: one node and the
// GUIDs of its readers and writers.
type NodeEntitiesInfo struct {
	Namespace, Name string
	Readers         []Gid
	Writers         []Gid
}

// ParticipantEntitiesInfo is rmw_dds_common/msg/ParticipantEntitiesInfo,
// what a ROS 2 participant publishes on ros_discovery_info so that tools
// can map DDS endpoints to nodes.
type ParticipantEntitiesInfo struct {
	Gid   Gid
	Nodes []NodeEntitiesInfo
}
