#include "textflag.h"

// func lookupWeights(keep, add, labels, mask *byte, table *blendEntry, n int, pairs bool) int
// For each of n pixels: entry = table[label | (mask&1)<<8]; its keep and
// add words go to 6-byte steps of keep and add (twice with pairs); returns
// the pixels whose mask has the low bit set.
TEXT ·lookupWeights(SB), NOSPLIT, $0-64
	MOVQ    keep+0(FP), DI
	MOVQ    add+8(FP), SI
	MOVQ    labels+16(FP), R8
	MOVQ    mask+24(FP), R9
	MOVQ    table+32(FP), R10
	MOVQ    n+40(FP), CX
	MOVBQZX pairs+48(FP), DX
	XORQ    AX, AX
	XORQ    BX, BX

loop:
	CMPQ    BX, CX
	JGE     done
	MOVBQZX (R8)(BX*1), R11
	MOVBQZX (R9)(BX*1), R12
	ANDQ    $1, R12
	ADDQ    R12, AX
	SHLQ    $8, R12
	ORQ     R12, R11
	SHLQ    $4, R11
	MOVQ    (R10)(R11*1), R12
	MOVQ    8(R10)(R11*1), R13
	MOVQ    R12, (DI)
	MOVQ    R13, (SI)
	ADDQ    $6, DI
	ADDQ    $6, SI
	TESTQ   DX, DX
	JZ      next
	MOVQ    R12, (DI)
	MOVQ    R13, (SI)
	ADDQ    $6, DI
	ADDQ    $6, SI

next:
	INCQ    BX
	JMP     loop

done:
	MOVQ    AX, ret+56(FP)
	RET
