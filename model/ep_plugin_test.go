package model

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	ort "github.com/yalue/onnxruntime_go"

	"osr/internal/cudalib"
	"osr/internal/ortep"
)

// The shim reaches the OrtSessionOptions inside onnxruntime_go's
// SessionOptions: an entry set through it must read back through
// onnxruntime_go.
func TestSessionOptionsPointer(t *testing.T) {
	lib, err := FindLibrary("")
	if err != nil {
		t.Fatal(err)
	}
	if err := acquireRuntime(lib); err != nil {
		t.Fatal(err)
	}
	defer releaseRuntime()
	so, err := ort.NewSessionOptions()
	if err != nil {
		t.Fatal(err)
	}
	defer so.Destroy()
	ptr, err := sessionOptionsPointer(so)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := ortep.Open(loadedLibrary())
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	if err := rt.AddConfigEntry(ptr, "osr.test.entry", "42"); err != nil {
		t.Fatal(err)
	}
	if v, err := so.GetSessionConfigEntry("osr.test.entry"); err != nil || v != "42" {
		t.Fatalf("entry set through the shim reads back as %q, %v", v, err)
	}
}

func TestPickGPU(t *testing.T) {
	p := plugins["cuda"]
	cpu := ortep.Device{EP: ProviderCPU, Type: ortep.CPU}
	gpu := func(id string) ortep.Device {
		return ortep.Device{EP: p.ep, Type: ortep.GPU, VendorID: 0x10de, Options: map[string]string{"device_id": id}}
	}
	if _, err := pickGPU([]ortep.Device{cpu}, p, 0); err == nil || !strings.Contains(err.Error(), "offers no GPU") {
		t.Fatalf("no GPU: %v", err)
	}
	devs := []ortep.Device{cpu, gpu("1"), gpu("0")}
	for _, id := range []int{0, 1} {
		d, err := pickGPU(devs, p, id)
		if err != nil || d.Options["device_id"] != []string{"0", "1"}[id] {
			t.Fatalf("gpu_id %d picked %+v, %v", id, d, err)
		}
	}
	if _, err := pickGPU(devs, p, 2); err == nil || !strings.Contains(err.Error(), "gpu_id is 2") || !strings.Contains(err.Error(), "2 GPU(s)") {
		t.Fatalf("gpu_id out of range: %v", err)
	}
	if _, err := pickGPU([]ortep.Device{gpu("0")}, plugins["tensorrt"], 0); err == nil || !strings.Contains(err.Error(), p.ep) {
		t.Fatalf("a CUDA device for TensorRT: %v", err)
	}
	other := ortep.Device{EP: "CudaPluginExecutionProvider", Type: ortep.GPU, Options: map[string]string{"device_id": "0"}}
	if d, err := pickGPU([]ortep.Device{cpu, other}, p, 0); err != nil || d.EP != other.EP {
		t.Fatalf("a CUDA provider of another name: %+v, %v", d, err)
	}
	if d, err := pickGPU([]ortep.Device{other, gpu("0")}, p, 0); err != nil || d.EP != p.ep {
		t.Fatalf("the usual name must win: %+v, %v", d, err)
	}
}

func TestProviderOptions(t *testing.T) {
	opts := DefaultOptions()
	d := ortep.Device{Options: map[string]string{"device_id": "3"}}
	o := providerOptions("cuda", d, opts)
	if o["device_id"] != "3" || o["cudnn_conv_algo_search"] != "EXHAUSTIVE" || o["gpu_mem_limit"] != "" || o["enable_cuda_graph"] != "" {
		t.Fatalf("defaults: %v", o)
	}
	opts.GPU = GPUOptions{ConvAlgoSearch: "heuristic", MemLimitMB: 512, CUDAGraph: true}
	o = providerOptions("cuda", d, opts)
	if o["cudnn_conv_algo_search"] != "HEURISTIC" || o["gpu_mem_limit"] != "536870912" || o["enable_cuda_graph"] != "1" {
		t.Fatalf("settings: %v", o)
	}
	if o := providerOptions("tensorrt", d, opts); len(o) != 1 {
		t.Fatalf("tensorrt takes only the device, got %v", o)
	}
}

func TestFindPlugin(t *testing.T) {
	dir := t.TempDir()
	if _, err := FindPlugin("cuda", dir); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, PluginFile("cuda"))) ||
		!strings.Contains(err.Error(), "OSR_GPU=1") {
		t.Fatalf("empty plugin dir: %v", err)
	}
	file := filepath.Join(dir, PluginFile("tensorrt"))
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(PluginEnv, dir)
	if p, err := FindPlugin("tensorrt", ""); err != nil || p != file {
		t.Fatalf("from %s: %q, %v", PluginEnv, p, err)
	}
	if _, err := FindPlugin("cuda", ""); err == nil || !strings.Contains(err.Error(), PluginEnv) {
		t.Fatalf("%s without the cuda plugin: %v", PluginEnv, err)
	}
	if _, err := FindPlugin("cpu", ""); err == nil {
		t.Fatal("cpu has no plugin")
	}
}

