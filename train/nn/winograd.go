package nn

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// Winograd's F(2x2, 3x3) (Lavin and Gray, "Fast Algorithms for
// Convolutional Neural Networks", 2016) for stride-1 3x3 convolutions:
// every 2x2 block of outputs from a 4x4 block of input with 16
// multiplications per channel pair instead of 36. The input's tiles and the
// kernels are transformed (Bᵀ·d·B, G·g·Gᵀ), the 16 products of the
// transformed domain are 16 GEMMs [out x c]·[c x tiles] through the same
// OpenBLAS, and the output transform Aᵀ·m·A adds them back up. Its
// transforms only add, subtract and halve, so its rounding is that of a
// few more additions per output than im2col's GEMM (TestWinogradMatchesIm2col).

// winograd is whether g, a convolution to out channels, runs as F(2x2, 3x3):
// a stride-1 3x3 one with at least 32 channels in and out. With fewer
// (a dense layer's 16 new features, or its data gradient from them) the
// GEMMs over 16 rows or 16 terms run at half the rate of im2col's long
// ones, and the transforms, which cost per channel in and out, take what
// the fewer multiplications save (BenchmarkConvDenseLayer: 34-37 CPU-ms
// with im2col, 34-49 with Winograd).
func (g geometry) winograd(out int) bool {
	return g.K == 3 && g.Stride == 1 && g.Pad <= 2 && g.oh >= 2 && g.ow >= 2 && min(g.c, out) >= 32
}

// winoTiles is the tile grid: tile rows, and tiles per row rounded up to
// a multiple of 8, so that the transforms run in whole vectors (the tiles
// past the row's end see zeros, and their outputs are dropped).
func (g geometry) winoTiles() (th, tw int) { return (g.oh + 1) / 2, ((g.ow+1)/2 + 7) &^ 7 }

// winoBand is how many tile rows one round of transforms and GEMMs takes:
// enough columns for efficient GEMMs, few enough that the transformed
// input and the products (16·(c+out) floats per tile, about 256 KiB) are
// still in cache between the transforms and the GEMMs.
const winoBandFloats = 256 << 10

func (g geometry) winoBand(out int) int {
	th, tw := g.winoTiles()
	return max(1, min(th, (winoBandFloats)/(16*(g.c+out)*tw)))
}

// winoWeights writes the transformed kernels G·g·Gᵀ of w [out x c x 3 x 3]
// into dst as 16 matrices [out x c], one per point of the 4x4 domain.
func winoWeights(w []float32, out, c int, dst []float32) []float32 {
	oc := out * c
	dst = grow(dst, 16*oc)
	for i := range oc {
		k := w[i*9:][:9]
		var t [4][3]float32
		for j := range 3 {
			a, b, e := k[j], k[3+j], k[6+j]
			t[0][j], t[1][j], t[2][j], t[3][j] = a, (a+b+e)*0.5, (a-b+e)*0.5, e
		}
		for r := range 4 {
			a, b, e := t[r][0], t[r][1], t[r][2]
			dst[(4*r)*oc+i] = a
			dst[(4*r+1)*oc+i] = (a + b + e) * 0.5
			dst[(4*r+2)*oc+i] = (a - b + e) * 0.5
			dst[(4*r+3)*oc+i] = e
		}
	}
	return dst
}

// winoConv is y [n,out,oh,ow] = w ⊛ x (+ bias) for n images by F(2x2, 3x3),
// u being w's transformed kernels (winoWeights).
func (ws *Workspace) winoConv(g geometry, n, out int, u, x, bias, y []float32) {
	th, tw := g.winoTiles()
	rb := g.winoBand(out)
	nb := rb * tw
	pw := 2*tw + 2
	vlen, mlen, plen := 16*g.c*nb, 16*out*nb, (2*rb+2)*pw
	plane, oplane := g.c*g.h*g.w, out*g.p()
	ws.forImages(n, func(wk, lo, hi int) {
		buf := ws.col(wk, vlen+mlen+plen)
		v, m, pad := buf[:vlen], buf[vlen:vlen+mlen], buf[vlen+mlen:]
		for i := lo; i < hi; i++ {
			xi, yi := x[i*plane:(i+1)*plane], y[i*oplane:(i+1)*oplane]
			for r0 := 0; r0 < th; r0 += rb {
				nr := min(rb, th-r0)
				cols := nr * tw
				winoInput(g, xi, r0, nr, tw, pad, v[:16*g.c*cols])
				for k := range 16 {
					blas32.Gemm(blas.NoTrans, blas.NoTrans, 1,
						view(u, out, g.c, g.c, k*out*g.c), view(v, g.c, cols, cols, k*g.c*cols),
						0, view(m, out, cols, cols, k*out*cols))
				}
				winoOutput(g, out, m[:16*out*cols], r0, nr, tw, bias, yi)
			}
		}
	})
}

