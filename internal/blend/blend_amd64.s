//go:build amd64 && !purego

#include "textflag.h"

// func weightedAVX2(dst, src, keep, add *byte, n int)
// 32 samples per iteration: widen to 16 bits, multiply by keep, add, shift
// right by 8, pack back to bytes (VPACKUSWB packs within 128-bit lanes,
// VPERMQ puts the quarters back in order).
TEXT ·weightedAVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ keep+16(FP), R8
	MOVQ add+24(FP), R9
	MOVQ n+32(FP), CX

loop:
	CMPQ CX, $32
	JLT  done
	VPMOVZXBW (SI), Y0
	VPMOVZXBW 16(SI), Y1
	VPMULLW   (R8), Y0, Y0
	VPMULLW   32(R8), Y1, Y1
	VPADDW    (R9), Y0, Y0
	VPADDW    32(R9), Y1, Y1
	VPSRLW    $8, Y0, Y0
	VPSRLW    $8, Y1, Y1
	VPACKUSWB Y1, Y0, Y0
	VPERMQ    $0xD8, Y0, Y0
	VMOVDQU   Y0, (DI)
	ADDQ      $32, SI
	ADDQ      $64, R8
	ADDQ      $64, R9
	ADDQ      $32, DI
	SUBQ      $32, CX
	JMP       loop

done:
	VZEROUPPER
	RET
