package msgs

import (
	"bytes"
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

// FuzzDecodeCDR feeds the same bytes to every CDR decoder. None may panic
// or allocate beyond the input; whatever decodes must encode to bytes no
// longer than the input that decode and encode again to themselves. The
// seed corpus is in testdata/fuzz/FuzzDecodeCDR, plus every message of the
// byte-for-byte tests.
func FuzzDecodeCDR(f *testing.F) {
	for _, c := range crossCases() {
		f.Add(c.osr)
	}
	f.Add(EncodeImageCDR(&Image{Header: Header{Stamp: time.Unix(5, 6), FrameId: "c"}, Width: 1, Height: 1, Encoding: "mono8", Step: 1, Data: []byte{9}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, c := range []struct {
			name   string
			recode func([]byte) ([]byte, error)
		}{
			{"Image", recodeImage},
			{"CompressedImage", func(b []byte) ([]byte, error) {
				m, err := DecodeCompressedImageCDR(b)
				if err != nil {
					return nil, err
				}
				return EncodeCompressedImageCDR(m), nil
			}},
			{"String", func(b []byte) ([]byte, error) {
				s, err := DecodeStringCDR(b)
				return EncodeStringCDR(s), err
			}},
			{"Header", func(b []byte) ([]byte, error) {
				h, err := DecodeHeaderCDR(b)
				return EncodeHeaderCDR(h), err
			}},
			{"DiagnosticArray", func(b []byte) ([]byte, error) {
				m, err := DecodeDiagnosticArrayCDR(b)
				if err != nil {
					return nil, err
				}
				return EncodeDiagnosticArrayCDR(m), nil
			}},
			{"LabelInfo", func(b []byte) ([]byte, error) {
				m, err := DecodeLabelInfoCDR(b)
				if err != nil {
					return nil, err
				}
				return EncodeLabelInfoCDR(m), nil
			}},
			{"ParticipantEntitiesInfo", func(b []byte) ([]byte, error) {
				m, err := DecodeParticipantEntitiesInfoCDR(b, GidSize)
				if err != nil {
					return nil, err
				}
				return EncodeParticipantEntitiesInfoCDR(m, GidSize)
			}},
			{"ParticipantEntitiesInfo (Humble)", func(b []byte) ([]byte, error) {
				m, err := DecodeParticipantEntitiesInfoCDR(b, GidSizeHumble)
				if err != nil {
					return nil, err
				}
				return EncodeParticipantEntitiesInfoCDR(m, GidSizeHumble)
			}},
		} {
			back, err := c.recode(data)
			if err != nil {
				continue
			}
			if len(back) > len(data) {
				t.Fatalf("%s: re-encoding grew from %d to %d bytes", c.name, len(data), len(back))
			}
			again, err := c.recode(back)
			if err != nil || !bytes.Equal(again, back) {
				t.Fatalf("%s: osr's own encoding does not decode to itself: %v\n %x\n %x", c.name, err, back, again)
			}
		}
	})
}