// winoInput writes the transformed input tiles Bᵀ·d·B of tile rows
// [r0, r0+nr) of image x into v [16 x c x nr·tw]; pad is scratch for the
// band's 2·nr+2 input rows, padded to 2·tw+2 columns.
func winoInput(g geometry, x []float32, r0, nr, tw int, pad, v []float32) {
	cols := nr * tw
	pw := 2*tw + 2
	for c := range g.c {
		xc := x[c*g.h*g.w : (c+1)*g.h*g.w]
		for pr := range 2*nr + 2 {
			row := pad[pr*pw : (pr+1)*pw]
			iy := 2*r0 + pr - g.Pad
			if iy < 0 || iy >= g.h {
				clear(row)
				continue
			}
			clear(row[:g.Pad])
			copy(row[g.Pad:], xc[iy*g.w:(iy+1)*g.w])
			clear(row[g.Pad+g.w:])
		}
		for r := range nr {
			winoInRow(pad[2*r*pw:(2*r+4)*pw], pw, v, c*cols+r*tw, g.c*cols, tw)
		}
	}
}

// winoInRow writes Bᵀ·d·B of one row of tw tiles, d being 4 padded rows of
// pw floats in rows, to v[o + k·stride + j] for the domain's points k and
// tiles j.
func winoInRow(rows []float32, pw int, v []float32, o, stride, tw int) {
	j := 0
	if simdOK {
		j = winoInRowSIMD(rows, pw, v, o, stride, tw)
	}
	for ; j < tw; j++ {
		var h [4][4]float32 // d·B, row by row
		for a := range 4 {
			d := rows[a*pw+2*j:][:4]
			h[a] = [4]float32{d[0] - d[2], d[1] + d[2], d[2] - d[1], d[1] - d[3]}
		}
		for b := range 4 {
			v[o+b*stride+j] = h[0][b] - h[2][b]
			v[o+(4+b)*stride+j] = h[1][b] + h[2][b]
			v[o+(8+b)*stride+j] = h[2][b] - h[1][b]
			v[o+(12+b)*stride+j] = h[1][b] - h[3][b]
		}
	}
}

// winoOutput adds the 16 products m [16 x out x nr·tw] of tile rows
// [r0, r0+nr) back up, Aᵀ·m·A, into image y [out x oh x ow], plus bias.
func winoOutput(g geometry, out int, m []float32, r0, nr, tw int, bias, y []float32) {
	cols := nr * tw
	for o := range out {
		b := float32(0)
		if bias != nil {
			b = bias[o]
		}
		yo := y[o*g.p() : (o+1)*g.p()]
		for r := range nr {
			oy := 2 * (r0 + r)
			top, bot := yo[oy*g.ow:(oy+1)*g.ow], []float32(nil)
			if oy+1 < g.oh {
				bot = yo[(oy+1)*g.ow : (oy+2)*g.ow]
			}
			winoOutRow(m, o*cols+r*tw, out*cols, tw, top, bot, b)
		}
	}
}

// winoOutRow writes Aᵀ·m·A + b of one row of tiles, m's points k of tile j
// at m[i + k·stride + j], into the output rows top and bot (nil past the
// last row), as far as they go.
func winoOutRow(m []float32, i, stride, tw int, top, bot []float32, b float32) {
	j := 0
	if simdOK {
		j = winoOutRowSIMD(m, i, stride, tw, top, bot, b)
	}
	for ; j < tw && 2*j < len(top); j++ {
		var s [2][4]float32 // Aᵀ·m
		for c := range 4 {
			p, q, r, t := m[i+c*stride+j], m[i+(4+c)*stride+j], m[i+(8+c)*stride+j], m[i+(12+c)*stride+j]
			s[0][c], s[1][c] = p+q+r, q-r-t
		}
		for a, row := range [2][]float32{top, bot} {
			if row == nil {
				continue
			}
			row[2*j] = s[a][0] + s[a][1] + s[a][2] + b
			if 2*j+1 < len(row) {
				row[2*j+1] = s[a][1] - s[a][2] - s[a][3] + b
			}
		}
	}
}
