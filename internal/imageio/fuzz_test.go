package imageio

import (
	"bytes"
	"image"
	"image/png"
	"testing"
)

func FuzzDecode(f *testing.F) {
	var b bytes.Buffer
	png.Encode(&b, image.NewGray(image.Rect(0, 0, 3, 2)))
	f.Add(b.Bytes())
	f.Add(pngHeader(10, 10))
	f.Add([]byte{0xff, 0xd8, 0xff, 0xe0})
	f.Fuzz(func(t *testing.T, data []byte) {
		if d, err := Decode(data); err == nil {
			if err := d.Check(); err != nil {
				t.Fatalf("decoded a bad RGB buffer: %v", err)
			}
		}
	})
}
