//go:build amd64 && !purego

#include "textflag.h"

// Byte shuffles that gather one channel of 16 RGB pixels (48 bytes in
// three registers) into 16 bytes: rgbShuf<channel><register>; 0x80
// writes a zero, so the three results OR together.
DATA rgbShuf00<>+0(SB)/8, $0x80800f0c09060300
DATA rgbShuf00<>+8(SB)/8, $0x8080808080808080
GLOBL rgbShuf00<>(SB), RODATA|NOPTR, $16

DATA rgbShuf01<>+0(SB)/8, $0x0502808080808080
DATA rgbShuf01<>+8(SB)/8, $0x80808080800e0b08
GLOBL rgbShuf01<>(SB), RODATA|NOPTR, $16

DATA rgbShuf02<>+0(SB)/8, $0x8080808080808080
DATA rgbShuf02<>+8(SB)/8, $0x0d0a070401808080
GLOBL rgbShuf02<>(SB), RODATA|NOPTR, $16

DATA rgbShuf10<>+0(SB)/8, $0x8080800d0a070401
DATA rgbShuf10<>+8(SB)/8, $0x8080808080808080
GLOBL rgbShuf10<>(SB), RODATA|NOPTR, $16

DATA rgbShuf11<>+0(SB)/8, $0x0603008080808080
DATA rgbShuf11<>+8(SB)/8, $0x80808080800f0c09
GLOBL rgbShuf11<>(SB), RODATA|NOPTR, $16

DATA rgbShuf12<>+0(SB)/8, $0x8080808080808080
DATA rgbShuf12<>+8(SB)/8, $0x0e0b080502808080
GLOBL rgbShuf12<>(SB), RODATA|NOPTR, $16

DATA rgbShuf20<>+0(SB)/8, $0x8080800e0b080502
DATA rgbShuf20<>+8(SB)/8, $0x8080808080808080
GLOBL rgbShuf20<>(SB), RODATA|NOPTR, $16

DATA rgbShuf21<>+0(SB)/8, $0x0704018080808080
DATA rgbShuf21<>+8(SB)/8, $0x8080808080800d0a
GLOBL rgbShuf21<>(SB), RODATA|NOPTR, $16

DATA rgbShuf22<>+0(SB)/8, $0x8080808080808080
DATA rgbShuf22<>+8(SB)/8, $0x0f0c090603008080
GLOBL rgbShuf22<>(SB), RODATA|NOPTR, $16

DATA halvesOnes<>+0(SB)/8, $0x0101010101010101
DATA halvesOnes<>+8(SB)/8, $0x0101010101010101
GLOBL halvesOnes<>(SB), RODATA|NOPTR, $16

DATA halvesTwos<>+0(SB)/8, $0x0002000200020002
DATA halvesTwos<>+8(SB)/8, $0x0002000200020002
GLOBL halvesTwos<>(SB), RODATA|NOPTR, $16

DATA float255<>+0(SB)/4, $255.0
GLOBL float255<>(SB), RODATA|NOPTR, $4

// NORM_CONSTS loads 255 into Y9 and the normConsts at AX (means, then
// standard deviations) into Y10-Y15, each broadcast to all lanes.
#define NORM_CONSTS \
	VBROADCASTSS float255<>(SB), Y9 \
	VBROADCASTSS 0(AX), Y10 \
	VBROADCASTSS 4(AX), Y11 \
	VBROADCASTSS 8(AX), Y12 \
	VBROADCASTSS 12(AX), Y13 \
	VBROADCASTSS 16(AX), Y14 \
	VBROADCASTSS 20(AX), Y15

// CHANNEL gathers one channel of 8 model pixels' 2x2 blocks from rows
// X0-X2 and X4-X6 with the three shuffles m0-m2, adds each block, rounds
// to 8 bits, then computes (v/255 - mean) / std as the lookup table does
// and stores the 8 floats at dst.
#define CHANNEL(m0, m1, m2, mean, std, dst) \
	VPSHUFB    m0, X0, X3 \
	VPSHUFB    m1, X1, X7 \
	VPOR       X7, X3, X3 \
	VPSHUFB    m2, X2, X7 \
	VPOR       X7, X3, X3 \
	VPSHUFB    m0, X4, X8 \
	VPSHUFB    m1, X5, X7 \
	VPOR       X7, X8, X8 \
	VPSHUFB    m2, X6, X7 \
	VPOR       X7, X8, X8 \
	VPMADDUBSW halvesOnes<>(SB), X3, X3 \
	VPMADDUBSW halvesOnes<>(SB), X8, X8 \
	VPADDW     X8, X3, X3 \
	VPADDW     halvesTwos<>(SB), X3, X3 \
	VPSRLW     $2, X3, X3 \
	VPMOVZXWD  X3, Y3 \
	VCVTDQ2PS  Y3, Y3 \
	VDIVPS     Y9, Y3, Y3 \
	VSUBPS     mean, Y3, Y3 \
	VDIVPS     std, Y3, Y3 \
	VMOVUPS    Y3, (dst)

