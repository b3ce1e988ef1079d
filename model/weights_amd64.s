//go:build amd64 && !purego

#include "textflag.h"

// func lookupWeights(keep, add, labels, mask *byte, table *blendEntry, n int) int
// For each of n pixels: entry = table[label | (mask&1)<<8]; its keep and
// add words go to 6-byte steps of keep and add; returns the pixels whose
// mask has the low bit set.
TEXT ·lookupWeights(SB), NOSPLIT, $0-56
	MOVQ    keep+0(FP), DI
	MOVQ    add+8(FP), SI
	MOVQ    labels+16(FP), R8
	MOVQ    mask+24(FP), R9
	MOVQ    table+32(FP), R10
	MOVQ    n+40(FP), CX
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
	INCQ    BX
	JMP     loop

done:
	MOVQ    AX, ret+48(FP)
	RET

// func halvesWeights(keep, add, labels, mask *byte, score *float32, lab, mk *byte, sc *float32, table *blendEntry, n int) int
// lookupWeights with pairs for a frame of twice the model's width, which
// also writes each model pixel's label, mask and score twice into the
// frame row (lab, mk, sc).
TEXT ·halvesWeights(SB), NOSPLIT, $0-88
	MOVQ keep+0(FP), DI
	MOVQ add+8(FP), SI
	MOVQ labels+16(FP), R8
	MOVQ mask+24(FP), R9
	MOVQ score+32(FP), R11
	MOVQ lab+40(FP), R12
	MOVQ mk+48(FP), R13
	MOVQ sc+56(FP), R14
	MOVQ table+64(FP), R10
	MOVQ n+72(FP), CX
	XORQ AX, AX

hloop:
	TESTQ   CX, CX
	JZ      hdone
	MOVBQZX (R8), BX
	MOVBQZX (R9), DX
	MOVL    (R11), R15
	MOVB    BX, (R12)
	MOVB    BX, 1(R12)
	MOVB    DX, (R13)
	MOVB    DX, 1(R13)
	MOVL    R15, (R14)
	MOVL    R15, 4(R14)
	ANDQ    $1, DX
	ADDQ    DX, AX
	SHLQ    $8, DX
	ORQ     DX, BX
	SHLQ    $4, BX
	MOVQ    (R10)(BX*1), DX
	MOVQ    8(R10)(BX*1), R15
	MOVQ    DX, (DI)
	MOVQ    R15, (SI)
	MOVQ    DX, 6(DI)
	MOVQ    R15, 6(SI)
	ADDQ    $12, DI
	ADDQ    $12, SI
	INCQ    R8
	INCQ    R9
	ADDQ    $4, R11
	ADDQ    $2, R12
	ADDQ    $2, R13
	ADDQ    $8, R14
	DECQ    CX
	JMP     hloop

hdone:
	MOVQ AX, ret+80(FP)
	RET
