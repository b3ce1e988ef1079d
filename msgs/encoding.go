package msgs

import (
	"fmt"
	"strings"

	"osr/internal/imageio"
)

// Image encodings, as sensor_msgs/image_encodings names them.
const (
	RGB8       = "rgb8"
	BGR8       = "bgr8"
	RGBA8      = "rgba8"
	BGRA8      = "bgra8"
	Mono8      = "mono8"
	Mono16     = "mono16"
	YUV422     = "yuv422" // UYVY byte order
	UYVY       = "uyvy"
	YUV422YUY2 = "yuv422_yuy2" // YUYV byte order
	YUYV       = "yuyv"
	Float32C1  = "32FC1"
)

// MaxPixels bounds the frames the node accepts, so that a corrupt header
// cannot make it allocate gigabytes.
const MaxPixels = imageio.MaxPixels

// BadFrameError is a frame that was rejected, and why.
type BadFrameError struct {
	Reason string
}

func (e *BadFrameError) Error() string { return "bad frame: " + e.Reason }

func bad(format string, args ...any) error {
	return &BadFrameError{Reason: fmt.Sprintf(format, args...)}
}

// bytesPerPixel of the raw encodings osr reads; 0 for unknown.
func bytesPerPixel(enc string) int {
	switch strings.ToLower(enc) {
	case RGB8, BGR8:
		return 3
	case RGBA8, BGRA8:
		return 4
	case Mono8:
		return 1
	case Mono16, YUV422, UYVY, YUV422YUY2, YUYV:
		return 2
	}
	return 0
}

// ToRGB converts a raw sensor_msgs/Image to packed RGB in dst, reusing
// dst's buffer. It checks size, step and data length before reading.
func ToRGB(m *Image, dst *imageio.RGB) error {
	w, h := int(m.Width), int(m.Height)
	if w == 0 || h == 0 {
		return bad("size %dx%d", w, h)
	}
	if int64(w)*int64(h) > MaxPixels {
		return bad("size %dx%d is over the %d megapixel limit", w, h, MaxPixels>>20)
	}
	enc := strings.ToLower(m.Encoding)
	bpp := bytesPerPixel(enc)
	if bpp == 0 {
		return bad("unknown encoding %q (want rgb8, bgr8, rgba8, bgra8, mono8, mono16, yuv422/uyvy or yuv422_yuy2/yuyv)", m.Encoding)
	}
	if (enc == YUV422 || enc == UYVY || enc == YUV422YUY2 || enc == YUYV) && w%2 != 0 {
		return bad("%s needs an even width, got %d", m.Encoding, w)
	}
	step := int(m.Step)
	if step < w*bpp {
		return bad("step %d is less than width %d x %d bytes for %s", step, w, bpp, m.Encoding)
	}
	if need := step*(h-1) + w*bpp; len(m.Data) < need {
		return bad("data has %d bytes, %dx%d %s with step %d needs %d", len(m.Data), w, h, m.Encoding, step, need)
	}
	dst.Width, dst.Height = w, h
	if cap(dst.Pix) < 3*w*h {
		dst.Pix = make([]uint8, 3*w*h)
	}
	dst.Pix = dst.Pix[:3*w*h]
	big := m.IsBigendian != 0
	for y := 0; y < h; y++ {
		src := m.Data[y*step : y*step+w*bpp]
		out := dst.Pix[3*y*w : 3*(y+1)*w]
		convertRow(enc, big, src, out)
	}
	return nil
}

func convertRow(enc string, big bool, src, out []uint8) {
	w := len(out) / 3
	switch enc {
	case RGB8:
		copy(out, src)
	case BGR8:
		for x := 0; x < w; x++ {
			out[3*x], out[3*x+1], out[3*x+2] = src[3*x+2], src[3*x+1], src[3*x]
		}
	case RGBA8:
		for x := 0; x < w; x++ {
			out[3*x], out[3*x+1], out[3*x+2] = src[4*x], src[4*x+1], src[4*x+2]
		}
	case BGRA8:
		for x := 0; x < w; x++ {
			out[3*x], out[3*x+1], out[3*x+2] = src[4*x+2], src[4*x+1], src[4*x]
		}
	case Mono8:
		for x, v := range src[:w] {
			out[3*x], out[3*x+1], out[3*x+2] = v, v, v
		}
	case Mono16:
		for x := 0; x < w; x++ {
			v := src[2*x+1] // high byte, little-endian
			if big {
				v = src[2*x]
			}
			out[3*x], out[3*x+1], out[3*x+2] = v, v, v
		}
	case YUV422, UYVY:
		for x := 0; x < w; x += 2 {
			u, y0, v, y1 := src[2*x], src[2*x+1], src[2*x+2], src[2*x+3]
			yuvToRGB(y0, u, v, out[3*x:])
			yuvToRGB(y1, u, v, out[3*x+3:])
		}
	case YUV422YUY2, YUYV:
		for x := 0; x < w; x += 2 {
			y0, u, y1, v := src[2*x], src[2*x+1], src[2*x+2], src[2*x+3]
			yuvToRGB(y0, u, v, out[3*x:])
			yuvToRGB(y1, u, v, out[3*x+3:])
		}
	}
}

// yuvToRGB is the BT.601 video-range conversion cameras use for 4:2:2.
func yuvToRGB(y, u, v uint8, out []uint8) {
	c := 298 * (int32(y) - 16)
	d, e := int32(u)-128, int32(v)-128
	out[0] = clamp8((c + 409*e + 128) >> 8)
	out[1] = clamp8((c - 100*d - 208*e + 128) >> 8)
	out[2] = clamp8((c + 516*d + 128) >> 8)
}

func clamp8(v int32) uint8 {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// CompressedToRGB decodes a sensor_msgs/CompressedImage (jpeg or png, as
// image_transport's compressed plugin writes them).
func CompressedToRGB(m *CompressedImage, dst *imageio.RGB) error {
	f := strings.ToLower(m.Format)
	if f != "" && !strings.Contains(f, "jpeg") && !strings.Contains(f, "jpg") && !strings.Contains(f, "png") {
		return bad("compressed format %q: want jpeg or png", m.Format)
	}
	d, err := imageio.DecodeInto(m.Data, dst.Pix)
	if err != nil {
		return bad("compressed %s: %v", m.Format, err)
	}
	*dst = d.RGB
	return nil
}

// FrameToRGB converts a camera message, a *Image or a *CompressedImage, to
// the engine's RGB frame: the one switch between the two that the node
// and bag evaluation share. Anything else, nil included, is a bad frame.
func FrameToRGB(m any, dst *imageio.RGB) error {
	switch m := m.(type) {
	case *Image:
		if m != nil {
			return ToRGB(m, dst)
		}
	case *CompressedImage:
		if m != nil {
			return CompressedToRGB(m, dst)
		}
	case nil:
	default:
		return bad("a %T is not a camera image", m)
	}
	return bad("empty frame")
}
