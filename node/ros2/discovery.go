package ros2

import (
	"fmt"
	"os"
	"strings"
)

// Discovery settings as rmw_cyclonedds applies them. Jazzy and later
// (rcl's discovery options): ROS_AUTOMATIC_DISCOVERY_RANGE (OFF,
// LOCALHOST, SUBNET, the default, or SYSTEM_DEFAULT) and ROS_STATIC_PEERS
// (';'-separated addresses); ROS_LOCALHOST_ONLY=1 stands for LOCALHOST when
// the range is unset. Humble: ROS_LOCALHOST_ONLY=1 pins Cyclone to the
// loopback interface. The generated configuration comes first, then the
// user's (ros2.cyclonedds_config, else $CYCLONEDDS_URI), whose settings win.

// DiscoveryConfig is the Cyclone DDS configuration rmw_cyclonedds would
// create the domain with for distro, reading the environment through env,
// with the user's configuration after it; notes are what rmw would warn.
func DiscoveryConfig(distro string, env func(string) string, user string) (cfg string, notes []string, err error) {
	if user == "" {
		user = env("CYCLONEDDS_URI")
	}
	join := func(generated string) string {
		if user == "" {
			return generated
		}
		if generated == "" {
			return user
		}
		return generated + "," + user
	}
	localhostOnly := strings.TrimSpace(env("ROS_LOCALHOST_ONLY")) == "1"
	if distro == "humble" {
		if localhostOnly {
			return join(`<CycloneDDS><Domain><General><Interfaces><NetworkInterface address="127.0.0.1"/></Interfaces></General></Domain></CycloneDDS>`), nil, nil
		}
		return join(""), nil, nil
	}
	rng := strings.ToUpper(strings.TrimSpace(env("ROS_AUTOMATIC_DISCOVERY_RANGE")))
	if rng == "" {
		rng = "SUBNET"
		if localhostOnly {
			rng = "LOCALHOST"
			notes = append(notes, "ROS_LOCALHOST_ONLY is deprecated since Jazzy: use ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST")
		}
	}
	var peers []string
	for _, p := range strings.Split(env("ROS_STATIC_PEERS"), ";") {
		if p = strings.TrimSpace(p); p != "" {
			peers = append(peers, p)
		}
	}
	var b strings.Builder
	b.WriteString("<CycloneDDS><Domain>")
	localhostPeer := false
	switch rng {
	case "SYSTEM_DEFAULT":
		if len(peers) > 0 {
			notes = append(notes, fmt.Sprintf("%d static peers were specified, but discovery is set to use the RMW implementation default, so these static peers will be ignored", len(peers)))
		}
		return join(""), notes, nil
	case "OFF":
		// No multicast, no unicast ports to find, and a tag of its own.
		b.WriteString("<General><AllowMulticast>false</AllowMulticast></General>")
		b.WriteString("<Discovery><ParticipantIndex>none</ParticipantIndex>")
		fmt.Fprintf(&b, "<Tag>ros_discovery_off_%d</Tag>", os.Getpid())
		if len(peers) > 0 {
			notes = append(notes, fmt.Sprintf("%d static peers were specified, but discovery is turned off, so these static peers will be ignored", len(peers)))
			peers = nil
		}
	case "LOCALHOST":
		b.WriteString("<General><AllowMulticast>false</AllowMulticast></General>")
		b.WriteString("<Discovery><ParticipantIndex>auto</ParticipantIndex><MaxAutoParticipantIndex>32</MaxAutoParticipantIndex>")
		localhostPeer = true
	case "SUBNET":
		b.WriteString("<Discovery><ParticipantIndex>auto</ParticipantIndex><MaxAutoParticipantIndex>32</MaxAutoParticipantIndex>")
	default:
		return "", nil, fmt.Errorf("ROS_AUTOMATIC_DISCOVERY_RANGE=%q: want OFF, LOCALHOST, SUBNET or SYSTEM_DEFAULT", env("ROS_AUTOMATIC_DISCOVERY_RANGE"))
	}
	if localhostPeer || len(peers) > 0 {
		b.WriteString("<Peers>")
		if localhostPeer {
			b.WriteString(`<Peer address="localhost"/>`)
		}
		for _, p := range peers {
			if strings.ContainsAny(p, `<>"&`) {
				return "", nil, fmt.Errorf("ROS_STATIC_PEERS: %q is not an address", p)
			}
			fmt.Fprintf(&b, `<Peer address="%s"/>`, p)
		}
		b.WriteString("</Peers>")
	}
	b.WriteString("</Discovery></Domain></CycloneDDS>")
	return join(b.String()), notes, nil
}
