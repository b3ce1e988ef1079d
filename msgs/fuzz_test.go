package msgs

import (
	"testing"
	"time"

	"osr/internal/imageio"
)

func FuzzToRGB(f *testing.F) {
	f.Add(uint32(2), uint32(1), "rgb8", uint32(6), uint8(0), []byte{1, 2, 3, 4, 5, 6})
	f.Add(uint32(2), uint32(2), "yuv422", uint32(4), uint8(0), []byte{1, 2, 3, 4, 5, 6, 7, 8})
	f.Add(uint32(1), uint32(1), "mono16", uint32(2), uint8(1), []byte{1, 2})
	f.Fuzz(func(t *testing.T, w, h uint32, enc string, step uint32, big uint8, data []byte) {
		m := &Image{Width: w, Height: h, Encoding: enc, Step: step, IsBigendian: big, Data: data}
		var dst imageio.RGB
		if err := ToRGB(m, &dst); err == nil {
			if err := dst.Check(); err != nil {
				t.Fatalf("accepted frame converts to a bad RGB buffer: %v", err)
			}
		}
	})
}

func FuzzDecodeImageCDR(f *testing.F) {
	f.Add(EncodeImageCDR(&Image{Header: Header{Stamp: time.Unix(5, 6), FrameId: "c"}, Width: 1, Height: 1, Encoding: "mono8", Step: 1, Data: []byte{9}}))
	f.Add(EncodeCompressedImageCDR(&CompressedImage{Format: "jpeg", Data: []byte{0xff, 0xd8}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		if m, err := DecodeImageCDR(data); err == nil {
			// What decodes must encode back to the same bytes, up to trailing padding.
			if back := EncodeImageCDR(m); len(back) > len(data) {
				t.Fatalf("re-encoding grew from %d to %d bytes", len(data), len(back))
			}
		}
		DecodeCompressedImageCDR(data)
		DecodeStringCDR(data)
	})
}
