package nn

import (
	"bytes"
	"encoding/gob"
	"testing"
)

func FuzzDecodeCheckpoint(f *testing.F) {
	c := NewCheckpoint(3)
	c.Params["a"] = []float32{1, 2}
	c.Norms["n"] = [2][]float32{{0}, {1}}
	c.Optim["seg"] = AdamState{T: 1, M: map[string][]float32{"a": {0, 0}}, V: map[string][]float32{"a": {0, 0}}}
	var b bytes.Buffer
	gob.NewEncoder(&b).Encode(c)
	f.Add(b.Bytes())
	f.Add([]byte("not a checkpoint"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if c, err := DecodeCheckpoint(data); err == nil && c.Version != checkpointVersion {
			t.Fatalf("accepted version %d", c.Version)
		}
	})
}
