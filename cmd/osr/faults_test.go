package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"osr/internal/osrbuild"
	"osr/model"
	"osr/train"
	"osr/train/nn"
)

// The faults of docs/reliability.md, each against the built binary as a
// user meets it: the exit status and the message on stderr.

// osr is cmd/osr built once per test process, outside the checkout.
var osr osrbuild.Binary

// osrBinary builds cmd/osr once per test process.
func osrBinary(t *testing.T) string {
	t.Helper()
	return osr.Path(t)
}

func TestMain(m *testing.M) {
	code := m.Run()
	osr.Remove()
	os.Exit(code)
}

// runBinary runs the binary and returns its combined output and exit code.
func runBinary(t *testing.T, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(osrBinary(t), args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), 0
}

const frame = "../../demo/camvid/0001TP_008580.jpg"

func copyModel(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"model.yaml", "model.onnx"} {
		b, err := os.ReadFile(filepath.Join(bundledModel, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// A missing or damaged model package stops the command with exit status 1
// and a message naming the file and what is wrong with it.
func TestFaultBadModelPackage(t *testing.T) {
	for _, c := range []struct {
		name   string
		damage func(dir string) error
		file   string
		want   string
	}{
		{"directory missing", func(dir string) error { return os.RemoveAll(dir) }, "model.yaml", "no such file"},
		{"model.yaml missing", func(dir string) error { return os.Remove(filepath.Join(dir, "model.yaml")) }, "model.yaml", "no such file"},
		{"model.yaml not YAML", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "model.yaml"), []byte("classes: [road\n  - x: {"), 0o644)
		}, "model.yaml", "yaml"},
		{"model.onnx missing", func(dir string) error { return os.Remove(filepath.Join(dir, "model.onnx")) }, "model.onnx", "no such file"},
		{"model.onnx truncated", func(dir string) error {
			return os.Truncate(filepath.Join(dir, "model.onnx"), 5000)
		}, "model.onnx", "not a loadable ONNX model"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := copyModel(t)
			if err := c.damage(dir); err != nil {
				t.Fatal(err)
			}
			out, code := runBinary(t, nil, "infer", "--model", dir, frame, "--out", t.TempDir())
			if code != 1 || !strings.Contains(out, filepath.Join(dir, c.file)) || !strings.Contains(out, c.want) {
				t.Fatalf("exit %d, want 1 and a message naming %s and %q:\n%s", code, c.file, c.want, out)
			}
		})
	}
}

// Without a usable ONNX Runtime library the message says how to install one.
func TestFaultRuntimeLibrary(t *testing.T) {
	libs := []string{"/nonexistent/libonnxruntime.so.1"}
	for _, p := range []string{"/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib/x86_64-linux-gnu/libz.so.1", "/lib/aarch64-linux-gnu/libz.so.1"} {
		if _, err := os.Stat(p); err == nil {
			libs = append(libs, p) // a shared library, but not ONNX Runtime
			break
		}
	}
	for _, lib := range libs {
		out, code := runBinary(t, []string{"ONNXRUNTIME_LIB=" + lib}, "infer", "--model", bundledModel, frame, "--out", t.TempDir())
		if code != 1 || !strings.Contains(out, lib) || !strings.Contains(out, "npm install --ignore-scripts") {
			t.Errorf("ONNXRUNTIME_LIB=%s: exit %d, want 1 with the library and the install hint:\n%s", lib, code, out)
		}
	}
	if len(libs) == 1 {
		t.Log("no libz found to stand in for a wrong library; only the missing library was tried")
	}
}

// device cuda on a machine without the CUDA provider: one warning and the
// CPU, or exit 1 when runtime.fallback is fail.
func TestFaultDeviceWithoutCUDA(t *testing.T) {
	out, code := runBinary(t, []string{"OSR_RUNTIME_DEVICE=cuda"}, "infer", "--model", bundledModel, frame, "--out", t.TempDir())
	if code != 0 || strings.Count(out, "level=WARN") != 1 || !strings.Contains(out, "falling back to CPU") {
		t.Errorf("fallback: exit %d, want 0 with one warning:\n%s", code, out)
	}
	out, code = runBinary(t, []string{"OSR_RUNTIME_DEVICE=cuda", "OSR_RUNTIME_FALLBACK=fail"}, "infer", "--model", bundledModel, frame, "--out", t.TempDir())
	if code != 1 || !strings.Contains(out, "device cuda unavailable") || !strings.Contains(out, "model.onnx") {
		t.Errorf("fallback fail: exit %d, want 1 naming the device and model:\n%s", code, out)
	}
}

