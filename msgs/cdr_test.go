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

// Every message round-trips, and every truncation of it is an ErrCDR.
func TestCDRRoundTripAllTypes(t *testing.T) {
	for i, c := range crossCases() {
		back, err := c.recode(c.osr)
		if err != nil || !bytes.Equal(back, c.osr) {
			t.Fatalf("case %d (%s): round trip %v\n %x\n %x", i, c.typ, err, c.osr, back)
		}
		for n := range len(c.osr) {
			if _, err := c.recode(c.osr[:n]); !errors.Is(err, ErrCDR) {
				t.Fatalf("case %d (%s) truncated to %d of %d bytes: %v, want ErrCDR", i, c.typ, n, len(c.osr), err)
			}
		}
	}
}

func TestParticipantEntitiesInfoLayout(t *testing.T) {
	var g Gid
	for i := range g {
		g[i] = byte(i + 1)
	}
	m := &ParticipantEntitiesInfo{Gid: g, Nodes: []NodeEntitiesInfo{{Namespace: "/", Name: "osr", Writers: []Gid{g}}}}
	b, err := EncodeParticipantEntitiesInfoCDR(m, GidSize)
	if err != nil {
		t.Fatal(err)
	}
	want := append([]byte{0, 1, 0, 0}, g[:16]...)
	want = append(want, 1, 0, 0, 0, 2, 0, 0, 0, '/', 0, 0, 0, 4, 0, 0, 0, 'o', 's', 'r', 0, 0, 0, 0, 0, 1, 0, 0, 0)
	want = append(want, g[:16]...)
	if !bytes.Equal(b, want) {
		t.Fatalf("\n got %v\nwant %v", b, want)
	}
	humble, _ := EncodeParticipantEntitiesInfoCDR(m, GidSizeHumble)
	if len(humble) != len(b)+16 {
		t.Fatalf("Humble layout is %d bytes, want %d (two 24-byte gids)", len(humble), len(b)+16)
	}
	if _, err := EncodeParticipantEntitiesInfoCDR(m, 12); err == nil {
		t.Fatal("gid size 12 accepted")
	}
}

func TestLabelInfoROS2(t *testing.T) {
	u := 2
	m := LabelInfo{Classes: []string{"road", "car"}, UnknownID: &u, Threshold: 0.5}.ROS2(Header{FrameId: "cam"})
	want := []VisionClass{{0, "road"}, {1, "car"}, {2, "unknown"}}
	if len(m.ClassMap) != 3 || m.ClassMap[0] != want[0] || m.ClassMap[1] != want[1] || m.ClassMap[2] != want[2] || m.Threshold != 0.5 || m.Header.FrameId != "cam" {
		t.Fatalf("%+v", m)
	}
	if n, err := DDSTypeName(ROS2Image); err != nil || n != "sensor_msgs::msg::dds_::Image_" {
		t.Fatalf("%q %v", n, err)
	}
	if _, err := DDSTypeName("Image"); err == nil {
		t.Fatal("DDSTypeName accepted a bare name")
	}
}
