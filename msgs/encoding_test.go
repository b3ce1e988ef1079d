package msgs

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"osr/internal/imageio"
)

// A 2x1 frame: a red pixel and a grey (100) pixel, in each encoding.
func TestToRGBEncodings(t *testing.T) {
	want := []uint8{255, 0, 0, 100, 100, 100}
	cases := []struct {
		enc  string
		step uint32
		big  uint8
		data []uint8
		want []uint8
	}{
		{RGB8, 6, 0, []uint8{255, 0, 0, 100, 100, 100}, want},
		{BGR8, 6, 0, []uint8{0, 0, 255, 100, 100, 100}, want},
		{RGBA8, 8, 0, []uint8{255, 0, 0, 9, 100, 100, 100, 9}, want},
		{BGRA8, 8, 0, []uint8{0, 0, 255, 9, 100, 100, 100, 9}, want},
		{Mono8, 2, 0, []uint8{255, 100}, []uint8{255, 255, 255, 100, 100, 100}},
		{Mono16, 4, 0, []uint8{0x34, 0xff, 0x12, 100}, []uint8{255, 255, 255, 100, 100, 100}},
		{Mono16, 4, 1, []uint8{0xff, 0x34, 100, 0x12}, []uint8{255, 255, 255, 100, 100, 100}},
		// Y=126 U=V=128 is grey 128 in BT.601 video range.
		{YUV422, 4, 0, []uint8{128, 126, 128, 126}, []uint8{128, 128, 128, 128, 128, 128}},
		{YUV422YUY2, 4, 0, []uint8{126, 128, 126, 128}, []uint8{128, 128, 128, 128, 128, 128}},
		// Padded rows (step larger than needed) are allowed.
		{RGB8, 8, 0, []uint8{255, 0, 0, 100, 100, 100, 7, 7}, want},
	}
	for _, c := range cases {
		m := &Image{Width: 2, Height: 1, Encoding: c.enc, Step: c.step, IsBigendian: c.big, Data: c.data}
		var dst imageio.RGB
		if err := ToRGB(m, &dst); err != nil {
			t.Fatalf("%s: %v", c.enc, err)
		}
		if !bytes.Equal(dst.Pix, c.want) || dst.Width != 2 || dst.Height != 1 {
			t.Errorf("%s (step %d): got %v, want %v", c.enc, c.step, dst.Pix, c.want)
		}
	}
}

func TestToRGBRejectsBadFrames(t *testing.T) {
	cases := []struct {
		name string
		m    Image
		want string
	}{
		{"zero size", Image{Width: 0, Height: 4, Encoding: RGB8}, "size 0x4"},
		{"unknown encoding", Image{Width: 2, Height: 2, Encoding: "bayer_rggb8", Step: 2, Data: make([]uint8, 4)}, `unknown encoding "bayer_rggb8"`},
		{"short step", Image{Width: 4, Height: 2, Encoding: RGB8, Step: 8, Data: make([]uint8, 24)}, "step 8 is less than width 4"},
		{"short data", Image{Width: 4, Height: 2, Encoding: RGB8, Step: 12, Data: make([]uint8, 20)}, "data has 20 bytes"},
		{"odd yuv width", Image{Width: 3, Height: 1, Encoding: YUV422, Step: 6, Data: make([]uint8, 6)}, "even width"},
		{"huge", Image{Width: 100000, Height: 100000, Encoding: Mono8, Step: 100000}, "megapixel limit"},
	}
	for _, c := range cases {
		var dst imageio.RGB
		err := ToRGB(&c.m, &dst)
		var bf *BadFrameError
		if !errors.As(err, &bf) {
			t.Fatalf("%s: error %v is not a BadFrameError", c.name, err)
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q does not say %q", c.name, err, c.want)
		}
	}
}

