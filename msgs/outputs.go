package msgs

import (
	"encoding/binary"
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
