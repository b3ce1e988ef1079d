// Package rostest starts real ROS 1 processes (roscore, rostopic, rosbag,
// roslaunch, rospy publishers) for osr's integration tests, on a free
// loopback port with logs in the test's temporary directory.
package rostest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Require skips the test when ROS 1 is not installed.
func Require(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"roscore", "rostopic"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found: install ros-core python3-sensor-msgs python3-rosbag python3-rostopic "+
				"python3-diagnostic-msgs (bash scripts/setup.sh does)", tool)
		}
	}
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("/usr/bin/python3 not found (Debian's python3 runs rospy)")
	}
}

// Master is a running roscore.
type Master struct {
	t    *testing.T
	Port int
	URI  string
	Home string
	cmd  *exec.Cmd
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// StartMaster starts roscore on port (0 picks a free one) and waits until
// it answers.
func StartMaster(t *testing.T, port int) *Master {
	t.Helper()
	if port == 0 {
		port = FreePort(t)
	}
	m := &Master{t: t, Port: port, URI: fmt.Sprintf("http://127.0.0.1:%d", port), Home: t.TempDir()}
	m.start()
	t.Cleanup(m.Stop)
	return m
}

func (m *Master) start() {
	m.t.Helper()
	m.cmd = exec.Command("roscore", "-p", fmt.Sprint(m.Port))
	m.cmd.Env = m.Env()
	m.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	log, _ := os.Create(filepath.Join(m.Home, fmt.Sprintf("roscore-%d.log", time.Now().UnixNano())))
	m.cmd.Stdout, m.cmd.Stderr = log, log
	if err := m.cmd.Start(); err != nil {
		m.t.Fatalf("roscore: %v", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if m.RunID() != "" {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	m.t.Fatalf("roscore on port %d did not come up in 30 s (log in %s)", m.Port, m.Home)
}

// Restart kills roscore and starts a new one on the same port. It returns
// when the new process was started and how long it took to answer.
func (m *Master) Restart() (started time.Time, startup time.Duration) {
	m.Stop()
	started = time.Now()
	m.start()
	return started, time.Since(started)
}

// Stop kills roscore and its children.
func (m *Master) Stop() {
	if m.cmd == nil || m.cmd.Process == nil {
		return
	}
	// roslaunch puts rosmaster and rosout in process groups of their own,
	// so kill the whole tree, not just roscore's group.
	for _, pid := range append(descendants(m.cmd.Process.Pid), m.cmd.Process.Pid) {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	syscall.Kill(-m.cmd.Process.Pid, syscall.SIGKILL)
	m.cmd.Wait()
	m.cmd = nil
	// Wait until the port is free again.
	for range 50 {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", m.Port), 100*time.Millisecond)
		if err != nil {
			return
		}
		c.Close()
		time.Sleep(100 * time.Millisecond)
	}
}

// descendants lists the children of pid, recursively, from /proc.
func descendants(pid int) []int {
	parent := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces, so split after ')'.
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(fields) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(fields[1])
		parent[ppid] = append(parent[ppid], child)
	}
	var out []int
	var walk func(int)
	walk = func(p int) {
		for _, c := range parent[p] {
			out = append(out, c)
			walk(c)
		}
	}
	walk(pid)
	return out
}

// Env is the environment for ROS processes talking to this master.
func (m *Master) Env() []string {
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ROS_MASTER_URI=") && !strings.HasPrefix(kv, "ROS_HOME=") && !strings.HasPrefix(kv, "ROS_LOG_DIR=") {
			env = append(env, kv)
		}
	}
	return append(env, "ROS_MASTER_URI="+m.URI, "ROS_HOME="+m.Home, "ROS_LOG_DIR="+filepath.Join(m.Home, "log"), "ROS_IP=127.0.0.1")
}

// RunID asks the master for /run_id over XML-RPC; "" when it does not answer.
func (m *Master) RunID() string {
	body := `<?xml version="1.0"?><methodCall><methodName>getParam</methodName><params>` +
		`<param><value><string>/rostest</string></value></param><param><value><string>/run_id</string></value></param>` +
		`</params></methodCall>`
	c := http.Client{Timeout: time.Second}
	resp, err := c.Post(m.URI, "text/xml", strings.NewReader(body))
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	s := b.String()
	if !strings.Contains(s, "<int>1</int>") && !strings.Contains(s, "<i4>1</i4>") {
		return ""
	}
	i := strings.LastIndex(s, "<string>")
	j := strings.LastIndex(s, "</string>")
	if i < 0 || j < i {
		return ""
	}
	return s[i+len("<string>") : j]
}

// Proc is a background process whose output is collected.
type Proc struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{}
	Err  error
}

// Start runs name with args in the master's environment in the background.
// It is killed when the test ends.
func (m *Master) Start(name string, args ...string) *Proc {
	return m.StartEnv(nil, name, args...)
}

// StartEnv is Start with extra environment variables.
func (m *Master) StartEnv(extra []string, name string, args ...string) *Proc {
	m.t.Helper()
	return StartProc(m.t, append(m.Env(), extra...), name, args...)
}

// StartProc runs name with args and the environment env in the
// background, in a process group of its own. It is killed when the test
// ends.
func StartProc(t testing.TB, env []string, name string, args ...string) *Proc {
	t.Helper()
	p := &Proc{done: make(chan struct{})}
	p.cmd = exec.Command(name, args...)
	p.cmd.Env = env
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pr, pw, _ := os.Pipe()
	p.cmd.Stdout, p.cmd.Stderr = pw, pw
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	pw.Close()
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			p.mu.Lock()
			p.out.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
		}
	}()
	go func() {
		p.Err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() { p.Kill() })
	return p
}

// Output is what the process printed so far.
func (p *Proc) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// Wait waits for the process to exit, up to d.
func (p *Proc) Wait(d time.Duration) error {
	select {
	case <-p.done:
		return p.Err
	case <-time.After(d):
		return context.DeadlineExceeded
	}
}

// Pid is the process id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Exited reports whether the process has ended.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Signal sends sig to the process group.
func (p *Proc) Signal(sig syscall.Signal) {
	if p.cmd.Process != nil {
		syscall.Kill(-p.cmd.Process.Pid, sig)
	}
}

// Kill ends the process, its group and its descendants (roslaunch puts
// the nodes it starts in groups of their own).
func (p *Proc) Kill() {
	if p.cmd.Process != nil && !p.Exited() {
		for _, pid := range descendants(p.cmd.Process.Pid) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	p.Signal(syscall.SIGKILL)
	p.Wait(5 * time.Second)
}

// WaitOutput waits until the output contains s, up to d.
func (p *Proc) WaitOutput(s string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if strings.Contains(p.Output(), s) {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return strings.Contains(p.Output(), s)
}
