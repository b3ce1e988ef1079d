package imageio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func encodePNG(t *testing.T, im image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, im); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pngHeader is a PNG with only a valid IHDR chunk claiming w x h.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

func TestDecodeConvertsOddFormats(t *testing.T) {
	gray := image.NewGray(image.Rect(0, 0, 4, 3))
	gray.SetGray(1, 1, color.Gray{200})
	g16 := image.NewGray16(image.Rect(0, 0, 4, 3))
	g16.SetGray16(1, 1, color.Gray16{0xC800})
	rgba := image.NewNRGBA(image.Rect(0, 0, 4, 3))
	rgba.SetNRGBA(1, 1, color.NRGBA{10, 20, 30, 0})
	cases := []struct {
		name string
		im   image.Image
		note string
		want [3]uint8
	}{
		{"grayscale", gray, "8-bit grayscale", [3]uint8{200, 200, 200}},
		{"16-bit", g16, "16-bit grayscale", [3]uint8{200, 200, 200}},
		{"rgba", rgba, "alpha", [3]uint8{10, 20, 30}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := Decode(encodePNG(t, c.im))
			if err != nil {
				t.Fatal(err)
			}
			if err := d.Check(); err != nil || d.Width != 4 || d.Height != 3 {
				t.Fatalf("decoded %dx%d: %v", d.Width, d.Height, err)
			}
			if !strings.Contains(d.Note, c.note) {
				t.Errorf("note %q does not say %q", d.Note, c.note)
			}
			o := 3 * (1*4 + 1)
			if got := [3]uint8(d.Pix[o : o+3]); got != c.want {
				t.Errorf("pixel = %v, want %v", got, c.want)
			}
		})
	}
}

func TestDecodeJPEGColour(t *testing.T) {
	im := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for i := range 16 * 16 {
		im.Pix[4*i], im.Pix[4*i+1], im.Pix[4*i+2], im.Pix[4*i+3] = 200, 40, 90, 255
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, im, &jpeg.Options{Quality: 100}); err != nil {
		t.Fatal(err)
	}
	d, err := Decode(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if d.Note != "" || d.Format != "jpeg" {
		t.Errorf("plain JPEG got note %q, format %q", d.Note, d.Format)
	}
	for c, want := range []int{200, 40, 90} {
		if got := int(d.Pix[c]); got < want-3 || got > want+3 {
			t.Errorf("channel %d = %d, want about %d", c, got, want)
		}
	}
}

func TestDecodeRejectsBadInput(t *testing.T) {
	var jb bytes.Buffer
	jpeg.Encode(&jb, image.NewGray(image.Rect(0, 0, 64, 64)), nil)
	full := jb.Bytes()
	pb := encodePNG(t, image.NewGray(image.Rect(0, 0, 64, 64)))
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "empty image"},
		{"text", []byte("hello, not an image"), "not a readable image"},
		{"truncated jpeg", full[:len(full)/2], "truncated jpeg"},
		{"truncated png", pb[:len(pb)-20], "png"},
		{"huge", pngHeader(20000, 20000), "over the 64 megapixel limit"},
		{"zero size", pngHeader(0, 10), "png"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode(c.data)
			if err == nil {
				t.Fatal("Decode accepted bad input")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not say %q", err, c.want)
			}
		})
	}
}

func TestReadFileErrorsNameThePath(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.jpg")
	os.WriteFile(empty, nil, 0o644)
	for _, p := range []string{empty, filepath.Join(dir, "missing.png"), dir} {
		_, err := ReadFile(p)
		if err == nil || !strings.HasPrefix(err.Error(), p+": ") {
			t.Errorf("ReadFile(%s) error %v does not start with the path", p, err)
		}
	}
	if _, err := ReadFile(empty); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty file: %v", err)
	}
}

func TestWriteRoundTrip(t *testing.T) {
	dir := t.TempDir()
	score := []float32{0, 0.25, 1, 0.5}
	if err := WriteGray16(filepath.Join(dir, "s.png"), 2, 2, score); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(filepath.Join(dir, "s.png"))
	defer f.Close()
	im, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	g, ok := im.(*image.Gray16)
	if !ok {
		t.Fatalf("score PNG is %T, want 16-bit gray", im)
	}
	if v := g.Gray16At(1, 0).Y; v != 16384 {
		t.Errorf("0.25 stored as %d, want 16384", v)
	}
	if v := g.Gray16At(0, 1).Y; v != 65535 {
		t.Errorf("1 stored as %d", v)
	}
}

