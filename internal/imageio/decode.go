package imageio

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	_ "image/jpeg" // register decoders
	_ "image/png"
	"io"
	"os"
	"strings"

	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/tiff"
)

// Limits on what is decoded, so that one bad file cannot exhaust memory.
const (
	MaxPixels    = 64 << 20  // 64 megapixels
	MaxFileBytes = 256 << 20 // 256 MiB
)

// ErrEmpty is returned for zero-byte input.
var ErrEmpty = errors.New("empty image data")

// Decoded is an RGB frame and what was done to make it RGB: "" for 8-bit
// colour input, else a note such as "converted from 16-bit grayscale".
type Decoded struct {
	RGB
	Format string
	Note   string
}

// Decode decodes a JPEG, PNG, BMP or TIFF buffer into RGB. Grayscale,
// 16-bit and alpha images are converted, and the conversion is noted.
func Decode(data []byte) (Decoded, error) { return DecodeInto(data, nil) }

// DecodeInto is Decode writing the pixels into pix's array when it has
// room, so that a camera's frames, decoded one after another into the
// same buffer, allocate no RGB frame each (the decoder's own planes
// still are).
func DecodeInto(data []byte, pix []uint8) (Decoded, error) {
	if len(data) == 0 {
		return Decoded{}, ErrEmpty
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		if f := sniff(data); f != "" {
			if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
				return Decoded{}, fmt.Errorf("truncated %s image: %w", f, err)
			}
			return Decoded{}, fmt.Errorf("corrupt %s image: %w", f, err)
		}
		return Decoded{}, fmt.Errorf("not a readable image (jpeg, png, bmp or tiff): %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return Decoded{}, fmt.Errorf("%s image has size %dx%d", format, cfg.Width, cfg.Height)
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > MaxPixels {
		return Decoded{}, fmt.Errorf("%s image is %dx%d (%d megapixels), over the %d megapixel limit", format, cfg.Width, cfg.Height, px>>20, MaxPixels>>20)
	}
	im, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "EOF") {
			return Decoded{}, fmt.Errorf("truncated %s image: %w", format, err)
		}
		return Decoded{}, fmt.Errorf("corrupt %s image: %w", format, err)
	}
	rgb, note := toRGB(im, pix)
	return Decoded{RGB: rgb, Format: format, Note: note}, nil
}

// ReadFile reads and decodes an image file.
func ReadFile(path string) (RGB, error) {
	d, err := ReadFileNoted(path)
	return d.RGB, err
}

// ReadFileNoted is ReadFile that also returns the conversion note. Its
// errors start with the path.
func ReadFileNoted(path string) (Decoded, error) {
	d, err := readFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return Decoded{}, fmt.Errorf("%s: %w", path, pe.Err)
		}
		return Decoded{}, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}

func readFile(path string) (Decoded, error) {
	st, err := os.Stat(path)
	if err != nil {
		return Decoded{}, err
	}
	if st.IsDir() {
		return Decoded{}, errors.New("is a directory")
	}
	if st.Size() > MaxFileBytes {
		return Decoded{}, fmt.Errorf("file is %d MiB, over the %d MiB limit", st.Size()>>20, MaxFileBytes>>20)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return Decoded{}, err
	}
	return Decode(data)
}

// chroma and ycc are color.YCbCrToRGB in two steps, the same integer
// arithmetic to the bit: the chroma terms of R, G and B, then one pixel's
// luma added and clamped, so that pixels sharing a chroma sample compute
// its terms once.
func chroma(cb, cr uint8) (rc, gc, bc int32) {
	cb1, cr1 := int32(cb)-128, int32(cr)-128
	return 91881 * cr1, -22554*cb1 - 46802*cr1, 116130 * cb1
}

func ycc(y uint8, rc, gc, bc int32) (uint8, uint8, uint8) {
	yy1 := int32(y) * 0x10101
	return clamp16(yy1 + rc), clamp16(yy1 + gc), clamp16(yy1 + bc)
}

// clamp16 is v>>16 clamped to [0, 255], as color.YCbCrToRGB does it.
func clamp16(v int32) uint8 {
	if uint32(v)&0xff000000 == 0 {
		return uint8(v >> 16)
	}
	return uint8(^(v >> 31))
}

