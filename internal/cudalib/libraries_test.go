package cudalib

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestLoadResolvesTheFile(t *testing.T) {
	p, err := Load("libc.so.6")
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(p) {
		t.Fatalf("libc.so.6 resolved to %q, want an absolute path", p)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
}

// The loader's own message for a missing library, as ONNX Runtime passes
// it on, gives the library's name back.
func TestMissingFromLoaderError(t *testing.T) {
	_, err := Load("libosr_absent.so.13")
	if err == nil {
		t.Fatal("a library that does not exist loaded")
	}
	got, ok := MissingFromLoaderError("Failed to load library /x/libonnxruntime_providers_cuda.so with error: " + err.Error())
	if !ok || got != "libosr_absent.so.13" {
		t.Fatalf("MissingFromLoaderError(%q) = %q, %v", err, got, ok)
	}
	if _, ok := MissingFromLoaderError("CreateEpFactories not found"); ok {
		t.Fatal("a message without a missing library matched")
	}
}

func TestEveryLibraryHasAFix(t *testing.T) {
	for _, l := range append(Required("tensorrt"), driver) {
		h := Hint(l.Name)
		if !strings.Contains(h, "install") || !strings.Contains(h, l.What) {
			t.Errorf("%s: hint %q names no package", l.Name, h)
		}
		if l.Name != DriverLibrary && !strings.Contains(h, "pip install") {
			t.Errorf("%s: hint %q lacks the pip wheel", l.Name, h)
		}
	}
	names := func(ls []Library) (s []string) {
		for _, l := range ls {
			s = append(s, l.Name)
		}
		return s
	}
	if c, r := names(Required("cuda")), names(Required("tensorrt")); slices.Contains(c, "libnvinfer.so.10") || !slices.Contains(r, "libnvinfer.so.10") {
		t.Fatalf("cuda needs %v, tensorrt %v: TensorRT only for tensorrt", c, r)
	}
}

// pip's CUDA wheels put their libraries in site-packages/nvidia/*/lib,
// where the loader does not look: Find must report them there.
func TestFindInAPythonEnvironment(t *testing.T) {
	venv := t.TempDir()
	lib := filepath.Join(venv, "lib", "python3.12", "site-packages", "nvidia", "cu13", "lib")
	if err := os.MkdirAll(lib, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(lib, "libcudart.so.13"), []byte("not an ELF file"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("VIRTUAL_ENV", venv)
	dirs := SearchDirs()
	if !slices.Contains(dirs, lib) {
		t.Fatalf("SearchDirs %v lacks the environment's %s", dirs, lib)
	}
	f := Find(cudart, dirs)
	if !slices.Contains(f.Elsewhere, filepath.Join(lib, "libcudart.so.13")) {
		t.Fatalf("Find did not report the copy in %s: %+v", lib, f)
	}
	if f.OK() == (f.Path == "") {
		t.Fatalf("OK() %v but path %q", f.OK(), f.Path)
	}
}

func TestSearchDirsListLDLibraryPathFirst(t *testing.T) {
	d := t.TempDir()
	t.Setenv("LD_LIBRARY_PATH", d+":/nonexistent/osr")
	if dirs := SearchDirs(); len(dirs) < 1 || dirs[0] != d {
		t.Fatalf("SearchDirs = %v, want %s first", dirs, d)
	}
}

// Without a driver the loader's message names libcuda.so.1; with one, the
// driver reports a CUDA version and GPUs with a name and memory.
func TestProbeDriver(t *testing.T) {
	d, err := ProbeDriver()
	if _, lerr := Load(DriverLibrary); lerr != nil {
		if err == nil || !strings.Contains(err.Error(), DriverLibrary) {
			t.Fatalf("no driver here, but ProbeDriver says %+v, %v", d, err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if d.CUDAMajor < 1 || d.Path == "" {
		t.Fatalf("driver %+v", d)
	}
	for _, g := range d.GPUs {
		if g.Name == "" || g.MemoryMiB <= 0 {
			t.Errorf("GPU %+v", g)
		}
	}
}
