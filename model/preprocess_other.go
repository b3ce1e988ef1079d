//go:build !amd64 || purego

package model

func (n *Normalizer) halvesVector(r, g, b []float32, row0, row1 []uint8) int { return 0 }

func (n *Normalizer) planesVector(r, g, b []float32, pix []uint8) int { return 0 }
