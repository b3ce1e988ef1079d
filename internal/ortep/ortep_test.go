package ortep_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	ort "github.com/yalue/onnxruntime_go"

	"osr/internal/cudalib"
	"osr/internal/ortep"
	"osr/model"
)

// lib is the ONNX Runtime library loaded for the whole test binary (one
// per process): the GPU install's core library where it is present.
var lib string

func TestMain(m *testing.M) {
	var err error
	if lib, err = model.FindLibrary(""); err == nil {
		ort.SetSharedLibraryPath(lib)
		err = ort.InitializeEnvironment(ort.WithLogLevelError())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ortep tests need ONNX Runtime:", err)
		os.Exit(1)
	}
	code := m.Run()
	ort.DestroyEnvironment()
	os.Exit(code)
}

func open(t *testing.T) *ortep.Runtime {
	t.Helper()
	rt, err := ortep.Open(lib)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rt.Close)
	return rt
}

// The slots osr calls must be those of the header onnxruntime_go builds
// against: a wrong slot calls another function.
func TestSlotsMatchHeader(t *testing.T) {
	cc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("gcc not installed (apt install gcc)")
	}
	dir, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/yalue/onnxruntime_go").Output()
	if err != nil {
		t.Skipf("go list cannot find onnxruntime_go's source: %v", err)
	}
	want := map[string]int{}
	f, err := os.Open("slots.h")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var prog strings.Builder
	prog.WriteString("#include <stdio.h>\n#include <stddef.h>\n#include \"onnxruntime_c_api.h\"\nint main(void) {\n")
	for sc := bufio.NewScanner(f); sc.Scan(); {
		fs := strings.Fields(sc.Text())
		if len(fs) != 3 || fs[0] != "#define" {
			continue
		}
		n, err := strconv.Atoi(fs[2])
		if err != nil {
			t.Fatalf("slots.h: %q", sc.Text())
		}
		if fs[1] == "ORTEP_API_VERSION" {
			fmt.Fprintf(&prog, "printf(\"ORTEP_API_VERSION %%d\\n\", ORT_API_VERSION);\n")
		} else {
			name := strings.TrimPrefix(fs[1], "SLOT_")
			fmt.Fprintf(&prog, "printf(\"%s %%zu\\n\", offsetof(OrtApi, %s) / sizeof(void *));\n", fs[1], name)
		}
		want[fs[1]] = n
	}
	prog.WriteString("return 0;\n}\n")
	tmp := t.TempDir()
	src, exe := filepath.Join(tmp, "slots.c"), filepath.Join(tmp, "slots")
	if err := os.WriteFile(src, []byte(prog.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(cc, "-I", strings.TrimSpace(string(dir)), "-o", exe, src).CombinedOutput(); err != nil {
		t.Fatalf("compile against onnxruntime_c_api.h: %v\n%s", err, out)
	}
	out, err := exec.Command(exe).Output()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var k string
		var v int
		fmt.Sscanf(l, "%s %d", &k, &v)
		got[k] = v
	}
	if len(want) < 10 {
		t.Fatalf("read only %d slots from slots.h", len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %d in slots.h, %d in onnxruntime_go's header", k, v, got[k])
		}
	}
}

func TestOpenNeedsTheLoadedRuntime(t *testing.T) {
	_, err := ortep.Open("/nonexistent/libonnxruntime.so")
	if err == nil || !strings.Contains(err.Error(), "not loaded") {
		t.Fatalf("Open of a library not loaded: %v", err)
	}
}

func TestDevicesOfferTheCPU(t *testing.T) {
	devs, err := open(t).Devices()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, d := range devs {
		if d.EP == "CPUExecutionProvider" {
			found = d.Type == ortep.CPU
		}
	}
	if !found {
		t.Fatalf("no CPUExecutionProvider on a CPU device in %+v", devs)
	}
}

func TestRegisterNamesTheFile(t *testing.T) {
	rt := open(t)
	missing := filepath.Join(t.TempDir(), "libosr_no_such_plugin.so")
	err := rt.Register("OSRMissing", missing)
	if err == nil || !strings.Contains(err.Error(), "libosr_no_such_plugin.so") {
		t.Fatalf("registering a missing file: %v", err)
	}
	// A library that loads but is no plugin.
	libc, err := cudalib.Load("libc.so.6")
	if err != nil {
		t.Fatal(err)
	}
	if err := rt.Register("OSRLibc", libc); err == nil {
		rt.Unregister("OSRLibc")
		t.Fatal("libc registered as an execution provider")
	}
}

func TestAppendRejectsForeignDevices(t *testing.T) {
	rt := open(t)
	if err := rt.Append(nil, nil, nil); err == nil {
		t.Fatal("nil session options accepted")
	}
	var d ortep.Device
	if err := rt.Append(unsafe.Pointer(new(byte)) /* never dereferenced */, []ortep.Device{d}, nil); err == nil ||
		!strings.Contains(err.Error(), "did not come from Devices") {
		t.Fatalf("a device not from Devices: %v", err)
	}
}

// The real CUDA plugin: on a machine without CUDA 13 the loader refuses it
// and names the library; with them, it registers and offers a GPU for each
// one the driver reports.
func TestRegisterCUDAPlugin(t *testing.T) {
	plugin, err := model.FindPlugin("cuda", "")
	if err != nil {
		t.Skipf("CUDA plugin not installed: %v", err)
	}
	if !strings.HasPrefix(ort.GetVersion(), "1.29") {
		t.Skipf("the plugin needs the GPU install's core library; ONNX Runtime %s is loaded", ort.GetVersion())
	}
	rt := open(t)
	var missing []string
	for _, l := range append(cudalib.Required("cuda"), cudalib.Library{Name: cudalib.DriverLibrary}) {
		if _, err := cudalib.Load(l.Name); err != nil {
			missing = append(missing, l.Name)
		}
	}
	err = rt.Register("CUDA", plugin)
	if err == nil {
		defer rt.Unregister("CUDA")
	}
	if len(missing) > 0 {
		if err == nil {
			t.Fatalf("the plugin registered though %v are missing", missing)
		}
		name, ok := cudalib.MissingFromLoaderError(err.Error())
		if !ok || !contains(missing, name) {
			t.Fatalf("error %q does not name one of the missing %v", err, missing)
		}
		return
	}
	if err != nil {
		t.Fatalf("every library is present but registration failed: %v", err)
	}
	devs, err := rt.Devices()
	if err != nil {
		t.Fatal(err)
	}
	drv, err := cudalib.ProbeDriver()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range devs {
		if d.EP == "CUDAExecutionProvider" && d.Type == ortep.GPU {
			if d.VendorID != 0x10de || d.Options["device_id"] != strconv.Itoa(n) {
				t.Errorf("CUDA device %d: %+v", n, d)
			}
			n++
		}
	}
	if n != len(drv.GPUs) {
		t.Fatalf("the plugin offers %d GPUs, the driver reports %d", n, len(drv.GPUs))
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
