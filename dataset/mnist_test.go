package dataset

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeModule puts an MNIST data folder where the go command would extract
// the GoMNIST module under cache, and returns it.
func fakeModule(t *testing.T, cache string) string {
	t.Helper()
	dir := filepath.Join(cache, mnistModuleInCache+"@v0.0.0-20150320212226-2fbe10d0fa63", "data")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, MNISTTestImages), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// MNISTDir finds the module cache as the go command would, with no go
// command on the PATH.
func TestMNISTDirWithoutTheGoCommand(t *testing.T) {
	t.Setenv("PATH", "")
	t.Setenv("GOMODCACHE", "")
	t.Setenv("GOPATH", "")

	cache := t.TempDir()
	want := fakeModule(t, cache)
	t.Setenv("GOMODCACHE", cache)
	if dir, err := MNISTDir(); err != nil || dir != want {
		t.Errorf("$GOMODCACHE: %q, %v", dir, err)
	}
	t.Setenv("GOMODCACHE", "")

	gopath := t.TempDir()
	want = fakeModule(t, filepath.Join(gopath, "pkg", "mod"))
	t.Setenv("GOPATH", gopath+string(filepath.ListSeparator)+t.TempDir())
	if dir, err := MNISTDir(); err != nil || dir != want {
		t.Errorf("$GOPATH: %q, %v", dir, err)
	}
	t.Setenv("GOPATH", "")

	home := t.TempDir()
	t.Setenv("HOME", home)
	_, err := MNISTDir()
	if err == nil || !strings.Contains(err.Error(), "go mod download "+MNISTModule) || !strings.Contains(err.Error(), filepath.Join(home, "go", "pkg", "mod")) {
		t.Errorf("empty cache: error %v does not name the cache and how to fill it", err)
	}
	want = fakeModule(t, filepath.Join(home, "go", "pkg", "mod"))
	if dir, err := MNISTDir(); err != nil || dir != want {
		t.Errorf("~/go: %q, %v", dir, err)
	}
}

// The module version MNISTDir names is the one go.mod requires.
func TestMNISTModuleIsGoModsVersion(t *testing.T) {
	mod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Replace(MNISTModule, "@", " ", 1); !strings.Contains(string(mod), want) {
		t.Errorf("go.mod does not require %s", want)
	}
}