// func halvesAVX2(red, green, blue *float32, row0, row1 *byte, n int, c *normConsts)
// n model pixels (a multiple of 8) from two frame rows of 6n bytes each.
TEXT ·halvesAVX2(SB), NOSPLIT, $0-56
	MOVQ         red+0(FP), DI
	MOVQ         green+8(FP), SI
	MOVQ         blue+16(FP), DX
	MOVQ         row0+24(FP), R8
	MOVQ         row1+32(FP), R9
	MOVQ         n+40(FP), CX
	MOVQ         c+48(FP), AX
	NORM_CONSTS

loop:
	CMPQ    CX, $8
	JLT     done
	VMOVDQU (R8), X0
	VMOVDQU 16(R8), X1
	VMOVDQU 32(R8), X2
	VMOVDQU (R9), X4
	VMOVDQU 16(R9), X5
	VMOVDQU 32(R9), X6
	CHANNEL(rgbShuf00<>(SB), rgbShuf01<>(SB), rgbShuf02<>(SB), Y10, Y13, DI)
	CHANNEL(rgbShuf10<>(SB), rgbShuf11<>(SB), rgbShuf12<>(SB), Y11, Y14, SI)
	CHANNEL(rgbShuf20<>(SB), rgbShuf21<>(SB), rgbShuf22<>(SB), Y12, Y15, DX)
	ADDQ    $48, R8
	ADDQ    $48, R9
	ADDQ    $32, DI
	ADDQ    $32, SI
	ADDQ    $32, DX
	SUBQ    $8, CX
	JMP     loop

done:
	VZEROUPPER
	RET

// PLANE gathers one channel of the 16 pixels in X0-X2 with the three
// shuffles m0-m2 and stores (v/255 - mean) / std, as the lookup table
// computes it, as 16 floats at dst.
#define PLANE(m0, m1, m2, mean, std, dst) \
	VPSHUFB   m0, X0, X3 \
	VPSHUFB   m1, X1, X7 \
	VPOR      X7, X3, X3 \
	VPSHUFB   m2, X2, X7 \
	VPOR      X7, X3, X3 \
	VPMOVZXBD X3, Y4 \
	VPSRLDQ   $8, X3, X3 \
	VPMOVZXBD X3, Y5 \
	VCVTDQ2PS Y4, Y4 \
	VCVTDQ2PS Y5, Y5 \
	VDIVPS    Y9, Y4, Y4 \
	VDIVPS    Y9, Y5, Y5 \
	VSUBPS    mean, Y4, Y4 \
	VSUBPS    mean, Y5, Y5 \
	VDIVPS    std, Y4, Y4 \
	VDIVPS    std, Y5, Y5 \
	VMOVUPS   Y4, (dst) \
	VMOVUPS   Y5, 32(dst)

// func planesAVX2(red, green, blue *float32, pix *byte, n int, c *normConsts)
// n pixels (a multiple of 16) of 3n bytes into the three planes.
TEXT ·planesAVX2(SB), NOSPLIT, $0-48
	MOVQ         red+0(FP), DI
	MOVQ         green+8(FP), SI
	MOVQ         blue+16(FP), DX
	MOVQ         pix+24(FP), R8
	MOVQ         n+32(FP), CX
	MOVQ         c+40(FP), AX
	NORM_CONSTS

planes:
	CMPQ    CX, $16
	JLT     planesDone
	VMOVDQU (R8), X0
	VMOVDQU 16(R8), X1
	VMOVDQU 32(R8), X2
	PLANE(rgbShuf00<>(SB), rgbShuf01<>(SB), rgbShuf02<>(SB), Y10, Y13, DI)
	PLANE(rgbShuf10<>(SB), rgbShuf11<>(SB), rgbShuf12<>(SB), Y11, Y14, SI)
	PLANE(rgbShuf20<>(SB), rgbShuf21<>(SB), rgbShuf22<>(SB), Y12, Y15, DX)
	ADDQ    $48, R8
	ADDQ    $64, DI
	ADDQ    $64, SI
	ADDQ    $64, DX
	SUBQ    $16, CX
	JMP     planes

planesDone:
	VZEROUPPER
	RET
