package model

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// Without the GPU install, or on a machine without CUDA 13, cuda and
// tensorrt fall back; ep_plugin_test.go has the real plugin's fallback, and
// scripts/gpu_check.sh the GPU path itself.
func TestDeviceFallsBackToCPUWithOneWarning(t *testing.T) {
	net := newTestNet(3, 16, 16, 1)
	dir := writePackage(t, net.spec(), net.onnx())
	for _, device := range []string{"cuda", "tensorrt"} {
		t.Run(device, func(t *testing.T) {
			var logs bytes.Buffer
			opts := DefaultOptions()
			opts.Device = device
			opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			e := openEngine(t, dir, opts)
			if e.Provider() != ProviderCPU {
				t.Fatalf("provider %s, want the CPU fallback", e.Provider())
			}
			if n := strings.Count(logs.String(), "level=WARN"); n != 1 {
				t.Fatalf("%d warnings, want exactly one:\n%s", n, logs.String())
			}
			if !strings.Contains(logs.String(), "device="+device) || !strings.Contains(logs.String(), "reason=") {
				t.Fatalf("warning does not say which device and why:\n%s", logs.String())
			}
			var out Result
			if err := e.Run(randomImage(16, 16, 1), &out); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// openCUDAFail opens a small test network on CUDA with fallback fail.
func openCUDAFail(t *testing.T) (*Engine, error) {
	t.Helper()
	net := newTestNet(3, 16, 16, 1)
	pkg, err := Load(writePackage(t, net.spec(), net.onnx()))
	if err != nil {
		t.Fatal(err)
	}
	opts := DefaultOptions()
	opts.Device, opts.Fallback = "cuda", "fail"
	return NewEngine(pkg, opts)
}

func TestDeviceFallbackFail(t *testing.T) {
	e, err := openCUDAFail(t)
	if err == nil {
		e.Close()
		t.Fatal("cuda with fallback=fail opened an engine on a machine without CUDA")
	}
	if !strings.Contains(err.Error(), "cuda") || !strings.Contains(err.Error(), "fallback is fail") {
		t.Fatalf("error %q does not explain the refusal", err)
	}
}

func TestRuntimeLibraryErrors(t *testing.T) {
	net := newTestNet(3, 16, 16, 1)
	pkg, err := Load(writePackage(t, net.spec(), net.onnx()))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ lib, want string }{
		{"/nonexistent/libonnxruntime.so.1", "npm install --ignore-scripts"},
		{t.TempDir(), "is a directory"},
	} {
		opts := DefaultOptions()
		opts.Library = c.lib
		e, err := NewEngine(pkg, opts)
		if err == nil {
			e.Close()
			t.Fatalf("library %s accepted", c.lib)
		}
		if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.lib) {
			t.Errorf("error %q should name %s and say %q", err, c.lib, c.want)
		}
	}
}

func TestRuntimeLibraryFromEnv(t *testing.T) {
	t.Setenv(LibraryEnv, "/nonexistent/from-env.so")
	_, err := FindLibrary("")
	if err == nil || !strings.Contains(err.Error(), LibraryEnv) {
		t.Fatalf("FindLibrary ignored %s: %v", LibraryEnv, err)
	}
	if p, err := FindLibrary("/nonexistent/configured.so"); err == nil || strings.Contains(err.Error(), "from-env") {
		t.Fatalf("configured path must win over the environment: %q %v", p, err)
	}
}
