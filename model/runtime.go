package model

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// NPMLibrary is where `npm install --ignore-scripts` puts the ONNX Runtime
// shared library, relative to the directory holding package.json.
const NPMLibrary = "node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1"

// LibraryEnv overrides the library path when the config names none.
const LibraryEnv = "ONNXRUNTIME_LIB"

// InstallHint tells a user how to get the runtime library.
const InstallHint = "install it with `npm install --ignore-scripts` in the osr checkout, " +
	"or point runtime.library (or " + LibraryEnv + ") at a libonnxruntime.so of version 1.24 or newer"

// ONNX Runtime keeps one environment per process, so the runtime is shared
// and reference-counted here rather than owned by each engine.
var ortEnv struct {
	sync.Mutex
	refs int
	lib  string
}

// FindLibrary resolves the ONNX Runtime library: configured path, then
// $ONNXRUNTIME_LIB, then, in the working directory or any of its parents,
// then beside the executable, the GPU runtime's core library (GPULibrary,
// so that a CPU run and a GPU run's CPU fallback give the same results)
// and NPMLibrary.
func FindLibrary(configured string) (string, error) {
	if configured != "" {
		return checkLibrary(configured, "runtime.library")
	}
	if env := os.Getenv(LibraryEnv); env != "" {
		return checkLibrary(env, LibraryEnv)
	}
	var tried []string
	for _, d := range searchDirs() {
		for _, lib := range []string{GPULibrary, NPMLibrary} {
			p := filepath.Join(d, lib)
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
			if lib == NPMLibrary {
				tried = append(tried, p)
			}
		}
	}
	if len(tried) > 3 {
		tried = append(tried[:3], "...")
	}
	return "", fmt.Errorf("ONNX Runtime library not found (tried %s); %s", strings.Join(tried, ", "), InstallHint)
}

// searchDirs are where osr looks for its npm installs: the working
// directory and its parents, then the executable's directory and its parent.
func searchDirs() []string {
	var dirs []string
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			dirs = append(dirs, d)
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	if exe, err := os.Executable(); err == nil {
		dirs = append(dirs, filepath.Dir(exe), filepath.Dir(filepath.Dir(exe)))
	}
	return dirs
}

func checkLibrary(path, from string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("ONNX Runtime library %s (from %s): %w; %s", path, from, err, InstallHint)
	}
	if st.IsDir() {
		return "", fmt.Errorf("ONNX Runtime library %s (from %s) is a directory; %s", path, from, InstallHint)
	}
	return path, nil
}

// acquireRuntime initialises the ONNX Runtime environment on first use.
// Every successful call must be paired with releaseRuntime.
func acquireRuntime(configured string) error {
	ortEnv.Lock()
	defer ortEnv.Unlock()
	lib, err := FindLibrary(configured)
	if err != nil {
		return err
	}
	if ortEnv.refs > 0 {
		if lib != ortEnv.lib {
			return fmt.Errorf("ONNX Runtime is already loaded from %s; cannot also load %s in one process", ortEnv.lib, lib)
		}
		ortEnv.refs++
		return nil
	}
	ort.SetSharedLibraryPath(lib)
	if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
		return fmt.Errorf("ONNX Runtime library %s could not be initialised (wrong version or not a runtime library?): %w; %s", lib, err, InstallHint)
	}
	ortEnv.refs = 1
	ortEnv.lib = lib
	return nil
}

func releaseRuntime() error {
	ortEnv.Lock()
	defer ortEnv.Unlock()
	if ortEnv.refs == 0 {
		return errors.New("ONNX Runtime released more often than acquired")
	}
	ortEnv.refs--
	if ortEnv.refs > 0 {
		return nil
	}
	forgetPlugins()
	return ort.DestroyEnvironment()
}

// RuntimeVersion is the loaded ONNX Runtime's version, or "" when none is loaded.
func RuntimeVersion() string {
	ortEnv.Lock()
	defer ortEnv.Unlock()
	if ortEnv.refs == 0 {
		return ""
	}
	return ort.GetVersion()
}
