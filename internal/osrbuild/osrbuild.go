// Package osrbuild builds the osr binary for tests that run it as a user
// does. It builds into a temporary directory, never over bin/osr: that is
// the checkout's binary, which setup.sh may have built with other tags
// (the ROS 2 transport) than the test's.
package osrbuild

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Binary is cmd/osr built once, with Tags, on first use.
type Binary struct {
	Tags []string

	once sync.Once
	path string
	err  error
}

// Path builds the binary on the first call and returns its path; a
// failed build fails the test.
func (b *Binary) Path(t testing.TB) string {
	t.Helper()
	b.once.Do(b.build)
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

func (b *Binary) build() {
	root, err := ModuleRoot()
	if err != nil {
		b.err = err
		return
	}
	dir, err := os.MkdirTemp("", "osr-test-bin")
	if err != nil {
		b.err = err
		return
	}
	b.path = filepath.Join(dir, "osr")
	args := []string{"build"}
	if len(b.Tags) > 0 {
		args = append(args, "-tags", strings.Join(b.Tags, ","))
	}
	cmd := exec.Command("go", append(args, "-o", b.path, "./cmd/osr")...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		b.err = fmt.Errorf("go %s: %v\n%s", strings.Join(cmd.Args[1:], " "), err, out)
	}
}

// Remove deletes the built binary and its directory; call it from
// TestMain after m.Run.
func (b *Binary) Remove() {
	if b.path != "" {
		os.RemoveAll(filepath.Dir(b.path))
	}
}

// ModuleRoot is the directory of the osr checkout (where go.mod is), as
// the go command finds it from the test's working directory.
func ModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("not inside the osr module (go env GOMOD is %q)", mod)
	}
	return filepath.Dir(mod), nil
}
