package imageio

import (
	"bytes"
	"fmt"
	"image"
	"image/png"

	"osr/internal/atomicfile"
)

// WriteGray writes 8-bit values as a grayscale PNG.
func WriteGray(path string, w, h int, pix []uint8) error {
	im := &image.Gray{Pix: pix, Stride: w, Rect: image.Rect(0, 0, w, h)}
	return writePNG(path, im)
}

// WriteGray16 writes values in [0,1] as a 16-bit grayscale PNG.
func WriteGray16(path string, w, h int, v []float32) error {
	im := image.NewGray16(image.Rect(0, 0, w, h))
	for i, f := range v {
		q := uint16(min(max(f, 0), 1)*65535 + 0.5)
		im.Pix[2*i], im.Pix[2*i+1] = uint8(q>>8), uint8(q)
	}
	return writePNG(path, im)
}

// WriteRGB writes a packed RGB frame as a PNG.
func WriteRGB(path string, im RGB) error {
	n := image.NewNRGBA(image.Rect(0, 0, im.Width, im.Height))
	for i := 0; i < im.Width*im.Height; i++ {
		copy(n.Pix[4*i:4*i+3], im.Pix[3*i:3*i+3])
		n.Pix[4*i+3] = 255
	}
	return writePNG(path, n)
}

func writePNG(path string, im image.Image) error {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, im); err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return atomicfile.Write(path, buf.Bytes())
}
