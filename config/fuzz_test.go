package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds arbitrary bytes as the node's config file: Load returns
// a config that validates or an error, never a panic.
func FuzzLoad(f *testing.F) {
	if b, err := os.ReadFile("../config/osr.yaml"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("node:\n  transport: ros2\nros2:\n  image_depth: 5\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "osr.yaml")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Skip(err)
		}
		if c, err := Load(p, nil, nil); err == nil {
			if err := c.Validate(); err != nil {
				t.Fatalf("Load returned a config that does not validate: %v", err)
			}
		}
	})
}
