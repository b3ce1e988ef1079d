package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// hasGPU says whether scripts/gpu_check.sh would find a GPU here.
func hasGPU() bool {
	if out, err := exec.Command("nvidia-smi", "-L").Output(); err == nil && strings.Contains(string(out), "GPU") {
		return true
	}
	ents, _ := os.ReadDir("/proc/driver/nvidia/gpus")
	return len(ents) > 0
}

func runGPUCheck(t *testing.T, env []string, args ...string) (string, int) {
	t.Helper()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not installed")
	}
	cmd := exec.Command("bash", append([]string{"../../scripts/gpu_check.sh"}, args...)...)
	cmd.Env = append(os.Environ(), append([]string{"OSR=" + osrBinary(t)}, env...)...)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), 0
}

func TestGPUCheckSaysNoGPU(t *testing.T) {
	if hasGPU() {
		t.Skip("this machine has an NVIDIA GPU: run scripts/gpu_check.sh itself")
	}
	out, code := runGPUCheck(t, nil, t.TempDir())
	if code != 2 || !strings.Contains(out, "no GPU") {
		t.Fatalf("gpu_check.sh on a machine without a GPU: exit %d\n%s", code, out)
	}
}

// The script's steps and checks, with cpu in place of cuda, on a few
// CamVid val images: every check runs and passes, and the figures it
// compares are printed.
func TestGPUCheckStepsOnCPU(t *testing.T) {
	if testing.Short() {
		t.Skip("runs osr bench, infer and eval twice")
	}
	camvid := "../../../shared/datasets/camvid"
	if _, err := os.Stat(filepath.Join(camvid, "dataset.yaml")); err != nil {
		if camvid = "../../../../shared/datasets/camvid"; !exists(filepath.Join(camvid, "dataset.yaml")) {
			t.Skip("no CamVid in ../shared/datasets/camvid (the project's shared data)")
		}
	}
	abs, err := filepath.Abs(camvid)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out, code := runGPUCheck(t, []string{"GPU_CHECK_DEVICE=cpu", "FRAMES=2", "LIMIT=3", "CAMVID=" + abs}, dir)
	if code != 0 || strings.Contains(out, "FAIL") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for _, want := range []string{"PASS  osr doctor --device cpu", "PASS  bench 1920x1080 runs on CPUExecutionProvider",
		"1920x1080 cpu: run", "PASS  labels agree >= 99.9 %", "PASS  ap equal to 3 decimals", "PASS  fpr95 equal to 3 decimals",
		"3 images, 518400 pixels"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if !exists(filepath.Join(dir, "gpu_check.txt")) || !exists(filepath.Join(dir, "eval_cpu", "report.json")) {
		t.Error("gpu_check.txt or the eval report not written")
	}
	if t.Failed() {
		t.Log(out)
	}
}
