package main

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"

	"golang.org/x/image/draw"

	"osr/internal/imageio"
)

// scaleJPEG scales a decoded frame to w x h and encodes it as a JPEG, so
// that osr bench can time a camera's resolution (1920x1080, say) from the
// bundled frame, on both its raw-buffer and JPEG paths.
func scaleJPEG(im imageio.RGB, w, h int) ([]byte, error) {
	if w < 1 || h < 1 || w > 16384 || h > 16384 {
		return nil, fmt.Errorf("--size %dx%d: want WIDTHxHEIGHT, each in [1,16384]", w, h)
	}
	src := image.NewRGBA(image.Rect(0, 0, im.Width, im.Height))
	for i := 0; i < im.Width*im.Height; i++ {
		copy(src.Pix[4*i:4*i+3], im.Pix[3*i:3*i+3])
		src.Pix[4*i+3] = 255
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.BiLinear.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Src, nil)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 95}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// parseSize reads WIDTHxHEIGHT.
func parseSize(s string) (w, h int, err error) {
	if _, err := fmt.Sscanf(s, "%dx%d", &w, &h); err != nil {
		return 0, 0, fmt.Errorf("--size %q: want WIDTHxHEIGHT, e.g. 1920x1080", s)
	}
	return w, h, nil
}
