package cudalib

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// DriverLibrary is the CUDA driver's library, installed with the NVIDIA driver.
const DriverLibrary = "libcuda.so.1"

// Library is one shared library a provider plugin needs.
type Library struct {
	Name string // soname
	What string // what it is, for people
	Fix  string // what to install
}

var (
	cudart  = Library{"libcudart.so.13", "CUDA 13 runtime", "apt install cuda-cudart-13-0 (NVIDIA's CUDA repository), or pip install 'nvidia-cuda-runtime==13.*'"}
	cublas  = Library{"libcublas.so.13", "cuBLAS (CUDA 13)", "apt install libcublas-13-0, or pip install 'nvidia-cublas==13.*'"}
	cublas2 = Library{"libcublasLt.so.13", "cuBLASLt (CUDA 13)", "apt install libcublas-13-0, or pip install 'nvidia-cublas==13.*'"}
	curand  = Library{"libcurand.so.10", "cuRAND (CUDA 13)", "apt install libcurand-13-0, or pip install 'nvidia-curand==10.*'"}
	cudnn   = Library{"libcudnn.so.9", "cuDNN 9 for CUDA 13", "apt install libcudnn9-cuda-13, or pip install 'nvidia-cudnn-cu13==9.*'"}
	nvinfer = Library{"libnvinfer.so.10", "TensorRT 10", "apt install libnvinfer10 (NVIDIA's repository), or pip install 'tensorrt-cu13-libs==10.*'"}
	nvonnx  = Library{"libnvonnxparser.so.10", "TensorRT 10 ONNX parser", "apt install libnvonnxparsers10, or pip install 'tensorrt-cu13-libs==10.*'"}
	driver  = Library{DriverLibrary, "NVIDIA driver (CUDA driver API)", "install the NVIDIA driver, 580 or newer for CUDA 13 (the distribution's nvidia-driver package; on a Jetson it comes with JetPack)"}
)

// Required lists the libraries device's provider plugin needs, beyond the
// driver: the CUDA plugin's own dependencies and cuDNN, which it opens
// when it starts; TensorRT's add TensorRT 10.
func Required(device string) []Library {
	libs := []Library{cudart, cublas, cublas2, curand, cudnn}
	if device == "tensorrt" {
		libs = append(libs, nvinfer, nvonnx)
	}
	return libs
}

// Hint is what to install for a missing library.
func Hint(name string) string {
	for _, l := range append(Required("tensorrt"), driver) {
		if l.Name == name {
			return l.What + ": " + l.Fix
		}
	}
	return "find the package that provides " + name
}

var missingRE = regexp.MustCompile(`([A-Za-z0-9_.+-]+\.so(?:\.[0-9]+)*): cannot open shared object file`)

// MissingFromLoaderError extracts the library the dynamic loader could not
// find from its message.
func MissingFromLoaderError(msg string) (string, bool) {
	m := missingRE.FindStringSubmatch(msg)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// Found is where a library was found.
type Found struct {
	Library
	// Path is the file the loader resolved the name to; empty when the
	// loader cannot find it.
	Path string
	// LoadError is the loader's message when it cannot load the library.
	LoadError string
	// Elsewhere lists copies the loader does not search (a Python
	// environment's nvidia/*/lib, a CUDA install not on the path): adding
	// their folder to LD_LIBRARY_PATH makes them loadable.
	Elsewhere []string
}

// OK says whether the loader loads the library.
func (f Found) OK() bool { return f.LoadError == "" }

// Find loads lib as the loader would, and looks for copies in dirs.
func Find(lib Library, dirs []string) Found {
	f := Found{Library: lib}
	path, err := Load(lib.Name)
	if err != nil {
		f.LoadError = err.Error()
	} else {
		f.Path = path
	}
	for _, d := range dirs {
		p := filepath.Join(d, lib.Name)
		if _, err := os.Stat(p); err == nil && !sameFile(p, f.Path) {
			f.Elsewhere = append(f.Elsewhere, p)
		}
	}
	return f
}

func sameFile(a, b string) bool {
	if b == "" {
		return false
	}
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

// SearchDirs are the folders where CUDA libraries are commonly installed but
// the loader may not look: LD_LIBRARY_PATH (listed so that a copy there
// shows as found), NVIDIA's CUDA installs, and the nvidia/*/lib folders of
// Python environments, where pip's nvidia-* wheels put them.
func SearchDirs() []string {
	var dirs []string
	for _, d := range filepath.SplitList(os.Getenv("LD_LIBRARY_PATH")) {
		if d != "" {
			dirs = append(dirs, d)
		}
	}
	globs := []string{"/usr/local/cuda/lib64", "/usr/local/cuda-13*/lib64", "/usr/local/cuda*/targets/*/lib",
		"/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu"}
	for _, sp := range sitePackages() {
		globs = append(globs, filepath.Join(sp, "nvidia", "*", "lib"), filepath.Join(sp, "nvidia", "*", "lib64"),
			filepath.Join(sp, "tensorrt_libs"))
	}
	seen := map[string]bool{}
	var out []string
	for _, d := range dirs {
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	for _, g := range globs {
		ms, _ := filepath.Glob(g)
		sort.Strings(ms)
		for _, m := range ms {
			if st, err := os.Stat(m); err == nil && st.IsDir() && !seen[m] {
				seen[m] = true
				out = append(out, m)
			}
		}
	}
	return out
}

// sitePackages lists Python environments' package folders: the active
// virtual or conda environment, the user's and the system's, and what each
// python3 on the PATH reports.
func sitePackages() []string {
	var globs []string
	for _, env := range []string{os.Getenv("VIRTUAL_ENV"), os.Getenv("CONDA_PREFIX")} {
		if env != "" {
			globs = append(globs, filepath.Join(env, "lib", "python3*", "site-packages"))
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		globs = append(globs, filepath.Join(home, ".local", "lib", "python3*", "site-packages"))
	}
	globs = append(globs, "/usr/local/lib/python3*/dist-packages", "/usr/local/lib/python3*/site-packages",
		"/usr/lib/python3/dist-packages", "/opt/conda/lib/python3*/site-packages")
	var out []string
	for _, g := range globs {
		ms, _ := filepath.Glob(g)
		out = append(out, ms...)
	}
	for _, py := range []string{"python3", "python"} {
		exe, err := exec.LookPath(py)
		if err != nil {
			continue
		}
		b, err := exec.Command(exe, "-c", "import site, sys; print('\\n'.join(site.getsitepackages() + [site.getusersitepackages()]))").Output()
		if err != nil {
			continue
		}
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				out = append(out, l)
			}
		}
	}
	return out
}
