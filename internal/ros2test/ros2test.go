// Package ros2test runs the real ROS 2 (Jazzy, from ../shared/ros2) for
// osr's integration tests: the ros2 command line, rclpy scripts and
// ros2 launch, each in an environment that sources
// /opt/ros/jazzy/setup.bash and keeps DDS traffic on loopback, in a domain
// of the test's own.
package ros2test

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"osr/internal/rostest"
)

// Prefix is where ../shared/ros2/install.sh puts ROS 2.
const Prefix = "/opt/ros/jazzy"

// Require skips the test when ROS 2 is not installed.
func Require(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(Prefix, "setup.bash")); err != nil {
		t.Skipf("ROS 2 Jazzy not installed at %s: run bash ../shared/ros2/install.sh "+
			"(OSR_SETUP_ROS=1 bash scripts/setup.sh does)", Prefix)
	}
}

// Share is a file under the installed ROS 2's share directory; it skips
// the test when ROS 2 is not installed.
func Share(t testing.TB, rel string) string {
	t.Helper()
	Require(t)
	return filepath.Join(Prefix, "share", rel)
}

// Loopback is a Cyclone DDS configuration that keeps DDS traffic on the
// loopback interface: unicast discovery to 127.0.0.1, no multicast, and
// participant indices so that peers find each other's ports.
const Loopback = `<CycloneDDS><Domain Id="any">
<General><Interfaces><NetworkInterface name="lo"/></Interfaces><AllowMulticast>false</AllowMulticast></General>
<Discovery><ParticipantIndex>auto</ParticipantIndex><MaxAutoParticipantIndex>30</MaxAutoParticipantIndex>
<Peers><Peer address="127.0.0.1"/></Peers></Discovery>
</Domain></CycloneDDS>`

// Graph is one test's ROS 2 graph: a domain of its own on loopback, and
// the environment that setup.bash gives.
type Graph struct {
	t      testing.TB
	Domain int
	env    []string
}

// NewGraph sources setup.bash (skipping the test when ROS 2 is missing)
// and picks a random domain id, so that tests running at the same time on
// this machine do not see each other.
func NewGraph(t testing.TB) *Graph {
	t.Helper()
	Require(t)
	out, err := exec.Command("bash", "-c", "source "+Prefix+"/setup.bash && env -0").Output()
	if err != nil {
		t.Fatalf("source %s/setup.bash: %v", Prefix, err)
	}
	g := &Graph{t: t, Domain: 100 + rand.IntN(120)}
	g.env = g.graphEnv(out, t.TempDir())
	// A ros2 command without --no-daemon starts a daemon that outlives
	// the test.
	t.Cleanup(func() { g.Run("ros2", "daemon", "stop") })
	return g
}

// graphEnv is the environment `env -0` printed, less the discovery
// settings of the machine, plus the graph's.
func (g *Graph) graphEnv(envOutput []byte, logDir string) []string {
	var env []string
	for _, kv := range bytes.Split(envOutput, []byte{0}) {
		s := string(kv)
		k, _, ok := strings.Cut(s, "=")
		if !ok || k == "ROS_DOMAIN_ID" || k == "CYCLONEDDS_URI" || strings.HasPrefix(k, "ROS_AUTOMATIC_DISCOVERY") ||
			k == "ROS_STATIC_PEERS" || k == "ROS_LOCALHOST_ONLY" || strings.HasPrefix(k, "OSR_") ||
			k == "RMW_IMPLEMENTATION" || k == "ROS_LOG_DIR" || k == "PYTHONUNBUFFERED" {
			continue
		}
		if k == "PATH" {
			s = "PATH=" + debianPython(strings.TrimPrefix(s, "PATH="))
		}
		env = append(env, s)
	}
	return append(env, fmt.Sprintf("ROS_DOMAIN_ID=%d", g.Domain), "CYCLONEDDS_URI="+Loopback,
		"RMW_IMPLEMENTATION=rmw_cyclonedds_cpp", "ROS_LOG_DIR="+logDir, "PYTHONUNBUFFERED=1")
}

// debianPython drops pyenv's directories from PATH: this ROS 2 is built
// for Debian's python3 (3.11, with python3-catkin-pkg and numpy), which
// CMake and the ros2 scripts must find first.
func debianPython(path string) string {
	var keep []string
	for _, dir := range filepath.SplitList(path) {
		if !strings.Contains(dir, "/.pyenv/") {
			keep = append(keep, dir)
		}
	}
	return strings.Join(keep, string(filepath.ListSeparator))
}

// Source sources a workspace's setup.bash (colcon's install/setup.bash)
// on top of the graph's environment, as a user does after colcon build.
func (g *Graph) Source(setup string) {
	g.t.Helper()
	cmd := exec.Command("bash", "-c", "source \"$1\" && env -0", "bash", setup)
	cmd.Env = g.env
	out, err := cmd.Output()
	if err != nil {
		g.t.Fatalf("source %s: %v", setup, err)
	}
	g.env = g.graphEnv(out, g.t.TempDir())
}

// Env is the graph's environment with extra variables (KEY=value) added.
func (g *Graph) Env(extra ...string) []string {
	return append(append([]string(nil), g.env...), extra...)
}

// Start runs a command in the graph's environment in its own process
// group; the test's end kills it.
func (g *Graph) Start(name string, args ...string) *rostest.Proc {
	g.t.Helper()
	return rostest.StartProc(g.t, g.Env(), g.lookPath(name), args...)
}

// StartEnv is Start with extra environment variables.
func (g *Graph) StartEnv(extra []string, name string, args ...string) *rostest.Proc {
	g.t.Helper()
	return rostest.StartProc(g.t, g.Env(extra...), g.lookPath(name), args...)
}

// Run runs a command to its end and returns its combined output.
func (g *Graph) Run(name string, args ...string) (string, error) {
	return g.RunEnv(nil, name, args...)
}

// RunEnv is Run with extra environment variables.
func (g *Graph) RunEnv(extra []string, name string, args ...string) (string, error) {
	cmd := exec.Command(g.lookPath(name), args...)
	cmd.Env = g.Env(extra...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// lookPath finds a command on the PATH that setup.bash gives.
func (g *Graph) lookPath(name string) string {
	if strings.Contains(name, "/") {
		return name
	}
	for _, kv := range g.env {
		if path, ok := strings.CutPrefix(kv, "PATH="); ok {
			for _, dir := range filepath.SplitList(path) {
				p := filepath.Join(dir, name)
				if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
					return p
				}
			}
		}
	}
	return name
}

// ROS2 runs the ros2 command line (without its daemon, listening for
// spin seconds where the command takes --spin-time) and returns its
// output.
func (g *Graph) ROS2(args ...string) (string, error) {
	return g.Run("ros2", args...)
}

// Lines are the non-empty lines of s, trimmed.
func Lines(s string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			out = append(out, l)
		}
	}
	return out
}
