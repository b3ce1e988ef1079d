package model

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	ort "github.com/yalue/onnxruntime_go"

	"osr/internal/cudalib"
	"osr/internal/ortep"
)

// The opt-in GPU runtime (OSR_GPU=1 bash scripts/setup.sh) installs, under
// gpu/ in the checkout, ONNX Runtime 1.29's core library and its CUDA and
// TensorRT provider plugins from npm. Relative to the checkout:
const (
	GPULibrary = "gpu/node_modules/com.github.asus4.onnxruntime/Plugins/Linux/x64/libonnxruntime.so"
	PluginDir  = "gpu/node_modules/com.github.asus4.onnxruntime.linux-x64-gpu/Plugins/Linux/x64"
)

// PluginEnv names a directory holding the provider plugins (or one plugin
// file) when runtime.plugins is empty.
const PluginEnv = "OSR_ORT_PLUGINS"

// GPUInstallHint tells a user how to get the GPU runtime.
const GPUInstallHint = "install the GPU runtime with `OSR_GPU=1 bash scripts/setup.sh` " +
	"(npm com.github.asus4.onnxruntime.linux-x64-gpu 0.4.9 into gpu/), or point runtime.plugins (or " +
	PluginEnv + ") at the directory holding the plugin"

// GPUOptions configure the CUDA and TensorRT providers.
type GPUOptions struct {
	Plugins string // directory of provider plugins; "" searches
	// ConvAlgoSearch is cuDNN's convolution algorithm search: exhaustive
	// (slow first frame, fastest after), heuristic or default.
	ConvAlgoSearch string
	MemLimitMB     int  // CUDA memory arena limit; 0 = no limit
	CUDAGraph      bool // capture the model as one CUDA graph
}

// plugin is a provider plugin library and what osr calls it.
type plugin struct {
	name, file, ep, provider string
}

var plugins = map[string]plugin{
	"cuda":     {name: "CUDA", file: "libonnxruntime_providers_cuda.so", ep: "CUDAExecutionProvider", provider: ProviderCUDA},
	"tensorrt": {name: "TensorRT", file: "libonnxruntime_providers_tensorrt.so", ep: "TensorrtExecutionProvider", provider: ProviderTensorRT},
}

// PluginFile is the plugin library's file name for a device (cuda or tensorrt).
func PluginFile(device string) string { return plugins[device].file }

// FindPlugin resolves the provider plugin for device: runtime.plugins, then
// $OSR_ORT_PLUGINS, then PluginDir in the places FindLibrary looks.
func FindPlugin(device, configured string) (string, error) {
	p, ok := plugins[device]
	if !ok {
		return "", fmt.Errorf("device %q has no provider plugin (want cuda or tensorrt)", device)
	}
	for _, c := range []struct{ dir, from string }{{configured, "runtime.plugins"}, {os.Getenv(PluginEnv), PluginEnv}} {
		if c.dir == "" {
			continue
		}
		path := c.dir
		if st, err := os.Stat(path); err == nil && st.IsDir() {
			path = filepath.Join(path, p.file)
		}
		if _, err := os.Stat(path); err != nil {
			return "", fmt.Errorf("%s plugin %s (from %s): %w; %s", p.name, path, c.from, err, GPUInstallHint)
		}
		return path, nil
	}
	var tried []string
	for _, d := range searchDirs() {
		path := filepath.Join(d, PluginDir, p.file)
		if _, err := os.Stat(path); err == nil {
			return path, nil
		}
		tried = append(tried, path)
	}
	if len(tried) > 2 {
		tried = append(tried[:2], "...")
	}
	return "", fmt.Errorf("%s provider plugin not found (tried %s); %s", p.name, strings.Join(tried, ", "), GPUInstallHint)
}

// registered holds the plugins registered with the current ONNX Runtime
// environment; ONNX Runtime refuses a second registration under one name,
// and forgets them all when the environment goes.
var registered struct {
	sync.Mutex
	names map[string]string // name -> path
}

func forgetPlugins() {
	registered.Lock()
	registered.names = nil
	registered.Unlock()
}

func register(rt *ortep.Runtime, p plugin, path string) error {
	registered.Lock()
	defer registered.Unlock()
	if prev, ok := registered.names[p.name]; ok {
		if prev != path {
			return fmt.Errorf("the %s plugin is already loaded from %s; cannot also load %s in one process", p.name, prev, path)
		}
		return nil
	}
	if err := rt.Register(p.name, path); err != nil {
		return explainLoad(p, path, err)
	}
	if registered.names == nil {
		registered.names = map[string]string{}
	}
	registered.names[p.name] = path
	return nil
}