// sniff names the format of data by its magic bytes, or "".
func sniff(data []byte) string {
	for _, m := range []struct{ magic, name string }{
		{"\xff\xd8", "jpeg"}, {"\x89PNG", "png"}, {"BM", "bmp"}, {"II*\x00", "tiff"}, {"MM\x00*", "tiff"},
	} {
		if bytes.HasPrefix(data, []byte(m.magic)) {
			return m.name
		}
	}
	return ""
}

// toRGB converts im to packed RGB in pix's array where it has room.
func toRGB(im image.Image, pix []uint8) (RGB, string) {
	b := im.Bounds()
	w, h := b.Dx(), b.Dy()
	if cap(pix) < 3*w*h {
		pix = make([]uint8, 3*w*h)
	}
	out := RGB{Width: w, Height: h, Pix: pix[:3*w*h]}
	note := ""
	switch src := im.(type) {
	case *image.YCbCr:
		// The common JPEG case, converted without the generic path: a row
		// at a time, the chroma column from a shift where the subsampling
		// is horizontal by 2 or none.
		hs := -1
		switch src.SubsampleRatio {
		case image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio440:
			hs = 0
		case image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420:
			hs = 1
		}
		for y := 0; y < h; y++ {
			row := out.Pix[3*y*w : 3*(y+1)*w]
			if hs < 0 {
				for x := 0; x < w; x++ {
					yi := src.YOffset(b.Min.X+x, b.Min.Y+y)
					ci := src.COffset(b.Min.X+x, b.Min.Y+y)
					row[3*x], row[3*x+1], row[3*x+2] = color.YCbCrToRGB(src.Y[yi], src.Cb[ci], src.Cr[ci])
				}
				continue
			}
			yi := src.YOffset(b.Min.X, b.Min.Y+y)
			ci := src.COffset(b.Min.X, b.Min.Y+y)
			ys := src.Y[yi : yi+w]
			if hs == 0 {
				for x := range ys {
					p := row[3*x : 3*x+3 : 3*x+3]
					p[0], p[1], p[2] = color.YCbCrToRGB(ys[x], src.Cb[ci+x], src.Cr[ci+x])
				}
				continue
			}
			// Two pixels share a chroma sample: its terms are computed
			// once for both (a pixel at an odd left edge or at the right
			// edge alone).
			x := 0
			if b.Min.X&1 == 1 {
				p := row[0:3:3]
				p[0], p[1], p[2] = color.YCbCrToRGB(ys[0], src.Cb[ci], src.Cr[ci])
				x, ci = 1, ci+1
			}
			for ; x+1 < w; x, ci = x+2, ci+1 {
				rc, gc, bc := chroma(src.Cb[ci], src.Cr[ci])
				p := row[3*x : 3*x+6 : 3*x+6]
				p[0], p[1], p[2] = ycc(ys[x], rc, gc, bc)
				p[3], p[4], p[5] = ycc(ys[x+1], rc, gc, bc)
			}
			if x < w {
				p := row[3*x : 3*x+3 : 3*x+3]
				p[0], p[1], p[2] = color.YCbCrToRGB(ys[x], src.Cb[ci], src.Cr[ci])
			}
		}
		return out, ""
	case *image.Gray:
		note = "converted from 8-bit grayscale"
	case *image.Gray16:
		note = "converted from 16-bit grayscale"
	case *image.RGBA64, *image.NRGBA64:
		note = "converted from 16-bit colour (alpha ignored)"
	case *image.RGBA, *image.NRGBA:
		note = "alpha channel ignored"
	case *image.Paletted:
		note = "converted from paletted colour"
	case *image.CMYK:
		note = "converted from CMYK"
	}
	// NRGBA keeps colour values unpremultiplied, so dropping alpha leaves
	// the stored colour rather than darkening it.
	n := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.Draw(n, n.Bounds(), im, b.Min, draw.Src)
	for i := 0; i < w*h; i++ {
		copy(out.Pix[3*i:3*i+3], n.Pix[4*i:4*i+3])
	}
	return out, note
}
