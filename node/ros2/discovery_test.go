package ros2

import (
	"strings"
	"testing"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// The configuration rmw_cyclonedds builds for each discovery setting, with
// the user's after it.
func TestDiscoveryConfig(t *testing.T) {
	user := "<CycloneDDS><Domain><Tracing><Verbosity>config</Verbosity></Tracing></Domain></CycloneDDS>"
	for _, c := range []struct {
		distro string
		env    map[string]string
		want   []string // in order
		not    []string
		notes  int
	}{
		{"jazzy", nil, []string{"<ParticipantIndex>auto</ParticipantIndex><MaxAutoParticipantIndex>32</MaxAutoParticipantIndex></Discovery>"}, []string{"Peer", "AllowMulticast"}, 0},
		{"jazzy", map[string]string{"ROS_AUTOMATIC_DISCOVERY_RANGE": "LOCALHOST", "ROS_STATIC_PEERS": "10.0.0.2; robot.local"},
			[]string{"<AllowMulticast>false</AllowMulticast>", `<Peers><Peer address="localhost"/><Peer address="10.0.0.2"/><Peer address="robot.local"/></Peers>`}, nil, 0},
		{"jazzy", map[string]string{"ROS_AUTOMATIC_DISCOVERY_RANGE": "subnet", "ROS_STATIC_PEERS": "10.0.0.2"},
			[]string{`<Peers><Peer address="10.0.0.2"/></Peers>`}, []string{"localhost", "AllowMulticast"}, 0},
		{"jazzy", map[string]string{"ROS_AUTOMATIC_DISCOVERY_RANGE": "OFF", "ROS_STATIC_PEERS": "10.0.0.2"},
			[]string{"<ParticipantIndex>none</ParticipantIndex>", "<Tag>ros_discovery_off_"}, []string{"Peer"}, 1},
		{"jazzy", map[string]string{"ROS_AUTOMATIC_DISCOVERY_RANGE": "SYSTEM_DEFAULT", "ROS_STATIC_PEERS": "10.0.0.2"}, nil, []string{"Discovery"}, 1},
		{"jazzy", map[string]string{"ROS_LOCALHOST_ONLY": "1"}, []string{`<Peer address="localhost"/>`}, nil, 1},
		{"humble", map[string]string{"ROS_LOCALHOST_ONLY": "1", "ROS_AUTOMATIC_DISCOVERY_RANGE": "OFF"}, []string{`<NetworkInterface address="127.0.0.1"/>`}, []string{"Discovery"}, 0},
		{"humble", nil, nil, []string{"Interfaces", "Discovery"}, 0},
	} {
		cfg, notes, err := DiscoveryConfig(c.distro, envOf(c.env), user)
		if err != nil {
			t.Errorf("%s %v: %v", c.distro, c.env, err)
			continue
		}
		if !strings.HasSuffix(cfg, user) {
			t.Errorf("%s %v: the user's configuration is not last: %s", c.distro, c.env, cfg)
		}
		rest := cfg
		for _, w := range c.want {
			i := strings.Index(rest, w)
			if i < 0 {
				t.Errorf("%s %v: %s lacks %s (in order)", c.distro, c.env, cfg, w)
				break
			}
			rest = rest[i+len(w):]
		}
		for _, n := range c.not {
			if strings.Contains(strings.TrimSuffix(cfg, user), n) {
				t.Errorf("%s %v: %s has %s", c.distro, c.env, cfg, n)
			}
		}
		if len(notes) != c.notes {
			t.Errorf("%s %v: notes %q, want %d", c.distro, c.env, notes, c.notes)
		}
	}
	// $CYCLONEDDS_URI stands in for an empty ros2.cyclonedds_config.
	if cfg, _, _ := DiscoveryConfig("jazzy", envOf(map[string]string{"CYCLONEDDS_URI": "file:///x.xml"}), ""); !strings.HasSuffix(cfg, ",file:///x.xml") {
		t.Errorf("CYCLONEDDS_URI not appended: %s", cfg)
	}
	for _, env := range []map[string]string{{"ROS_AUTOMATIC_DISCOVERY_RANGE": "LAN"}, {"ROS_STATIC_PEERS": `a"/><x`}} {
		if _, _, err := DiscoveryConfig("jazzy", envOf(env), ""); err == nil {
			t.Errorf("%v: no error", env)
		}
	}
}
