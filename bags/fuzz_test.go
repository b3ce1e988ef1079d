package bags

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"osr/msgs"
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

// FuzzReadMCAP feeds arbitrary bytes to the MCAP reader and decodes every
// message it yields: errors and counts, never a panic. The seed is a
// valid two-message file.
func FuzzReadMCAP(f *testing.F) {
	path := filepath.Join(f.TempDir(), "seed.mcap")
	if w, err := CreateMCAP(path); err == nil {
		w.Write("/i", t0, sampleImage(0))
		w.Write("/s", t0, &msgs.String{Data: "x"})
		w.Close()
		if b, err := os.ReadFile(path); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ReadMCAPFrom(bytes.NewReader(data), func(m Message) error {
			Decode(m)
			return nil
		})
	})
}
