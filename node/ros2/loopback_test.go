//go:build ros2

package ros2

import (
	"fmt"
	"math/rand/v2"
	"testing"
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

// loopbackConfig: participant indices make the well-known unicast ports
// predictable, so that peers on 127.0.0.1 find each other without multicast.
const loopbackConfig = `<CycloneDDS><Domain Id="any">
<General><Interfaces><NetworkInterface name="lo"/></Interfaces><AllowMulticast>false</AllowMulticast></General>
<Discovery><ParticipantIndex>auto</ParticipantIndex><MaxAutoParticipantIndex>30</MaxAutoParticipantIndex>
<Peers><Peer address="127.0.0.1"/></Peers></Discovery>
</Domain></CycloneDDS>`
