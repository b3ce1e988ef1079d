//go:build amd64 && !purego

#include "textflag.h"

// PAIR looks up the entries of pixels BX and BX+1 (see lookupWeights)
// and stores their keep and add lanes with one 16-byte store each, whose
// last 4 bytes the next store overwrites.
#define PAIR \
	MOVBQZX (R8)(BX*1), R11 \
	MOVBQZX (R9)(BX*1), R12 \
	MOVBQZX 1(R8)(BX*1), R13 \
	MOVBQZX 1(R9)(BX*1), R14 \
	ANDQ    $1, R12 \
	ANDQ    $1, R14 \
	ADDQ    R12, AX \
	ADDQ    R14, AX \
	SHLQ    $8, R12 \
	SHLQ    $8, R14 \
	ORQ     R12, R11 \
	ORQ     R14, R13 \
	SHLQ    $4, R11 \
	SHLQ    $4, R13 \
	MOVQ    (R10)(R11*1), X0 \
	MOVQ    (R10)(R13*1), X1 \
	MOVQ    8(R10)(R11*1), X2 \
	MOVQ    8(R10)(R13*1), X3 \
	PSLLDQ  $6, X1 \
	PSLLDQ  $6, X3 \
	POR     X1, X0 \
	POR     X3, X2 \
	MOVOU   X0, (DI) \
	MOVOU   X2, (SI) \
	ADDQ    $12, DI \
	ADDQ    $12, SI \
	ADDQ    $2, BX

// REPEAT8 stores the 6 bytes in the low lanes of X eight times from dst
// (48 bytes: the qwords q0 q1 q2 q0 q1 q2 of a 24-byte period).
#define REPEAT8(X, dst) \
	MOVO       X, X2 \
	PSLLQ      $48, X2 \
	POR        X, X2 \
	MOVO       X, X3 \
	PSRLQ      $16, X3 \
	MOVO       X, X4 \
	PSLLQ      $32, X4 \
	POR        X4, X3 \
	MOVO       X, X4 \
	PSRLQ      $32, X4 \
	MOVO       X, X5 \
	PSLLQ      $16, X5 \
	POR        X5, X4 \
	MOVO       X2, X5 \
	PUNPCKLQDQ X3, X5 \
	MOVOU      X5, (dst) \
	MOVO       X4, X5 \
	PUNPCKLQDQ X2, X5 \
	MOVOU      X5, 16(dst) \
	MOVO       X3, X5 \
	PUNPCKLQDQ X4, X5 \
	MOVOU      X5, 32(dst)

// UNIFORM8 jumps to mixed unless the eight labels in lab are one label
// and the eight mask bytes in msk share their low bit (ones holds
// 0x0101010101010101); else it counts eight outliers in AX when that bit
// is set and leaves the blend table index label | bit<<8 in t. It
// overwrites lab and msk.
#define UNIFORM8(lab, msk, ones, t, mixed) \
	ANDQ    ones, msk \
	MOVBQZX lab, t \
	IMULQ   ones, t \
	CMPQ    t, lab \
	JNE     mixed \
	MOVBQZX msk, t \
	IMULQ   ones, t \
	CMPQ    t, msk \
	JNE     mixed \
	ANDQ    $1, t \
	LEAQ    (AX)(t*8), AX \
	SHLQ    $8, t \
	MOVBQZX lab, lab \
	ORQ     lab, t

// func lookupWeights(keep, add, labels, mask *byte, table *blendEntry, n int) int
// For each of n pixels: entry = table[label | (mask&1)<<8]; its keep and
// add words go to 6-byte steps of keep and add; returns the pixels whose
// mask has the low bit set. Eight pixels of one label and mask bit (most
// of a segmentation's row) take one lookup and three 16-byte stores per
// row of weights; others go two at a time.
TEXT ·lookupWeights(SB), NOSPLIT, $0-56
	MOVQ keep+0(FP), DI
	MOVQ add+8(FP), SI
	MOVQ labels+16(FP), R8
	MOVQ mask+24(FP), R9
	MOVQ table+32(FP), R10
	MOVQ n+40(FP), CX
	MOVQ $0x0101010101010101, DX
	XORQ AX, AX
	XORQ BX, BX

block:
	LEAQ    8(BX), R11
	CMPQ    R11, CX
	JGT     pairs
	MOVQ    (R8)(BX*1), R11
	MOVQ    (R9)(BX*1), R12
	UNIFORM8(R11, R12, DX, R13, mixed)
	SHLQ    $4, R13
	MOVQ    (R10)(R13*1), X0
	MOVQ    8(R10)(R13*1), X1
	REPEAT8(X0, DI)
	REPEAT8(X1, SI)
	ADDQ    $48, DI
	ADDQ    $48, SI
	ADDQ    $8, BX
	JMP     block

