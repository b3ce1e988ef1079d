package osrbuild

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The binary is built outside the checkout, once, runs, and Remove
// deletes it; bin/osr is left as it was.
func TestBinaryBuildsOutsideTheCheckout(t *testing.T) {
	if testing.Short() {
		t.Skip("builds osr")
	}
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	checkout := filepath.Join(root, "bin", "osr")
	before, beforeErr := os.Stat(checkout)

	var b Binary
	p := b.Path(t)
	if rel, err := filepath.Rel(root, p); err == nil && !strings.HasPrefix(rel, "..") {
		t.Errorf("built into the checkout: %s", p)
	}
	if again := b.Path(t); again != p {
		t.Errorf("second call built again: %s, then %s", p, again)
	}
	out, err := exec.Command(p, "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "osr") {
		t.Fatalf("osr --help: %v\n%s", err, out)
	}
	after, afterErr := os.Stat(checkout)
	if (beforeErr == nil) != (afterErr == nil) || beforeErr == nil && !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("bin/osr changed: %v %v -> %v %v", before, beforeErr, after, afterErr)
	}
	b.Remove()
	if _, err := os.Stat(filepath.Dir(p)); !os.IsNotExist(err) {
		t.Errorf("Remove left %s: %v", filepath.Dir(p), err)
	}
}
