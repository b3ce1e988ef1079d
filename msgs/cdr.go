package msgs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// ROS 2 type names of the messages osr carries over DDS and in MCAP files.
const (
	ROS2Image           = "sensor_msgs/msg/Image"
	ROS2CompressedImage = "sensor_msgs/msg/CompressedImage"
	ROS2String          = "std_msgs/msg/String"
)

// cdrHeader is the XCDR1 little-endian encapsulation (CDR_LE).
var cdrHeader = []byte{0x00, 0x01, 0x00, 0x00}

// cdrWriter appends CDR fields with their alignment, counted from the end
// of the encapsulation header.
type cdrWriter struct{ b []byte }

func (w *cdrWriter) align(n int) {
	for (len(w.b)-4)%n != 0 {
		w.b = append(w.b, 0)
	}
}
func (w *cdrWriter) u8(v uint8) { w.b = append(w.b, v) }
func (w *cdrWriter) u16(v uint16) {
	w.align(2)
	w.b = binary.LittleEndian.AppendUint16(w.b, v)
}
func (w *cdrWriter) u32(v uint32) {
	w.align(4)
	w.b = binary.LittleEndian.AppendUint32(w.b, v)
}
func (w *cdrWriter) str(s string) {
	w.u32(uint32(len(s) + 1))
	w.b = append(append(w.b, s...), 0)
}
func (w *cdrWriter) bytes(v []byte) {
	w.u32(uint32(len(v)))
	w.b = append(w.b, v...)
}
func (w *cdrWriter) header(h Header) {
	w.u32(uint32(int32(h.Stamp.Unix())))
	w.u32(uint32(h.Stamp.Nanosecond()))
	w.str(h.FrameId)
}

// ErrCDR reports malformed CDR data.
var ErrCDR = errors.New("malformed CDR data")

type cdrReader struct {
	b   []byte
	pos int // offset in b, which starts after the encapsulation header
	err error
}

func (r *cdrReader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s at offset %d", ErrCDR, what, r.pos)
	}
}
func (r *cdrReader) align(n int) {
	if p := (r.pos + n - 1) / n * n; p <= len(r.b) {
		r.pos = p
	} else {
		r.fail("truncated padding")
	}
}
func (r *cdrReader) u8() uint8 {
	if r.err != nil || r.pos+1 > len(r.b) {
		r.fail("truncated byte")
		return 0
	}
	r.pos++
	return r.b[r.pos-1]
}
func (r *cdrReader) u16() uint16 {
	r.align(2)
	if r.err != nil || r.pos+2 > len(r.b) {
		r.fail("truncated uint16")
		return 0
	}
	r.pos += 2
	return binary.LittleEndian.Uint16(r.b[r.pos-2:])
}
func (r *cdrReader) u32() uint32 {
	r.align(4)
	if r.err != nil || r.pos+4 > len(r.b) {
		r.fail("truncated uint32")
		return 0
	}
	r.pos += 4
	return binary.LittleEndian.Uint32(r.b[r.pos-4:])
}
func (r *cdrReader) raw(n uint32, what string) []byte {
	if r.err != nil || uint64(r.pos)+uint64(n) > uint64(len(r.b)) {
		r.fail("truncated " + what)
		return nil
	}
	r.pos += int(n)
	return r.b[r.pos-int(n) : r.pos]
}

// count reads a sequence length and checks that the rest of the message
// can hold that many elements of at least minSize bytes, so that a corrupt
// length never makes the decoder allocate more than the message holds.
func (r *cdrReader) count(minSize int, what string) int {
	n := r.u32()
	if r.err == nil && uint64(n)*uint64(minSize) > uint64(len(r.b)-r.pos) {
		r.fail(fmt.Sprintf("%d %s do not fit in %d bytes", n, what, len(r.b)-r.pos))
	}
	if r.err != nil {
		return 0
	}
	return int(n)
}
func (r *cdrReader) str() string {
	n := r.u32()
	if n == 0 {
		r.fail("string without terminator")
		return ""
	}
	s := r.raw(n, "string")
	if r.err != nil {
		return ""
	}
	if s[n-1] != 0 {
		r.fail("string not NUL-terminated")
		return ""
	}
	return string(s[:n-1])
}
func (r *cdrReader) header() Header {
	sec := int32(r.u32())
	nsec := r.u32()
	if nsec >= 1e9 {
		r.fail("nanoseconds out of range")
	}
	return Header{Stamp: time.Unix(int64(sec), int64(nsec)), FrameId: r.str()}
}

func newCDRReader(data []byte) (*cdrReader, error) {
	if len(data) < 4 {
		return nil, fmt.Errorf("%w: %d bytes, shorter than the encapsulation header", ErrCDR, len(data))
	}
	if data[0] != 0 || data[1] != 1 {
		return nil, fmt.Errorf("%w: encapsulation %#x%02x, want CDR_LE (0x0001)", ErrCDR, data[0], data[1])
	}
	return &cdrReader{b: data[4:]}, nil
}

// EncodeImageCDR serialises a sensor_msgs/msg/Image (the ROS 2 layout:
// no seq in the header).
func EncodeImageCDR(m *Image) []byte {
	w := cdrWriter{b: append([]byte(nil), cdrHeader...)}
	w.header(m.Header)
	w.u32(m.Height)
	w.u32(m.Width)
	w.str(m.Encoding)
	w.u8(m.IsBigendian)
	w.u32(m.Step)
	w.bytes(m.Data)
	return w.b
}

// DecodeImageCDR parses a sensor_msgs/msg/Image.
func DecodeImageCDR(data []byte) (*Image, error) {
	r, err := newCDRReader(data)
	if err != nil {
		return nil, err
	}
	m := &Image{Header: r.header()}
	m.Height, m.Width = r.u32(), r.u32()
	m.Encoding = r.str()
	m.IsBigendian = r.u8()
	m.Step = r.u32()
	m.Data = r.raw(r.u32(), "image data")
	if r.err != nil {
		return nil, fmt.Errorf("sensor_msgs/msg/Image: %w", r.err)
	}
	return m, nil
}

// EncodeCompressedImageCDR serialises a sensor_msgs/msg/CompressedImage.
func EncodeCompressedImageCDR(m *CompressedImage) []byte {
	w := cdrWriter{b: append([]byte(nil), cdrHeader...)}
	w.header(m.Header)
	w.str(m.Format)
	w.bytes(m.Data)
	return w.b
}

// DecodeCompressedImageCDR parses a sensor_msgs/msg/CompressedImage.
func DecodeCompressedImageCDR(data []byte) (*CompressedImage, error) {
	r, err := newCDRReader(data)
	if err != nil {
		return nil, err
	}
	m := &CompressedImage{Header: r.header()}
	m.Format = r.str()
	m.Data = r.raw(r.u32(), "compressed data")
	if r.err != nil {
		return nil, fmt.Errorf("sensor_msgs/msg/CompressedImage: %w", r.err)
	}
	return m, nil
}

// EncodeStringCDR serialises a std_msgs/msg/String.
func EncodeStringCDR(s string) []byte {
	w := cdrWriter{b: append([]byte(nil), cdrHeader...)}
	w.str(s)
	return w.b
}

// DecodeStringCDR parses a std_msgs/msg/String.
func DecodeStringCDR(data []byte) (string, error) {
	r, err := newCDRReader(data)
	if err != nil {
		return "", err
	}
	s := r.str()
	if r.err != nil {
		return "", fmt.Errorf("std_msgs/msg/String: %w", r.err)
	}
	return s, nil
}