// explainLoad turns the loader's message into the missing piece and its fix.
func explainLoad(p plugin, path string, err error) error {
	msg := err.Error()
	if lib, ok := cudalib.MissingFromLoaderError(msg); ok {
		return fmt.Errorf("the %s plugin %s cannot load: %s is missing; %s (osr doctor lists every missing library): %w",
			p.name, filepath.Base(path), lib, cudalib.Hint(lib), err)
	}
	if v := ort.GetVersion(); olderThan(v, 1, 29) {
		return fmt.Errorf("the %s plugin %s is built for ONNX Runtime 1.29 but %s is loaded; use the GPU runtime's own core library (%s, found by itself unless runtime.library or %s names another): %w",
			p.name, path, v, GPULibrary, LibraryEnv, err)
	}
	return fmt.Errorf("register the %s plugin %s: %w", p.name, path, err)
}

// explainMissing adds what to install when err is the loader's message
// about a missing library (cuDNN, which the CUDA provider loads only when
// a session starts, say).
func explainMissing(err error) error {
	if lib, ok := cudalib.MissingFromLoaderError(err.Error()); ok {
		return fmt.Errorf("%s is missing; %s: %w", lib, cudalib.Hint(lib), err)
	}
	return err
}

// olderThan says whether version (major.minor.patch) is older than major.minor.
func olderThan(version string, major, minor int) bool {
	var a, b int
	if _, err := fmt.Sscanf(version, "%d.%d", &a, &b); err != nil {
		return false
	}
	return a < major || a == major && b < minor
}

// appendPlugin registers device's provider plugin, picks the GPU numbered
// opts.GPUID among those it offers, and appends it to the session options.
// It returns a description of the device.
func appendPlugin(so *ort.SessionOptions, device string, opts Options) (string, error) {
	p := plugins[device]
	path, err := FindPlugin(device, opts.GPU.Plugins)
	if err != nil {
		// An ONNX Runtime built with the provider inside (NVIDIA's Jetson
		// builds, pip's onnxruntime-gpu) needs no plugin.
		if berr := appendBuiltin(so, device, opts); berr != nil {
			return "", fmt.Errorf("%w; and ONNX Runtime %s has no built-in %s provider (%v)", err, ort.GetVersion(), p.name, berr)
		}
		return fmt.Sprintf("gpu %d (built-in provider)", opts.GPUID), nil
	}
	rt, err := ortep.Open(loadedLibrary())
	if err != nil {
		return "", err
	}
	defer rt.Close()
	if err := register(rt, p, path); err != nil {
		return "", err
	}
	devs, err := rt.Devices()
	if err != nil {
		return "", fmt.Errorf("list execution provider devices: %w", err)
	}
	d, err := pickGPU(devs, p, opts.GPUID)
	if err != nil {
		return "", err
	}
	ptr, err := sessionOptionsPointer(so)
	if err != nil {
		return "", err
	}
	if err := rt.Append(ptr, []ortep.Device{d}, providerOptions(device, d, opts)); err != nil {
		return "", fmt.Errorf("%s on GPU %d: %w", p.ep, opts.GPUID, err)
	}
	return describe(d, opts.GPUID), nil
}

// appendBuiltin appends a provider compiled into the ONNX Runtime library.
func appendBuiltin(so *ort.SessionOptions, device string, opts Options) error {
	o := providerOptions(device, ortep.Device{}, opts)
	if device == "tensorrt" {
		t, err := ort.NewTensorRTProviderOptions()
		if err != nil {
			return err
		}
		defer t.Destroy()
		if err := t.Update(o); err != nil {
			return err
		}
		return so.AppendExecutionProviderTensorRT(t)
	}
	c, err := ort.NewCUDAProviderOptions()
	if err != nil {
		return err
	}
	defer c.Destroy()
	if err := c.Update(o); err != nil {
		return err
	}
	return so.AppendExecutionProviderCUDA(c)
}

// pickGPU finds the GPU with CUDA ordinal gpu among the provider's devices.
// The provider is matched by its usual name, else by one naming the plugin
// (a later plugin build may call itself otherwise).
func pickGPU(devs []ortep.Device, p plugin, gpu int) (ortep.Device, error) {
	var gpus, named []ortep.Device
	var offered []string
	for _, d := range devs {
		offered = append(offered, d.EP)
		if d.Type != ortep.GPU {
			continue
		}
		if d.EP == p.ep {
			gpus = append(gpus, d)
		} else if strings.Contains(strings.ToLower(d.EP), strings.ToLower(p.name)) {
			named = append(named, d)
		}
	}
	if len(gpus) == 0 {
		gpus = named
	}
	if len(gpus) == 0 {
		return ortep.Device{}, fmt.Errorf("the %s plugin loaded but offers no GPU (providers: %s): no NVIDIA GPU, or its driver is not loaded (osr doctor says which)",
			p.name, strings.Join(offered, ", "))
	}
	for _, d := range gpus {
		if d.Options["device_id"] == strconv.Itoa(gpu) {
			return d, nil
		}
	}
	if gpu >= 0 && gpu < len(gpus) {
		return gpus[gpu], nil
	}
	return ortep.Device{}, fmt.Errorf("runtime.gpu_id is %d but %s offers %d GPU(s) (0 to %d)", gpu, gpus[0].EP, len(gpus), len(gpus)-1)
}

