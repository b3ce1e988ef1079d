package dataset

import (
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