// inSmallFS runs the binary with args, in a private mount namespace and
// from a working directory that is a fresh tmpfs of the given size (read-only when ro), then copies
// what it left there to keep. Skips where unprivileged namespaces are off.
func inSmallFS(t *testing.T, size string, ro bool, keep string, args ...string) (string, int) {
	t.Helper()
	if err := exec.Command("unshare", "--user", "--map-root-user", "--mount", "true").Run(); err != nil {
		t.Skipf("needs unshare with user and mount namespaces (util-linux, kernel.unprivileged_userns_clone=1): %v", err)
	}
	opts := "size=" + size
	if ro {
		opts += ",ro"
	}
	mnt := t.TempDir()
	script := `mount -t tmpfs -o "$1" tmpfs "$2" || exit 99; mnt=$2 keep=$3; shift 3; cd "$mnt"; "$@"; rc=$?; cp -a "$mnt"/. "$keep"/; exit $rc`
	lib, err := model.FindLibrary("")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("unshare", append([]string{"--user", "--map-root-user", "--mount", "sh", "-c", script, "sh", opts, mnt, keep, osrBinary(t)}, args...)...)
	cmd.Env = append(os.Environ(), model.LibraryEnv+"="+lib) // not found from a tmpfs working directory
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if code == 99 {
		t.Skipf("cannot mount a tmpfs in a user namespace here:\n%s", out)
	}
	return string(out), code
}

// files lists the regular files under dir, relative to it.
func files(t *testing.T, dir string) []string {
	var names []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			names = append(names, rel)
		}
		return nil
	})
	return names
}

// osr eval on a full or a read-only disk: exit 1 naming the file and the
// cause, no report.json (written last, so its presence means a whole
// report) and no temporary files left behind.
func TestFaultEvalFullOrReadOnlyDisk(t *testing.T) {
	for _, c := range []struct {
		name, size string
		ro         bool
		want       string
	}{
		{"full", "48k", false, "no space left on device"},
		{"read-only", "1m", true, "read-only file system"},
	} {
		t.Run(c.name, func(t *testing.T) {
			keep := t.TempDir()
			mini, _ := filepath.Abs(mini)
			model, _ := filepath.Abs(bundledModel)
			out, code := inSmallFS(t, c.size, c.ro, keep, "eval", "--model", model, "--data", mini, "--split", "test",
				"--protocol", "camvid-ood", "--out", "report")
			if code == 0 {
				t.Fatalf("eval on a %s disk exited 0:\n%s", c.name, out)
			}
			left := files(t, keep)
			t.Logf("exit %d, left %v, message: %s", code, left, lastLine(out))
			if !strings.Contains(out, c.want) {
				t.Errorf("message does not say %q:\n%s", c.want, out)
			}
			for _, f := range left {
				if strings.Contains(f, ".tmp") || filepath.Base(f) == "report.json" {
					t.Errorf("left %s behind", f)
				}
			}
		})
	}
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	return s[strings.LastIndex(s, "\n")+1:]
}

// osr train on a disk that fills up after the first checkpoint: it stops
// with exit 1 naming the checkpoint, the previous checkpoint is intact,
// and the run resumes from it elsewhere to the end.
func TestFaultTrainDiskFull(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a tiny model")
	}
	cfgPath := tinyTrainConfig(t)
	keep := t.TempDir()
	// One checkpoint (about 140 kB) fits, a second beside it does not.
	out, code := inSmallFS(t, "200k", false, keep, "train", "--config", cfgPath, "--out", "run")
	if code != 1 || !strings.Contains(out, "no space left on device") || !strings.Contains(out, train.CheckpointFile) {
		t.Fatalf("exit %d, want 1 naming %s and the full disk:\n%s", code, train.CheckpointFile, out)
	}
	run := filepath.Join(keep, "run")
	t.Logf("left %v; message: %s", files(t, keep), lastLine(out))
	for _, f := range files(t, keep) {
		if strings.Contains(f, ".tmp") {
			t.Errorf("left %s behind", f)
		}
	}
	ck, err := nn.LoadCheckpoint(filepath.Join(run, train.CheckpointFile))
	if err != nil {
		t.Fatalf("the checkpoint before the disk filled: %v", err)
	}
	if ck.Step != 10 {
		t.Errorf("checkpoint at step %d, want 10", ck.Step)
	}
	out, code = runBinary(t, nil, "train", "--out", run, "--resume")
	if code != 0 {
		t.Fatalf("resume on a disk with room: exit %d\n%s", code, out)
	}
	final, err := nn.LoadCheckpoint(filepath.Join(run, train.CheckpointFile))
	if err != nil || final.Step != 40 {
		t.Fatalf("after resume: step %v, %v", final, err)
	}
	if b, err := os.ReadFile(filepath.Join(run, train.ModelDir, "model.yaml")); err != nil || len(b) == 0 {
		t.Errorf("no exported model after resume: %v", err)
	}
}