// With the real plugin installed and CUDA missing, cuda falls back to CPU
// with one warning that names the missing library and its package, and the
// result is the CPU engine's, bit for bit.
func TestCUDAPluginFallbackMatchesCPU(t *testing.T) {
	if _, err := FindPlugin("cuda", ""); err != nil {
		t.Skipf("CUDA plugin not installed (OSR_GPU=1 bash scripts/setup.sh): %v", err)
	}
	missing := ""
	for _, l := range cudalib.Required("cuda") {
		if _, err := cudalib.Load(l.Name); err != nil {
			missing = l.Name
			break
		}
	}
	if missing == "" {
		t.Skip("every CUDA 13 library is installed here: no fallback to see")
	}
	net := newTestNet(4, 32, 24, 5)
	dir := writePackage(t, net.spec(), net.onnx())
	im := randomImage(40, 30, 9)

	var logs bytes.Buffer
	opts := DefaultOptions()
	opts.Device = "cuda"
	opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	gpu := openEngine(t, dir, opts)
	if gpu.Provider() != ProviderCPU || gpu.Device() != "cpu" {
		t.Fatalf("provider %s on %s, want the CPU fallback", gpu.Provider(), gpu.Device())
	}
	if n := strings.Count(logs.String(), "level=WARN"); n != 1 {
		t.Fatalf("%d warnings, want one:\n%s", n, logs.String())
	}
	name, ok := cudalib.MissingFromLoaderError(logs.String())
	if !ok || !strings.Contains(logs.String(), name+" is missing") || !strings.Contains(logs.String(), "pip install") {
		t.Fatalf("the warning does not name the missing library and its package:\n%s", logs.String())
	}
	if !slices.ContainsFunc(cudalib.Required("cuda"), func(l cudalib.Library) bool { return l.Name == name }) {
		t.Fatalf("the warning names %s, not a CUDA library", name)
	}

	cpuOpts := DefaultOptions()
	cpu := openEngine(t, dir, cpuOpts)
	var a, b Result
	if err := gpu.Run(im, &a); err != nil {
		t.Fatal(err)
	}
	if err := cpu.Run(im, &b); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Labels, b.Labels) || !slices.Equal(a.Score, b.Score) || !slices.Equal(a.Mask, b.Mask) || !slices.Equal(a.Overlay, b.Overlay) {
		t.Fatal("the fallback's result differs from the CPU engine's")
	}

	opts.Fallback = "fail"
	pkg, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if e, err := NewEngine(pkg, opts); err == nil {
		e.Close()
		t.Fatal("fallback fail opened an engine without CUDA")
	} else if !strings.Contains(err.Error(), "fallback is fail") || !strings.Contains(err.Error(), "cannot open shared object file") {
		t.Fatalf("fallback fail: %v", err)
	}
}

// ProbeDevice goes as far as the machine allows, and says where it stopped.
func TestProbeDevice(t *testing.T) {
	pr, err := ProbeDevice(DefaultOptions())
	if err != nil || pr.Version == "" || pr.Plugin != "" {
		t.Fatalf("cpu: %+v, %v", pr, err)
	}
	if _, err := FindPlugin("cuda", ""); err != nil {
		t.Skipf("CUDA plugin not installed (OSR_GPU=1 bash scripts/setup.sh): %v", err)
	}
	opts := DefaultOptions()
	opts.Device = "cuda"
	pr, err = ProbeDevice(opts)
	if pr.Plugin == "" || !slices.ContainsFunc(pr.Devices, func(d ortep.Device) bool { return d.EP == ProviderCPU }) {
		t.Fatalf("cuda probe: %+v", pr)
	}
	if _, derr := cudalib.ProbeDriver(); derr != nil && err == nil {
		t.Fatalf("no driver (%v), but the probe passed: %+v", derr, pr)
	}
	if err == nil && pr.Chosen == "" {
		t.Fatal("the probe passed without choosing a GPU")
	}
}

// Without a plugin, a runtime with the provider built in is tried; neither
// npm build has one, so the error names both the install step and that.
func TestNoPluginTriesTheBuiltInProvider(t *testing.T) {
	t.Setenv(PluginEnv, t.TempDir())
	e, err := openCUDAFail(t)
	if err == nil {
		e.Close()
		t.Skip("this ONNX Runtime has a working built-in CUDA provider")
	}
	for _, want := range []string{"OSR_GPU=1", "no built-in CUDA provider", PluginEnv} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestOlderThan(t *testing.T) {
	for v, want := range map[string]bool{"1.24.3": true, "1.29.0": false, "1.30.1": false, "0.9": true, "2.0.0": false, "dev": false} {
		if got := olderThan(v, 1, 29); got != want {
			t.Errorf("olderThan(%q, 1, 29) = %v", v, got)
		}
	}
}

func TestExplainMissing(t *testing.T) {
	_, lerr := cudalib.Load("libcudnn_osr_absent.so.9")
	if lerr == nil {
		t.Fatal("a library that does not exist loaded")
	}
	err := explainMissing(lerr)
	if !strings.HasPrefix(err.Error(), "libcudnn_osr_absent.so.9 is missing; ") || !errors.Is(err, lerr) {
		t.Fatalf("explainMissing: %v", err)
	}
	plain := errors.New("some other failure")
	if explainMissing(plain) != plain {
		t.Fatal("an error without a missing library was changed")
	}
}