// providerOptions are the ONNX Runtime provider options osr sets.
func providerOptions(device string, d ortep.Device, opts Options) map[string]string {
	o := map[string]string{"device_id": strconv.Itoa(opts.GPUID)}
	if id, ok := d.Options["device_id"]; ok {
		o["device_id"] = id
	}
	if device != "cuda" {
		return o
	}
	switch opts.GPU.ConvAlgoSearch {
	case "exhaustive":
		o["cudnn_conv_algo_search"] = "EXHAUSTIVE"
	case "heuristic":
		o["cudnn_conv_algo_search"] = "HEURISTIC"
	case "default":
		o["cudnn_conv_algo_search"] = "DEFAULT"
	}
	if opts.GPU.MemLimitMB > 0 {
		o["gpu_mem_limit"] = strconv.FormatInt(int64(opts.GPU.MemLimitMB)<<20, 10)
	}
	if opts.GPU.CUDAGraph {
		o["enable_cuda_graph"] = "1"
	}
	return o
}

func describe(d ortep.Device, gpu int) string {
	id := d.Options["device_id"]
	if id == "" {
		id = strconv.Itoa(gpu)
	}
	return fmt.Sprintf("gpu %s (%s, %s %04x:%04x)", id, d.EP, d.Vendor, d.VendorID, d.DeviceID)
}

// sessionOptionsPointer is the OrtSessionOptions* inside onnxruntime_go's
// SessionOptions, whose only field it is; TestSessionOptionsPointer checks
// that it is.
func sessionOptionsPointer(so *ort.SessionOptions) (unsafe.Pointer, error) {
	if unsafe.Sizeof(*so) != unsafe.Sizeof(uintptr(0)) {
		return nil, errors.New("onnxruntime_go's SessionOptions changed layout: osr's execution provider shim needs updating")
	}
	p := *(*unsafe.Pointer)(unsafe.Pointer(so))
	if p == nil {
		return nil, errors.New("session options are not initialised")
	}
	return p, nil
}

// loadedLibrary is the path ONNX Runtime was loaded from.
func loadedLibrary() string {
	ortEnv.Lock()
	defer ortEnv.Unlock()
	return ortEnv.lib
}

// DeviceProbe is what ProbeDevice found, as far as it got.
type DeviceProbe struct {
	Library string // the ONNX Runtime library, and its version
	Version string
	Plugin  string // the device's provider plugin; "" on cpu
	// Devices are the (provider, device) pairs the runtime offers once the
	// plugin is registered.
	Devices []ortep.Device
	Chosen  string // the GPU runtime.gpu_id picks
}

// ProbeDevice loads the runtime and, for cuda or tensorrt, registers the
// plugin, lists its devices, picks the GPU and appends it to session
// options, as an engine would, without a model. The error says which step
// failed and why.
func ProbeDevice(opts Options) (DeviceProbe, error) {
	var pr DeviceProbe
	lib, err := FindLibrary(opts.Library)
	if err != nil {
		return pr, err
	}
	pr.Library = lib
	if err := acquireRuntime(lib); err != nil {
		return pr, err
	}
	defer releaseRuntime()
	pr.Version = ort.GetVersion()
	p, ok := plugins[opts.Device]
	if !ok {
		return pr, nil
	}
	if pr.Plugin, err = FindPlugin(opts.Device, opts.GPU.Plugins); err != nil {
		return pr, err
	}
	rt, err := ortep.Open(loadedLibrary())
	if err != nil {
		return pr, err
	}
	defer rt.Close()
	regErr := register(rt, p, pr.Plugin)
	if pr.Devices, err = rt.Devices(); err != nil {
		return pr, errors.Join(regErr, err)
	}
	if regErr != nil {
		return pr, regErr
	}
	so, err := ort.NewSessionOptions()
	if err != nil {
		return pr, err
	}
	defer so.Destroy()
	pr.Chosen, err = appendPlugin(so, opts.Device, opts)
	return pr, err
}
