//go:build ros2

package ros2

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The command line ros2 launch builds from osr_node.launch (with the
// checkout as the package's share directory) starts a node with the
// launch file's name, namespace and remapping.
func TestLaunchCommandStartsNode(t *testing.T) {
	root, _ := filepath.Abs("../..")
	args := launchCommand(t, root, map[string]string{"node_name": "segmenter", "namespace": "/robot", "image": "/front/image_raw"})
	domain := loopbackDomain(t)
	n := start(t, []string{"CYCLONEDDS_URI=" + loopbackConfig, fmt.Sprintf("ROS_DOMAIN_ID=%d", domain)}, buildOsr(t), args...)
	if !n.waitOutput("joined the DDS domain", 30*time.Second) {
		t.Fatalf("node did not start:\n%s", n.out.String())
	}
	out := n.out.String()
	for _, want := range []string{"node=/robot/segmenter", "image=/front/image_raw", "/robot/segmenter/labels"} {
		if !strings.Contains(out, want) {
			t.Errorf("node log lacks %q:\n%s", want, out)
		}
	}
	n.cmd.Process.Signal(syscall.SIGINT)
	if err := n.wait(10 * time.Second); err != nil {
		t.Fatalf("node did not stop on SIGINT: %v\n%s", err, n.out.String())
	}
}

// What colcon build does for ROS 2 (ament_cmake): configure, build and
// install CMakeLists.txt with ROS_VERSION=2. ament_cmake itself is not
// installable here; a stand-in provides ament_package(). The installed
// node must run from anywhere, finding ONNX Runtime beside itself.
func TestAmentInstall(t *testing.T) {
	// make is the build tool of cmake's default generator.
	for _, tool := range []string{"cmake", "make"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: apt-get install cmake make (OSR_SETUP_ROS=1 bash scripts/setup.sh does)", tool)
		}
	}
	root, _ := filepath.Abs("../..")
	if _, err := os.Stat(filepath.Join(root, "node_modules/onnxruntime-node")); err != nil {
		t.Skip("node_modules/onnxruntime-node missing: npm install --ignore-scripts")
	}
	tmp := t.TempDir()
	stub := filepath.Join(tmp, "stub", "ament_cmake")
	if err := os.MkdirAll(stub, 0o755); err != nil {
		t.Fatal(err)
	}
	// Like ament_package, it installs package.xml into the share directory.
	err := os.WriteFile(filepath.Join(stub, "ament_cmakeConfig.cmake"), []byte(
		"macro(ament_package)\n  install(FILES ${CMAKE_CURRENT_SOURCE_DIR}/package.xml DESTINATION share/${PROJECT_NAME})\nendmacro()\n"), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	build, prefix := filepath.Join(tmp, "build"), filepath.Join(tmp, "install")
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command("cmake", args...)
		cmd.Env = append(os.Environ(), "ROS_VERSION=2")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("cmake %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("-S", root, "-B", build, "-DCMAKE_PREFIX_PATH="+filepath.Join(tmp, "stub"), "-DCMAKE_INSTALL_PREFIX="+prefix)
	run("--build", build)
	run("--install", build)
	for _, f := range []string{"lib/osr/osr", "share/osr/launch/osr_node.launch", "share/osr/config/osr.yaml",
		"share/osr/models/camvid-so/model.onnx", "share/osr/package.xml",
		"lib/osr/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1"} {
		if _, err := os.Stat(filepath.Join(prefix, f)); err != nil {
			t.Errorf("not installed: %s", f)
		}
	}
	// The GPU runtime, where OSR_GPU=1 setup installed it.
	for _, f := range []string{"gpu/node_modules/com.github.asus4.onnxruntime/Plugins/Linux/x64/libonnxruntime.so",
		"gpu/node_modules/com.github.asus4.onnxruntime.linux-x64-gpu/Plugins/Linux/x64/libonnxruntime_providers_cuda.so"} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(prefix, "lib/osr", f)); err != nil {
			t.Errorf("GPU runtime not installed: %s", f)
		}
	}
	share := filepath.Join(prefix, "share/osr")
	domain := loopbackDomain(t)
	n := startIn(t, "/", []string{"CYCLONEDDS_URI=" + loopbackConfig, fmt.Sprintf("ROS_DOMAIN_ID=%d", domain)},
		filepath.Join(prefix, "lib/osr/osr"), launchCommand(t, share, nil)...)
	if !n.waitOutput("joined the DDS domain", 30*time.Second) {
		t.Fatalf("installed node did not start:\n%s", n.out.String())
	}
}
