package bags

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadROS1 feeds arbitrary bytes after a valid bag header: the reader
// must count and skip what it cannot parse, never panic.
func FuzzReadROS1(f *testing.F) {
	dir := f.TempDir()
	path := filepath.Join(dir, "seed.bag")
	if w, err := CreateROS1(path, "lz4", 0); err == nil {
		w.Write("/i", t0, sampleImage(0))
		w.Close()
		if b, err := os.ReadFile(path); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ReadROS1From(bytes.NewReader(data), int64(len(data)), func(m Message) error {
			Decode(m)
			return nil
		})
	})
}
