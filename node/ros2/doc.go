// Package ros2 is the ROS 2 transport of the perception node: a DDS
// participant through Eclipse Cyclone DDS (cgo, built with -tags ros2)
// that looks like a ROS 2 node. It owns the ROS 2 naming (rt/ topics,
// pkg::msg::dds_::Name_ types), the QoS of the camera reader and the
// output writers, the discovery information that makes the node visible to
// ros2 node list, and the opaque-CDR sertype that lets msgs' Go codec do
// all serialisation. Without the build tag, New reports how to build it.
package ros2
