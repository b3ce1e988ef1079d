package msgs

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func TestImageCDRRoundTripAndLayout(t *testing.T) {
	m := &Image{Header: Header{Stamp: time.Unix(1000, 5), FrameId: "cam"}, Height: 1, Width: 2, Encoding: "rgb8", Step: 6, Data: []byte{1, 2, 3, 4, 5, 6}}
	b := EncodeImageCDR(m)
	want := []byte{
		0, 1, 0, 0, // CDR_LE
		0xe8, 3, 0, 0, 5, 0, 0, 0, // stamp 1000 s 5 ns
		4, 0, 0, 0, 'c', 'a', 'm', 0, // frame_id
		1, 0, 0, 0, 2, 0, 0, 0, // height, width
		5, 0, 0, 0, 'r', 'g', 'b', '8', 0, // encoding
		0,    // is_bigendian
		0, 0, // padding to 4
		6, 0, 0, 0, // step
		6, 0, 0, 0, 1, 2, 3, 4, 5, 6,
	}
	if !bytes.Equal(b, want) {
		t.Fatalf("CDR\n got %v\nwant %v", b, want)
	}
	back, err := DecodeImageCDR(b)
	if err != nil {
		t.Fatal(err)
	}
	if back.Header.FrameId != "cam" || !back.Header.Stamp.Equal(m.Header.Stamp) || back.Width != 2 || back.Step != 6 || !bytes.Equal(back.Data, m.Data) || back.Encoding != "rgb8" {
		t.Fatalf("round trip %+v", back)
	}
	for i := range len(b) {
		if _, err := DecodeImageCDR(b[:i]); err == nil {
			t.Fatalf("truncated to %d bytes decoded", i)
		} else if i >= 4 && !errors.Is(err, ErrCDR) {
			t.Fatalf("truncated error %v is not ErrCDR", err)
		}
	}
}

func TestCompressedAndStringCDR(t *testing.T) {
	c := &CompressedImage{Header: Header{FrameId: "x", Stamp: time.Unix(3, 0)}, Format: "jpeg", Data: []byte{0xff, 0xd8}}
	back, err := DecodeCompressedImageCDR(EncodeCompressedImageCDR(c))
	if err != nil || back.Format != "jpeg" || !bytes.Equal(back.Data, c.Data) {
		t.Fatalf("%+v %v", back, err)
	}
	s, err := DecodeStringCDR(EncodeStringCDR("hello"))
	if err != nil || s != "hello" {
		t.Fatalf("%q %v", s, err)
	}
	if _, err := DecodeStringCDR([]byte{0, 1, 0, 0, 0xff, 0xff, 0xff, 0x7f}); !errors.Is(err, ErrCDR) {
		t.Fatalf("huge string length: %v", err)
	}
}
