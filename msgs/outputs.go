package msgs

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"math"
	"slices"
)

// The output images copy their data: transports may still be sending a
// message while the engine writes the next frame into its buffers.

// Mono8Image wraps 8-bit values (labels, masks) as a mono8 image.
func Mono8Image(h Header, w, ht int, v []uint8) *Image {
	return &Image{Header: h, Width: uint32(w), Height: uint32(ht), Encoding: Mono8, Step: uint32(w), Data: slices.Clone(v)}
}

// Float32Image wraps float32 values (the outlier score) as a
// little-endian 32FC1 image.
func Float32Image(h Header, w, ht int, v []float32) *Image {
	data := make([]uint8, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(data[4*i:], math.Float32bits(f))
	}
	return &Image{Header: h, Width: uint32(w), Height: uint32(ht), Encoding: Float32C1, Step: uint32(4 * w), Data: data}
}

// RGB8Image wraps packed RGB (the overlay) as an rgb8 image.
func RGB8Image(h Header, w, ht int, pix []uint8) *Image {
	return &Image{Header: h, Width: uint32(w), Height: uint32(ht), Encoding: RGB8, Step: uint32(3 * w), Data: slices.Clone(pix)}
}

// PNGMono8Image compresses 8-bit values (labels, masks) losslessly as a
// sensor_msgs/CompressedImage, format as image_transport's compressed
// plugin writes it.
func PNGMono8Image(h Header, w, ht int, v []uint8) (*CompressedImage, error) {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, &image.Gray{Pix: v, Stride: w, Rect: image.Rect(0, 0, w, ht)}); err != nil {
		return nil, fmt.Errorf("png: %w", err)
	}
	return &CompressedImage{Header: h, Format: "mono8; png compressed mono8", Data: buf.Bytes()}, nil
}

// JPEGRGB8Image compresses packed RGB (the overlay) as a JPEG of the given
// quality (1..100), format as image_transport's compressed plugin writes it.
func JPEGRGB8Image(h Header, w, ht int, pix []uint8, quality int) (*CompressedImage, error) {
	im := image.NewRGBA(image.Rect(0, 0, w, ht))
	for i := range w * ht {
		copy(im.Pix[4*i:4*i+3], pix[3*i:3*i+3])
		im.Pix[4*i+3] = 255
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, im, &jpeg.Options{Quality: quality}); err != nil {
		return nil, fmt.Errorf("jpeg: %w", err)
	}
	return &CompressedImage{Header: h, Format: "rgb8; jpeg compressed bgr8", Data: buf.Bytes()}, nil
}
