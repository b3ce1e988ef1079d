//go:build !ros2

package ros1_test

var buildTags []string
