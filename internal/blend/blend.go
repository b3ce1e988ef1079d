// Package blend mixes 8-bit samples with a 16-bit weight and offset per
// sample: the inner loop of the node's RViz overlay, run with AVX2 where
// the CPU has it, since it touches every byte of every frame.
package blend

import "encoding/binary"

// WeightBytes is the length of the keep and add rows Weighted takes for n
// samples: a little-endian uint16 per sample, and room for the last 8-byte
// store of Put3.
func WeightBytes(n int) int { return 2*n + 8 }

// Weighted sets dst[i] = (src[i]*keep[i] + add[i]) >> 8 for every i <
// len(dst), in 16-bit arithmetic (sums above 65535 wrap), where keep[i]
// and add[i] are the little-endian uint16 at byte 2i of keep and add.
// src, keep and add must be long enough for len(dst) samples.
func Weighted(dst, src, keep, add []byte) {
	n := len(dst)
	src, keep, add = src[:n], keep[:2*n], add[:2*n]
	done := 0
	if n >= vectorLen && haveVector {
		done = n - n%vectorLen
		weightedVector(dst[:done], src, keep, add)
	}
	weightedGo(dst[done:], src[done:], keep[2*done:], add[2*done:])
}

// Put3 writes three uint16 lanes (v's low 48 bits) for sample triple i
// (samples 3i to 3i+2: one RGB pixel) into row, with one 8-byte store that
// spills two bytes into the next triple, which writing it in order
// overwrites; WeightBytes leaves room after the last.
func Put3(row []byte, i int, v uint64) {
	binary.LittleEndian.PutUint64(row[6*i:], v)
}

func weightedGo(dst, src, keep, add []byte) {
	src, keep, add = src[:len(dst)], keep[:2*len(dst)], add[:2*len(dst)]
	for i := range dst {
		k := uint16(keep[2*i]) | uint16(keep[2*i+1])<<8
		a := uint16(add[2*i]) | uint16(add[2*i+1])<<8
		dst[i] = uint8((uint16(src[i])*k + a) >> 8)
	}
}
