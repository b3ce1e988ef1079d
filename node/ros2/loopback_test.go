//go:build ros2

package ros2

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"osr/internal/ros2test"
)

// loopbackDomain sets CYCLONEDDS_URI to a configuration that keeps the
// test's DDS traffic on the loopback interface (unicast discovery to
// 127.0.0.1, no multicast) and returns a domain id of its own, so that
// tests running at the same time do not see each other.
func loopbackDomain(t *testing.T) uint32 {
	t.Helper()
	domain := uint32(100 + rand.IntN(120))
	t.Setenv("CYCLONEDDS_URI", loopbackConfig)
	t.Setenv("ROS_DOMAIN_ID", fmt.Sprint(domain))
	return domain
}

const loopbackConfig = ros2test.Loopback
