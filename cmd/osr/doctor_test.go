package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"osr/internal/cudalib"
	"osr/model"
)

func TestDoctorCPU(t *testing.T) {
	out, code := runBinary(t, nil, "doctor", "--device", "cpu")
	if code != 0 || !strings.Contains(out, "cpu: will work") || !strings.Contains(out, "(version 1.") {
		t.Fatalf("doctor --device cpu: exit %d\n%s", code, out)
	}
}

// On a machine without the driver or CUDA 13, doctor names what is missing,
// with what to install, and fails for cuda.
func TestDoctorCUDAWithoutGPU(t *testing.T) {
	var missing []string
	for _, l := range append(cudalib.Required("cuda"), cudalib.Library{Name: cudalib.DriverLibrary}) {
		if _, err := cudalib.Load(l.Name); err != nil {
			missing = append(missing, l.Name)
		}
	}
	if len(missing) == 0 {
		t.Skip("the driver and every CUDA 13 library load here: scripts/gpu_check.sh checks this machine")
	}
	out, code := runBinary(t, nil, "doctor", "--device", "cuda", "--model", bundledModel)
	if code == 0 {
		t.Fatalf("doctor --device cuda exited 0 with %v missing:\n%s", missing, out)
	}
	for _, m := range missing {
		if !strings.Contains(out, "MISSING     "+m) {
			t.Errorf("doctor does not report %s missing", m)
		}
	}
	if !strings.Contains(out, "cuda: will not work here") || !strings.Contains(out, "fix:") {
		t.Errorf("no verdict or fix:\n%s", out)
	}
	if _, err := model.FindPlugin("cuda", ""); err != nil && !strings.Contains(out, "OSR_GPU=1") {
		t.Errorf("the plugin is not installed, and doctor does not say how:\n%s", out)
	}
	if t.Failed() {
		t.Log(out)
	}
}

// A library a Python environment holds is reported with the folder to add
// to LD_LIBRARY_PATH, not as missing.
func TestDoctorFindsPipLibraries(t *testing.T) {
	if _, err := cudalib.Load("libcurand.so.10"); err == nil {
		t.Skip("libcurand.so.10 is on the loader's path here")
	}
	venv := t.TempDir()
	lib := filepath.Join(venv, "lib", "python3.12", "site-packages", "nvidia", "cu13", "lib")
	if err := os.MkdirAll(lib, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(lib, "libcurand.so.10"), []byte("not an ELF file"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, code := runBinary(t, []string{"VIRTUAL_ENV=" + venv}, "doctor", "--device", "cuda")
	if code == 0 || !strings.Contains(out, "NOT ON PATH libcurand.so.10") || !strings.Contains(out, "export LD_LIBRARY_PATH="+lib) {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

// The must-show: after the GPU install, on a machine without CUDA,
// infer --device cuda warns with the missing library's name and writes
// what --device cpu writes, byte for byte.
func TestInferCUDAFallbackWritesTheCPUOutputs(t *testing.T) {
	if _, err := model.FindPlugin("cuda", ""); err != nil {
		t.Skipf("CUDA plugin not installed (OSR_GPU=1 bash scripts/setup.sh): %v", err)
	}
	if _, err := cudalib.Load("libcublasLt.so.13"); err == nil {
		t.Skip("cuBLASLt 13 is installed here: no fallback to see")
	}
	frame := "../../demo/camvid/0001TP_008550.jpg"
	gpuOut, cpuOut := t.TempDir(), t.TempDir()
	out, code := runBinary(t, nil, "infer", "--model", bundledModel, "--device", "cuda", frame, "--out", gpuOut)
	if code != 0 {
		t.Fatalf("infer --device cuda: exit %d\n%s", code, out)
	}
	if !strings.Contains(out, "falling back to CPU") || !strings.Contains(out, "is missing") || !strings.Contains(out, ".so.") {
		t.Fatalf("no warning naming the missing library:\n%s", out)
	}
	if out, code := runBinary(t, nil, "infer", "--model", bundledModel, "--device", "cpu", frame, "--out", cpuOut); code != 0 {
		t.Fatalf("infer --device cpu: exit %d\n%s", code, out)
	}
	names, _ := filepath.Glob(filepath.Join(cpuOut, "*.png"))
	if len(names) != 4 {
		t.Fatalf("cpu wrote %v", names)
	}
	for _, n := range names {
		a, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(gpuOut, filepath.Base(n)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between --device cuda (fallback) and --device cpu", filepath.Base(n))
		}
	}
}

func TestDoctorTensorRTNamesTensorRT(t *testing.T) {
	if _, err := cudalib.Load("libnvinfer.so.10"); err == nil {
		t.Skip("TensorRT 10 is installed here")
	}
	out, code := runBinary(t, nil, "doctor", "--device", "tensorrt")
	if code == 0 || !strings.Contains(out, "MISSING     libnvinfer.so.10") || !strings.Contains(out, "tensorrt: will not work here") {
		t.Fatalf("doctor --device tensorrt without TensorRT: exit %d\n%s", code, out)
	}
}