func TestCompressedToRGB(t *testing.T) {
	im := image.NewRGBA(image.Rect(0, 0, 3, 2))
	im.Set(1, 1, color.RGBA{10, 200, 30, 255})
	var b bytes.Buffer
	png.Encode(&b, im)
	var dst imageio.RGB
	if err := CompressedToRGB(&CompressedImage{Format: "rgb8; png compressed bgr8", Data: b.Bytes()}, &dst); err != nil {
		t.Fatal(err)
	}
	if dst.Width != 3 || dst.Height != 2 || !bytes.Equal(dst.Pix[3*4:3*5], []uint8{10, 200, 30}) {
		t.Fatalf("decoded %dx%d %v", dst.Width, dst.Height, dst.Pix)
	}
	// The next frame, smaller, goes into the same array, like a raw one.
	small := image.NewRGBA(image.Rect(0, 0, 2, 1))
	small.Set(1, 0, color.RGBA{1, 2, 3, 255})
	var sb bytes.Buffer
	png.Encode(&sb, small)
	first := &dst.Pix[0]
	if err := CompressedToRGB(&CompressedImage{Format: "png", Data: sb.Bytes()}, &dst); err != nil {
		t.Fatal(err)
	}
	if dst.Width != 2 || dst.Height != 1 || !bytes.Equal(dst.Pix, []uint8{0, 0, 0, 1, 2, 3}) || &dst.Pix[0] != first {
		t.Fatalf("second frame: %dx%d %v, same array %v", dst.Width, dst.Height, dst.Pix, &dst.Pix[0] == first)
	}
	for _, c := range []struct {
		m    CompressedImage
		want string
	}{
		{CompressedImage{Format: "jpeg", Data: b.Bytes()[:b.Len()/2]}, "png"},
		{CompressedImage{Format: "jpeg"}, "empty"},
		{CompressedImage{Format: "theora", Data: b.Bytes()}, `compressed format "theora"`},
	} {
		err := CompressedToRGB(&c.m, &dst)
		var bf *BadFrameError
		if !errors.As(err, &bf) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want a BadFrameError saying %q", c.m.Format, err, c.want)
		}
	}
}

func TestOutputImages(t *testing.T) {
	h := Header{FrameId: "cam"}
	labels := []uint8{1, 2, 3, 4, 5, 6}
	m := Mono8Image(h, 3, 2, labels)
	labels[0] = 99
	if m.Data[0] != 1 || m.Step != 3 || m.Encoding != "mono8" || m.Header.FrameId != "cam" {
		t.Fatalf("mono8 image %+v does not own a copy of its data", m)
	}
	f := Float32Image(h, 2, 1, []float32{0.5, 1})
	if f.Step != 8 || len(f.Data) != 8 || f.Encoding != "32FC1" || f.IsBigendian != 0 || f.Data[3] != 0x3f {
		t.Fatalf("32FC1 image %+v", f)
	}
	o := RGB8Image(h, 1, 1, []uint8{1, 2, 3})
	var back imageio.RGB
	if err := ToRGB(o, &back); err != nil || !bytes.Equal(back.Pix, []uint8{1, 2, 3}) {
		t.Fatalf("rgb8 round trip: %v %v", back.Pix, err)
	}
}

func TestLabelInfoRoundTrip(t *testing.T) {
	u := 10
	l := LabelInfo{Model: "m", Classes: []string{"sky", "road"}, Palette: [][3]uint8{{1, 2, 3}, {4, 5, 6}}, UnknownID: &u, Score: "entropy", Threshold: 0.5, Temperature: 2}
	s, err := l.YAML()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseLabelInfo(s)
	if err != nil || back.Classes[1] != "road" || *back.UnknownID != 10 || back.Palette[1] != [3]uint8{4, 5, 6} {
		t.Fatalf("round trip: %+v %v\n%s", back, err, s)
	}
}

func TestFrameToRGB(t *testing.T) {
	raw := &Image{Width: 2, Height: 1, Encoding: BGR8, Step: 6, Data: []uint8{0, 0, 255, 100, 100, 100}}
	im := image.NewRGBA(image.Rect(0, 0, 2, 1))
	im.Set(0, 0, color.RGBA{255, 0, 0, 255})
	im.Set(1, 0, color.RGBA{100, 100, 100, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, im); err != nil {
		t.Fatal(err)
	}
	want := []uint8{255, 0, 0, 100, 100, 100}
	for _, m := range []any{raw, &CompressedImage{Format: "png", Data: b.Bytes()}} {
		var rgb imageio.RGB
		if err := FrameToRGB(m, &rgb); err != nil || rgb.Width != 2 || rgb.Height != 1 || !bytes.Equal(rgb.Pix, want) {
			t.Errorf("%T: %v, %dx%d %v", m, err, rgb.Width, rgb.Height, rgb.Pix)
		}
	}
	for _, c := range []struct {
		m    any
		want string
	}{{nil, "empty frame"}, {(*Image)(nil), "empty frame"}, {(*CompressedImage)(nil), "empty frame"}, {&String{Data: "x"}, "String is not a camera image"}} {
		var rgb imageio.RGB
		var bf *BadFrameError
		if err := FrameToRGB(c.m, &rgb); !errors.As(err, &bf) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%#v: error %v, want a bad frame with %q", c.m, err, c.want)
		}
	}
}
