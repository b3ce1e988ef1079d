//go:build ros2

package ros1_test

// Tests built with -tags ros2 run osr with the ROS 2 transport too.
var buildTags = []string{"ros2"}