// chroma then ycc is color.YCbCrToRGB, for every luma and chroma value.
func TestYCCIsYCbCrToRGB(t *testing.T) {
	for cb := range 256 {
		for cr := range 256 {
			rc, gc, bc := chroma(uint8(cb), uint8(cr))
			for y := range 256 {
				r, g, b := ycc(uint8(y), rc, gc, bc)
				if wr, wg, wb := color.YCbCrToRGB(uint8(y), uint8(cb), uint8(cr)); r != wr || g != wg || b != wb {
					t.Fatalf("Y %d Cb %d Cr %d: %d %d %d, want %d %d %d", y, cb, cr, r, g, b, wr, wg, wb)
				}
			}
		}
	}
}

// The row-wise YCbCr conversion gives what converting each pixel through
// YCbCrAt gives, for every subsampling and for sub-images at odd offsets.
func TestYCbCrToRGBEveryRatio(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, ratio := range []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422,
		image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410} {
		full := image.NewYCbCr(image.Rect(0, 0, 23, 17), ratio)
		for _, p := range [][]uint8{full.Y, full.Cb, full.Cr} {
			for i := range p {
				p[i] = uint8(r.IntN(256))
			}
		}
		for _, im := range []*image.YCbCr{full, full.SubImage(image.Rect(3, 5, 20, 16)).(*image.YCbCr)} {
			got, note := toRGB(im, nil)
			b := im.Bounds()
			if note != "" || got.Width != b.Dx() || got.Height != b.Dy() {
				t.Fatalf("%v %v: %dx%d, note %q", ratio, b, got.Width, got.Height, note)
			}
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := b.Min.X; x < b.Max.X; x++ {
					c := im.YCbCrAt(x, y)
					wr, wg, wb := color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
					o := 3 * ((y-b.Min.Y)*got.Width + x - b.Min.X)
					if got.Pix[o] != wr || got.Pix[o+1] != wg || got.Pix[o+2] != wb {
						t.Fatalf("%v %v pixel (%d,%d): %v, want %d %d %d", ratio, b, x, y, got.Pix[o:o+3], wr, wg, wb)
					}
				}
			}
		}
	}
}

// BenchmarkToRGB is the YCbCr to RGB conversion of a 480x360 CamVid frame
// (4:2:0), which osr eval runs once per image.
func BenchmarkToRGB(b *testing.B) {
	data, err := os.ReadFile("../../demo/camvid/0001TP_008550.jpg")
	if err != nil {
		b.Fatal(err)
	}
	im, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		toRGB(im, nil)
	}
}

// DecodeInto gives Decode's pixels, in the given array when it has room
// (whatever was in it before), in a new one when it has not, and leaves it
// alone when the data does not decode.
func TestDecodeIntoReusesTheBuffer(t *testing.T) {
	colour := image.NewRGBA(image.Rect(0, 0, 16, 8))
	gray := image.NewGray(image.Rect(0, 0, 5, 3))
	for i := range colour.Pix {
		colour.Pix[i] = uint8(i * 7)
	}
	for i := range gray.Pix {
		gray.Pix[i] = uint8(i * 13)
	}
	var jb bytes.Buffer
	if err := jpeg.Encode(&jb, colour, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	frames := [][]byte{jb.Bytes(), encodePNG(t, gray)}
	buf := bytes.Repeat([]byte{0xaa}, 3*16*8)
	for _, data := range frames {
		want, err := Decode(data)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeInto(data, buf)
		if err != nil {
			t.Fatal(err)
		}
		if &got.Pix[0] != &buf[0] {
			t.Errorf("%s: decoded into a new array though the buffer had room", want.Format)
		}
		if got.Width != want.Width || got.Height != want.Height || !bytes.Equal(got.Pix, want.Pix) || got.Note != want.Note {
			t.Errorf("%s: DecodeInto gave %dx%d %q, Decode %dx%d %q, or other pixels", want.Format, got.Width, got.Height, got.Note, want.Width, want.Height, want.Note)
		}
	}
	small := make([]byte, 3)
	got, err := DecodeInto(frames[0], small)
	if err != nil || len(got.Pix) != 3*16*8 || &got.Pix[0] == &small[0] {
		t.Errorf("a buffer too small: %d bytes back (err %v), want a new array of %d", len(got.Pix), err, 3*16*8)
	}
	before := bytes.Clone(buf)
	if _, err := DecodeInto(frames[0][:len(frames[0])/2], buf); err == nil {
		t.Fatal("a truncated JPEG decoded")
	}
	if !bytes.Equal(buf, before) {
		t.Error("a JPEG that did not decode changed the buffer")
	}
}
