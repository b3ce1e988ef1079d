//go:build amd64 && !purego

package model

import "golang.org/x/sys/cpu"

// halvesAVX2 is resampled's 2x2 branch (a frame of twice the content's
// size) for n model pixels of one row, n a multiple of 8.
//
//go:noescape
func halvesAVX2(red, green, blue *float32, row0, row1 *byte, n int, c *normConsts)

// halvesVector does what it can of halves with AVX2 and returns how many
// model pixels it wrote.
func (n *Normalizer) halvesVector(r, g, b []float32, row0, row1 []uint8) int {
	done := len(r) - len(r)%8
	if done == 0 || !cpu.X86.HasAVX2 {
		return 0
	}
	_, _, _, _, _ = g[done-1], b[done-1], r[done-1], row0[6*done-1], row1[6*done-1]
	halvesAVX2(&r[0], &g[0], &b[0], &row0[0], &row1[0], done, &n.consts)
	return done
}

// planesAVX2 is planes for n pixels, n a multiple of 16.
//
//go:noescape
func planesAVX2(red, green, blue *float32, pix *byte, n int, c *normConsts)

// planesVector does what it can of planes with AVX2 and returns how many
// pixels it wrote.
func (n *Normalizer) planesVector(r, g, b []float32, pix []uint8) int {
	done := len(r) - len(r)%16
	if done == 0 || !cpu.X86.HasAVX2 {
		return 0
	}
	_, _, _, _ = g[done-1], b[done-1], r[done-1], pix[3*done-1]
	planesAVX2(&r[0], &g[0], &b[0], &pix[0], done, &n.consts)
	return done
}
