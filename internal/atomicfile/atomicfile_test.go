package atomicfile

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteReplacesWholeFileOrNothing(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "report.json")
	if err := Write(p, []byte("first")); err != nil {
		t.Fatal(err)
	}
	if err := Write(p, []byte("second")); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	st, _ := os.Stat(p)
	if string(b) != "second" || st.Mode().Perm() != 0o644 {
		t.Fatalf("content %q mode %v", b, st.Mode())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
}

// readOnlyEnv names the directory that the copy of
// TestWriteIntoReadOnlyDirectory in a mount namespace sees read-only.
const readOnlyEnv = "ATOMICFILE_READONLY_DIR"

// A directory that cannot be written: an error, the old file intact and
// nothing left beside it. Root ignores directory permissions (and CI runs
// as root), so the test also runs a copy of itself in a user and mount
// namespace where the directory is mounted read-only, as the fault tests
// of cmd/osr do.
func TestWriteIntoReadOnlyDirectory(t *testing.T) {
	if ro := os.Getenv(readOnlyEnv); ro != "" {
		err := Write(filepath.Join(ro, "x"), []byte("new"))
		if err == nil {
			t.Fatal("write into a read-only directory succeeded")
		}
		t.Logf("refused: %v", err)
		return
	}
	ro := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(ro, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ro, "x"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	unchanged := func(how string) {
		t.Helper()
		if b, _ := os.ReadFile(filepath.Join(ro, "x")); string(b) != "old" {
			t.Errorf("%s: old file changed to %q", how, b)
		}
		if entries, _ := os.ReadDir(ro); len(entries) != 1 {
			t.Errorf("%s: files left behind: %v", how, entries)
		}
	}

	if os.Geteuid() != 0 {
		os.Chmod(ro, 0o555)
		err := Write(filepath.Join(ro, "x"), []byte("new"))
		os.Chmod(ro, 0o755)
		if err == nil {
			t.Fatal("write into a directory without write permission succeeded")
		}
		unchanged("mode 0555")
	}

	if out, err := exec.Command("unshare", "--user", "--map-root-user", "--mount", "true").CombinedOutput(); err != nil {
		t.Skipf("needs unshare (util-linux) with user and mount namespaces (kernel.unprivileged_userns_clone=1; not inside a chroot) to mount a read-only directory: %v\n%s", err, out)
	}
	script := `mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" || exit 99; shift; exec "$@"`
	cmd := exec.Command("unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script, "sh", ro,
		os.Args[0], "-test.run", "^TestWriteIntoReadOnlyDirectory$", "-test.v")
	cmd.Env = append(os.Environ(), readOnlyEnv+"="+ro)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee) && ee.ExitCode() == 99:
		t.Skipf("cannot mount a directory read-only in a user namespace here: %v\n%s", err, out)
	case err != nil:
		t.Fatalf("in a namespace with %s read-only: %v\n%s", ro, err, out)
	case !strings.Contains(string(out), "refused: write "+filepath.Join(ro, "x")) || !strings.Contains(string(out), "read-only file system"):
		t.Fatalf("the copy in the namespace did not report the refused write:\n%s", out)
	}
	unchanged("read-only mount")
}
