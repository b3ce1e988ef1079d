package dataset

import (
	"fmt"
	"os"
	"path/filepath"
)

// writeDir makes the new directory dir by fill, which writes into a
// temporary directory beside it; the temporary one is renamed into place
// only when fill succeeds, so a failed or cancelled run leaves nothing
// behind. An existing dir is refused.
func writeDir(dir, what string, fill func(tmp string) error) error {
	if _, err := os.Stat(dir); err == nil {
		return fmt.Errorf("%s: %s exists; choose a new directory", what, dir)
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), filepath.Base(dir)+".partial-")
	if err != nil {
		return err
	}
	os.Chmod(tmp, 0o755) // MkdirTemp's 0700 would outlive the rename
	err = fill(tmp)
	if err == nil {
		err = os.Rename(tmp, dir)
	}
	if err != nil {
		os.RemoveAll(tmp)
	}
	return err
}
