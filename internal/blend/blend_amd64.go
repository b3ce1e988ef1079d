//go:build amd64 && !purego

package blend

import "golang.org/x/sys/cpu"

// haveVector: the AVX2 loop runs where the CPU has AVX2.
var haveVector = cpu.X86.HasAVX2

// vectorLen is the samples weightedAVX2 takes per iteration.
const vectorLen = 32

func weightedVector(dst, src, keep, add []byte) {
	weightedAVX2(&dst[0], &src[0], &keep[0], &add[0], len(dst))
}

// weightedAVX2 is Weighted for n samples, n a multiple of 32.
//
//go:noescape
func weightedAVX2(dst, src, keep, add *byte, n int)
