package ros1_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"osr/internal/rostest"
	"osr/msgs"
)

// How osr behaves as a node of a ROS 1 graph run by roslaunch: namespaces,
// shutdown by the master, /rosout and logger levels.

// run runs a ROS command line tool against m and returns its output.
func run(t *testing.T, m *rostest.Master, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = m.Env()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

var pidRe = regexp.MustCompile(`(?m)^Pid: (\d+)$`)

// nodePid asks the node for its pid with rosnode info; 0 if it does not answer.
func nodePid(m *rostest.Master, node string) int {
	cmd := exec.Command("rosnode", "info", node)
	cmd.Env = m.Env()
	out, _ := cmd.CombinedOutput()
	if s := pidRe.FindSubmatch(out); s != nil {
		pid, _ := strconv.Atoi(string(s[1]))
		return pid
	}
	return 0
}

// alive reports whether pid runs (a zombie has ended).
func alive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	return len(f) > 0 && f[0] != "Z"
}

// waitExit waits until d after start for pid to end and returns how long
// after start it ended.
func waitExit(t *testing.T, pid int, start time.Time, d time.Duration) time.Duration {
	t.Helper()
	for alive(pid) {
		if time.Since(start) > d {
			t.Fatalf("process %d still runs %v after the shutdown request", pid, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}

var diagRe = regexp.MustCompile(`name: "([^"]*)"\s+message: "?[^\n]*\n\s+hardware_id: "?([^"\n]*)"?`)

// diagnosticsByName parses rostopic echo /diagnostics into each status's
// last key/values, with its hardware_id under "hardware_id".
func diagnosticsByName(s string) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, msg := range strings.Split(s, "---") {
		m := diagRe.FindStringSubmatch(msg)
		if m == nil {
			continue
		}
		kv := map[string]string{"hardware_id": m[2]}
		for _, v := range kvRe.FindAllStringSubmatch(msg, -1) {
			kv[v[1]] = v[2]
		}
		out[m[1]] = kv
	}
	return out
}

// Two nodes in <group ns=...> publish and subscribe under their own
// namespaces; rosnode kill ends one within a second, roslaunch respawns it,
// and the end of the required one ends the launch.
func TestRoslaunchNamespacesShutdownAndRespawn(t *testing.T) {
	rostest.Require(t)
	for _, tool := range []string{"roslaunch", "rosnode"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found: install python3-roslaunch python3-rosnode (bash scripts/setup.sh does)", tool)
		}
	}
	m := rostest.StartMaster(t, 0)
	root, _ := filepath.Abs("../..")
	launch := m.StartEnv([]string{"ROS_PACKAGE_PATH=" + root}, "roslaunch", "../../testdata/ros1/two_robots.launch")
	for _, ns := range []string{"/robot1", "/robot2"} {
		if !launch.WaitOutput("node="+ns+"/osr image="+ns+"/camera/image_raw", 60*time.Second) {
			t.Fatalf("%s/osr did not register with its camera:\n%s", ns, launch.Output())
		}
	}
	topics := run(t, m, "rostopic", "list")
	for _, want := range []string{"/robot1/osr/labels", "/robot2/osr/labels", "/robot1/osr/label_info", "/robot2/osr/overlay"} {
		if !regexp.MustCompile(`(?m)^` + want + `$`).MatchString(topics) {
			t.Errorf("rostopic list lacks %s:\n%s", want, topics)
		}
	}
	if regexp.MustCompile(`(?m)^/osr/`).MatchString(topics) {
		t.Errorf("topics under /osr:\n%s", topics)
	}
	for _, ns := range []string{"/robot1", "/robot2"} {
		info := run(t, m, "rostopic", "info", ns+"/camera/image_raw")
		subs := info[strings.Index(info, "Subscribers:"):]
		if !strings.Contains(subs, "* "+ns+"/osr ") || strings.Count(subs, "* ") != 1 {
			t.Errorf("%s/camera/image_raw: want %s/osr its only subscriber:\n%s", ns, ns, info)
		}
	}

	// robot2's <param> and <rosparam> set its settings; robot1 keeps the model's.
	info1, info2 := labelInfo(t, m, "/robot1/osr/label_info"), labelInfo(t, m, "/robot2/osr/label_info")
	if info2.Score != "msp" || info2.Threshold != 0.7 {
		t.Errorf("robot2's label info does not follow its private parameters: %+v", info2)
	}
	if info1.Score == "msp" || info1.Threshold == 0.7 {
		t.Errorf("robot1 took robot2's parameters: %+v", info1)
	}
	if !strings.Contains(launch.Output(), `msg="ignoring unknown parameters" names=[frobnicate]`) {
		t.Errorf("no warning naming the unknown parameter:\n%s", launch.Output())
	}

	// Frames on robot1's camera reach robot1's outputs only.
	echo := m.Start("rostopic", "echo", "-n", "1", "--noarr", "/robot1/osr/labels")
	time.Sleep(2500 * time.Millisecond) // the node sees new subscribers within its 1 s watchdog
	pub := publishRaw(m, "/robot1/camera/image_raw", frameFile(t), 4, 20, "rgb8", 1440)
	if err := echo.Wait(30 * time.Second); err != nil {
		t.Fatalf("no labels from robot1: %v\n%s\n%s", err, launch.Output(), pub.Output())
	}
	pub.Kill()
	diag := m.Start("rostopic", "echo", "-n", "4", "/diagnostics")
	if err := diag.Wait(15 * time.Second); err != nil {
		t.Fatalf("diagnostics: %v\n%s", err, diag.Output())
	}
	st := diagnosticsByName(diag.Output())
	r1, r2 := st["robot1/osr: open-set segmentation"], st["robot2/osr: open-set segmentation"]
	if r1 == nil || r2 == nil {
		t.Fatalf("want statuses named as diagnostic_updater names them, got %v", st)
	}
	if n, _ := strconv.Atoi(r1["frames_in"]); n == 0 || r2["frames_in"] != "0" {
		t.Errorf("frames in: robot1 %s, robot2 %s; want robot1's frames at robot1 only", r1["frames_in"], r2["frames_in"])
	}
	if host, _ := os.Hostname(); r1["hardware_id"] != host+"/cpu" {
		t.Errorf("hardware_id %q, want %q", r1["hardware_id"], host+"/cpu")
	}

	// rosnode kill: the process ends, saying why, and roslaunch respawns it.
	pid := nodePid(m, "/robot1/osr")
	if pid == 0 {
		t.Fatal("rosnode info /robot1/osr: no pid")
	}
	// rosnode kill returns once the node has taken the request; python's
	// start-up before it varies with the machine's load.
	started := time.Now()
	run(t, m, "rosnode", "kill", "/robot1/osr")
	killed := time.Now()
	took := waitExit(t, pid, killed, 3*time.Second)
	if !launch.WaitOutput(`the ROS master shut the node down" node=/robot1/osr request="/rosnode: user request"`, time.Second) {
		t.Errorf("no log line saying why the node ended:\n%s", launch.Output())
	}
	start := time.Now()
	var pid2 int
	for pid2 = nodePid(m, "/robot1/osr"); pid2 == 0 || pid2 == pid; pid2 = nodePid(m, "/robot1/osr") {
		if time.Since(start) > 60*time.Second {
			t.Fatalf("roslaunch did not respawn /robot1/osr:\n%s", launch.Output())
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("rosnode kill took %.2f s; the node ended %.2f s after it returned and was respawned as pid %d %.1f s later",
		killed.Sub(started).Seconds(), took.Seconds(), pid2, time.Since(start).Seconds())

	// robot2 is required: its end ends the launch.
	run(t, m, "rosnode", "kill", "/robot2/osr")
	if err := launch.Wait(30 * time.Second); err != nil && !launch.Exited() {
		t.Fatalf("roslaunch still runs after its required node ended:\n%s", launch.Output())
	}
	if !strings.Contains(launch.Output(), "REQUIRED process [robot2/osr-2] has died") {
		t.Errorf("roslaunch did not end for the required node:\n%s", launch.Output())
	}
	if alive(pid2) {
		t.Errorf("respawned robot1 (pid %d) outlived the launch", pid2)
	}
}

// A second node registering the same name makes the master shut the first
// down: it ends, saying why, and does not take the name back.
func TestNodeEndsWhenANewNodeTakesItsName(t *testing.T) {
	rostest.Require(t)
	m := rostest.StartMaster(t, 0)
	first := startNode(t, m, "image:=/camera/image_raw")
	second := startNode(t, m, "image:=/camera/image_raw")
	if err := first.Wait(3 * time.Second); err != nil {
		t.Fatalf("the first node still runs 3 s after the second registered: %v\n%s", err, first.Output())
	}
	if !strings.Contains(first.Output(), `the ROS master shut the node down" node=/osr request="/master: [/osr] Reason: new node registered with same name"`) {
		t.Errorf("the first node did not say why it ended:\n%s", first.Output())
	}
	time.Sleep(1500 * time.Millisecond) // a watchdog period: the survivor stays registered
	if second.Exited() || nodePid(m, "/osr") != second.Pid() {
		t.Fatalf("the second node lost its name: exited %v\n%s", second.Exited(), second.Output())
	}
}

// osr's log lines reach /rosout, and rosconsole lists and sets its logger.
// The node runs in the namespace of __ns:=, which wins over ROS_NAMESPACE.
func TestNodeLogsToRosoutAtTheSetLevel(t *testing.T) {
	rostest.Require(t)
	if _, err := exec.LookPath("rosconsole"); err != nil {
		t.Skip("rosconsole not found: install python3-rospy python3-roscpp-msg (bash scripts/setup.sh does)")
	}
	m := rostest.StartMaster(t, 0)
	node := startNodeEnv(t, m, []string{"ROS_NAMESPACE=/robot9"}, "image:=/camera/image_raw", "__ns:=/robot7")
	rosout := m.Start("rostopic", "echo", "/rosout")
	file := frameFile(t)
	bad := func() {
		// A step shorter than the row: the node skips the frame with a warning.
		if err := publishRaw(m, "/camera/image_raw", file, 10, 2, "rgb8", 100).Wait(30 * time.Second); err != nil {
			t.Fatal(err)
		}
	}
	// Until rostopic has connected, warnings pass it by: try a few times.
	for try := 0; ; try++ {
		bad()
		if rosout.WaitOutput("step 100 is less than width 480", 5*time.Second) {
			break
		}
		if try == 3 {
			t.Fatalf("the warning did not reach /rosout:\n%s\nnode:\n%s", rosout.Output(), node.Output())
		}
	}
	if !regexp.MustCompile(`level: 4\s+name: "/robot7/osr"\s+msg: "frame skipped reason=`).MatchString(rosout.Output()) {
		t.Errorf("/rosout line lacks level WARN (4), name /robot7/osr or text:\n%s", rosout.Output())
	}
	if got := run(t, m, "rosconsole", "list", "/robot7/osr"); strings.TrimSpace(got) != "ros.osr" {
		t.Errorf("rosconsole list: %q", got)
	}
	if got := run(t, m, "rosconsole", "get", "/robot7/osr", "ros.osr"); strings.TrimSpace(got) != "info" {
		t.Errorf("rosconsole get: %q, want info", got)
	}
	run(t, m, "rosconsole", "set", "/robot7/osr", "ros.osr", "error")
	if got := run(t, m, "rosconsole", "get", "/robot7/osr", "ros.osr"); strings.TrimSpace(got) != "error" {
		t.Errorf("rosconsole get after set error: %q", got)
	}
	badFrames := func() int {
		d := m.Start("rostopic", "echo", "-n", "1", "/diagnostics")
		d.Wait(10 * time.Second)
		n, _ := strconv.Atoi(lastDiagnostics(d.Output())["bad_frames"])
		return n
	}
	counted := badFrames()
	warned := strings.Count(node.Output(), "frame skipped")
	before := strings.Count(rosout.Output(), "frame skipped")
	bad()
	// The bad frames were handled once diagnostics count them.
	for start := time.Now(); badFrames() <= counted; time.Sleep(200 * time.Millisecond) {
		if time.Since(start) > 20*time.Second {
			t.Fatalf("the bad frames sent at level error were not counted:\n%s", node.Output())
		}
	}
	if n := strings.Count(node.Output(), "frame skipped"); n != warned {
		t.Errorf("at level error the console got %d more warnings", n-warned)
	}
	if n := strings.Count(rosout.Output(), "frame skipped"); n != before {
		t.Errorf("at level error /rosout got %d more warnings", n-before)
	}
}

// labelInfo reads the latched label info with rostopic echo.
func labelInfo(t *testing.T, m *rostest.Master, topic string) msgs.LabelInfo {
	t.Helper()
	out := run(t, m, "rostopic", "echo", "-n", "1", topic)
	var msg struct{ Data string }
	var li msgs.LabelInfo
	if err := yaml.Unmarshal([]byte(strings.TrimSuffix(strings.TrimSpace(out), "---")), &msg); err != nil {
		t.Fatalf("%s: %v\n%s", topic, err, out)
	}
	if err := yaml.Unmarshal([]byte(msg.Data), &li); err != nil || li.Model == "" {
		t.Fatalf("%s: not label info (%v):\n%s", topic, err, out)
	}
	return li
}

// outliers counts the outlier pixels of the next mask the node publishes
// for frames sent now.
func outliers(t *testing.T, m *rostest.Master, file string) int {
	t.Helper()
	echo := m.Start("rostopic", "echo", "-n", "1", "/osr/outlier_mask")
	time.Sleep(2500 * time.Millisecond) // the node sees new subscribers within its 1 s watchdog
	pub := publishRaw(m, "/camera/image_raw", file, 4, 20, "rgb8", 1440)
	defer pub.Kill()
	if err := echo.Wait(30 * time.Second); err != nil {
		t.Fatalf("no mask: %v\n%s", err, pub.Output())
	}
	data := regexp.MustCompile(`(?m)^data: \[(.*)\]$`).FindStringSubmatch(echo.Output())
	if data == nil {
		t.Fatalf("mask without data:\n%.500s", echo.Output())
	}
	return strings.Count(data[1], "255")
}

// _threshold:=0.99 sets the threshold at start and puts it on the
// parameter server; rosparam set changes it live: the label info and the
// next frame's mask follow.
func TestNodePrivateParametersLive(t *testing.T) {
	rostest.Require(t)
	m := rostest.StartMaster(t, 0)
	node := startNode(t, m, "image:=/camera/image_raw", "_threshold:=0.99")
	if got := labelInfo(t, m, "/osr/label_info").Threshold; got != 0.99 {
		t.Fatalf("label info threshold %g, want 0.99", got)
	}
	if got := strings.TrimSpace(run(t, m, "rosparam", "get", "/osr/threshold")); got != "0.99" {
		t.Errorf("rosparam get /osr/threshold: %s, want 0.99 (the command line's value)", got)
	}
	file := frameFile(t)
	high := outliers(t, m, file)
	run(t, m, "rosparam", "set", "/osr/threshold", "0.5")
	for start := time.Now(); labelInfo(t, m, "/osr/label_info").Threshold != 0.5; time.Sleep(200 * time.Millisecond) {
		if time.Since(start) > 10*time.Second {
			t.Fatalf("label info not re-published with threshold 0.5:\n%s", node.Output())
		}
	}
	low := outliers(t, m, file)
	t.Logf("outlier pixels of the demo frame: %d at threshold 0.99, %d at 0.5", high, low)
	if low <= high {
		t.Errorf("lowering the threshold from 0.99 to 0.5 did not add outlier pixels: %d then %d", high, low)
	}
	// A read-only parameter, a value out of range and a list are refused, by name.
	run(t, m, "rosparam", "set", "/osr/device", "cuda")
	run(t, m, "rosparam", "set", "/osr/overlay_alpha", "2")
	run(t, m, "rosparam", "set", "/osr/threshold", "[0.1, 0.2]")
	if !node.WaitOutput(`name=/osr/device value=cuda err="device is read-only while the node runs`, 5*time.Second) ||
		!node.WaitOutput(`name=/osr/overlay_alpha value=2 err="overlay_alpha: 2 is out of range [0, 1]"`, 5*time.Second) ||
		!node.WaitOutput(`err="parameter /osr/threshold is a list; want a double"`, 5*time.Second) {
		t.Errorf("refusals not logged:\n%s", node.Output())
	}
	if got := labelInfo(t, m, "/osr/label_info").Threshold; got != 0.5 {
		t.Errorf("threshold %g after refused changes, want 0.5", got)
	}
}

// roslaunch on the ROS 2 launch file fails, and its error names the ROS 1 one.
func TestRoslaunchOfTheROS2FileNamesTheROS1File(t *testing.T) {
	rostest.Require(t)
	if _, err := exec.LookPath("roslaunch"); err != nil {
		t.Skip("roslaunch not found: install python3-roslaunch (bash scripts/setup.sh does)")
	}
	m := rostest.StartMaster(t, 0)
	root, _ := filepath.Abs("../..")
	launch := m.StartEnv([]string{"ROS_PACKAGE_PATH=" + root}, "roslaunch", "osr", "osr_node.launch")
	err := launch.Wait(60 * time.Second)
	if err == nil || !launch.Exited() {
		t.Fatalf("roslaunch of the ROS 2 file: %v\n%s", err, launch.Output())
	}
	if !strings.Contains(launch.Output(), "roslaunch osr osr_node.ros1.launch") {
		t.Errorf("the error does not name osr_node.ros1.launch:\n%s", launch.Output())
	}
}
