//go:build !ros2

package ros1_test

// buildTags are the tags the tests build osr with.
var buildTags []string
