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

// func halvesWeights(keep, add, labels, mask *byte, score *float32, lab, mk *byte, sc *float32, pairs *pairEntry, n int) int
// lookupWeights for a frame of twice the model's width, which also writes
// each model pixel's label, mask and score twice into the frame row (lab,
// mk, sc). One store per output: the labels and masks as 16-bit words, the
// scores as one 64-bit word, the two pixels' weights as 16 bytes from the
// pair table (entries of 32 bytes: keep, then add), the last 4 bytes of
// which the next pixel overwrites.
TEXT ·halvesWeights(SB), NOSPLIT, $0-88
	MOVQ keep+0(FP), DI
	MOVQ add+8(FP), SI
	MOVQ labels+16(FP), R8
	MOVQ mask+24(FP), R9
	MOVQ score+32(FP), R11
	MOVQ lab+40(FP), R12
	MOVQ mk+48(FP), R13
	MOVQ sc+56(FP), R14
	MOVQ pairs+64(FP), R10
	MOVQ n+72(FP), CX
	ADDQ R8, CX
	MOVQ CX, n+72(FP)          // the end of labels, compared with in the loop
	XORQ AX, AX

hloop:
	CMPQ    R8, n+72(FP)
	JAE     hdone
	MOVBQZX (R8), BX
	MOVBQZX (R9), DX
	MOVL    (R11), R15
	IMUL3L  $257, BX, CX
	MOVW    CX, (R12)
	IMUL3L  $257, DX, CX
	MOVW    CX, (R13)
	MOVL    R15, CX
	SHLQ    $32, R15
	ORQ     CX, R15
	MOVQ    R15, (R14)
	ANDQ    $1, DX
	ADDQ    DX, AX
	SHLQ    $8, DX
	ORQ     DX, BX
	SHLQ    $5, BX
	MOVOU   (R10)(BX*1), X0
	MOVOU   16(R10)(BX*1), X1
	MOVOU   X0, (DI)
	MOVOU   X1, (SI)
	ADDQ    $12, DI
	ADDQ    $12, SI
	INCQ    R8
	INCQ    R9
	ADDQ    $4, R11
	ADDQ    $2, R12
	ADDQ    $2, R13
	ADDQ    $8, R14
	JMP     hloop

hdone:
	MOVQ AX, ret+80(FP)
	RET
