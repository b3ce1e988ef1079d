package dataset

import (
	"bytes"
	"os"
	"testing"
)

func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile("../testdata/camvid-mini/dataset.yaml"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if d, err := Parse(data); err == nil && len(d.Palette) != len(d.Classes) {
			t.Fatal("Parse accepted a palette that does not match the classes")
		}
	})
}

func FuzzDecodeIDX(f *testing.F) {
	f.Add([]byte{0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4})
	f.Add([]byte{0, 0, 8, 3, 0, 255, 255, 255, 0, 255, 255, 255, 0, 0, 0, 2})
	f.Fuzz(func(t *testing.T, data []byte) {
		pix, dims, err := decodeIDX(bytes.NewReader(data), 0x803, 3)
		if err == nil && len(pix) != dims[0]*dims[1]*dims[2] {
			t.Fatalf("%d bytes for dims %v", len(pix), dims)
		}
	})
}