mixed:
	MOVQ CX, X15
	LEAQ 8(BX), CX

mixedPairs:
	PAIR
	CMPQ BX, CX
	JLT  mixedPairs
	MOVQ X15, CX
	JMP  block

pairs:
	LEAQ 1(BX), R11
	CMPQ R11, CX
	JGE  last
	PAIR
	JMP  pairs

last:
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

done:
	MOVQ AX, ret+48(FP)
	RET

// REPEAT12 stores the 12 bytes in the low lanes of X (the rest zero)
// eight times from dst: 96 bytes, six 16-byte stores of a 48-byte period.
#define REPEAT12(X, dst) \
	MOVO   X, X2 \
	PSLLDQ $12, X2 \
	POR    X, X2 \
	MOVO   X, X3 \
	PSRLDQ $4, X3 \
	MOVO   X, X4 \
	PSLLDQ $8, X4 \
	POR    X4, X3 \
	MOVO   X, X4 \
	PSRLDQ $8, X4 \
	MOVO   X, X5 \
	PSLLDQ $4, X5 \
	POR    X5, X4 \
	MOVOU  X2, (dst) \
	MOVOU  X3, 16(dst) \
	MOVOU  X4, 32(dst) \
	MOVOU  X2, 48(dst) \
	MOVOU  X3, 64(dst) \
	MOVOU  X4, 80(dst)

// PAIR_WEIGHTS stores the pair entry of label BX and mask DX (the model
// pixel at R8, R9) as 16 bytes each of keep and add, counts an outlier in
// AX, and steps to the next model pixel.
#define PAIR_WEIGHTS \
	ANDQ  $1, DX \
	ADDQ  DX, AX \
	SHLQ  $8, DX \
	ORQ   DX, BX \
	SHLQ  $5, BX \
	MOVOU (R10)(BX*1), X0 \
	MOVOU 16(R10)(BX*1), X1 \
	MOVOU X0, (DI) \
	MOVOU X1, (SI) \
	ADDQ  $12, DI \
	ADDQ  $12, SI \
	INCQ  R8 \
	INCQ  R9

// func halvesWeights(keep, add, labels, mask *byte, score *float32, lab, mk *byte, sc *float32, pairs *pairEntry, n int) int
// lookupWeights for a frame of twice the model's width, which also writes
// each model pixel's label, mask and score twice into the frame row (lab,
// mk, sc). Eight model pixels at a time: their labels, masks and scores
// doubled with SSE2 unpacks, and where they share a label and mask bit
// their pair entry repeated; else, and for the last few, one store per
// output: the labels and masks as 16-bit words, the scores as one 64-bit
// word, the two pixels' weights as 16 bytes from the pair table (entries
// of 32 bytes: keep, then add), the last 4 bytes of which the next pixel
// overwrites.
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

hblock:
	LEAQ      8(R8), CX
	CMPQ      CX, n+72(FP)
	JA        hloop
	MOVQ      (R8), BX
	MOVQ      (R9), DX
	MOVQ      BX, X0
	PUNPCKLBW X0, X0
	MOVOU     X0, (R12)
	MOVQ      DX, X1
	PUNPCKLBW X1, X1
	MOVOU     X1, (R13)
	MOVOU     (R11), X0
	MOVO      X0, X1
	UNPCKLPS  X0, X0
	UNPCKHPS  X1, X1
	MOVOU     X0, (R14)
	MOVOU     X1, 16(R14)
	MOVOU     16(R11), X0
	MOVO      X0, X1
	UNPCKLPS  X0, X0
	UNPCKHPS  X1, X1
	MOVOU     X0, 32(R14)
	MOVOU     X1, 48(R14)
	MOVQ      $0x0101010101010101, CX
	UNIFORM8(BX, DX, CX, R15, hmixed)
	SHLQ      $5, R15
	MOVOU     (R10)(R15*1), X0
	MOVOU     16(R10)(R15*1), X1
	REPEAT12(X0, DI)
	REPEAT12(X1, SI)
	ADDQ      $96, DI
	ADDQ      $96, SI
	ADDQ      $8, R8
	ADDQ      $8, R9
	JMP       hnext

hmixed:
	MOVQ    $8, CX

hmixedLoop:
	MOVBQZX (R8), BX
	MOVBQZX (R9), DX
	PAIR_WEIGHTS
	DECQ    CX
	JNZ     hmixedLoop

hnext:
	ADDQ $32, R11
	ADDQ $16, R12
	ADDQ $16, R13
	ADDQ $64, R14
	JMP  hblock

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
	PAIR_WEIGHTS
	ADDQ    $4, R11
	ADDQ    $2, R12
	ADDQ    $2, R13
	ADDQ    $8, R14
	JMP     hloop

hdone:
	MOVQ AX, ret+80(FP)
	RET
