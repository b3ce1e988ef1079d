// Package msgs owns the ROS messages osr reads and writes: the message
// types (shared by the ROS 1 and ROS 2 transports), the conversions between
// sensor_msgs images in every common encoding and the engine's RGB frames,
// the output images, and the label-info message. A frame that cannot be
// converted is rejected with a BadFrameError that says why.
package msgs
