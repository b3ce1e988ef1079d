//go:build ros2

package ros1_test

// Tests built with -tags ros2 rebuild bin/osr with the ROS 2 transport too,
// so that running them leaves the binary setup.sh built.
var buildTags = []string{"-tags", "ros2"}
