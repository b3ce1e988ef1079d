package nn

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// Winograd's F(4x4, 3x3) (Lavin and Gray, "Fast Algorithms for
// Convolutional Neural Networks", 2016) for stride-1 3x3 convolutions:
// every 4x4 block of outputs from a 6x6 block of input with 36
// multiplications per channel pair instead of 144. The input's tiles and
// the kernels are transformed (Bᵀ·d·B, G·g·Gᵀ), the 36 products of the
// transformed domain are 36 GEMMs [out x c]·[c x tiles] through the same
// OpenBLAS, and the output transform Aᵀ·m·A adds them back up. Its
// transforms scale by up to 8 and add, so it rounds somewhat more than
// im2col's GEMM (TestWinogradMatchesIm2col bounds it).

// winograd is whether g, a convolution to out channels, runs as F(4x4, 3x3):
// a stride-1 3x3 one with at least 32 channels in and out. With fewer
// (a dense layer's 16 new features, or its data gradient from them) the
// GEMMs over 16 rows or 16 terms run at a fraction of the rate of im2col's
// long ones, and the transforms, which cost per channel in and out, take
// what the fewer multiplications save.
func (g geometry) winograd(out int) bool {
	return g.K == 3 && g.Stride == 1 && g.Pad <= 2 && g.oh >= 2 && g.ow >= 2 && min(g.c, out) >= 32
}

// winoTiles is the tile grid: tile rows, and tiles per row rounded up to
// a multiple of 8, so that the transforms run in whole vectors (the tiles
// past the row's end see zeros, and their outputs are dropped).
func (g geometry) winoTiles() (th, tw int) { return (g.oh + 3) / 4, ((g.ow+3)/4 + 7) &^ 7 }

// winoBandFloats bounds the transformed input and products of one round
// of transforms and GEMMs (36·(c+out) floats per tile): enough tiles for
// efficient GEMMs, and in the shared cache between the transforms and the
// GEMMs.
const winoBandFloats = 1 << 20

// winoBand is how many tile rows one round takes, for rounds of at most
// floats (0: winoBandFloats).
func (g geometry) winoBand(out, floats int) int {
	if floats == 0 {
		floats = winoBandFloats
	}
	th, tw := g.winoTiles()
	return max(1, min(th, floats/(36*(g.c+out)*tw)))
}

// winoWeights writes the transformed kernels G·g·Gᵀ of w [out x c x 3 x 3]
// into dst as 36 matrices [out x c], one per point of the 6x6 domain,
// computed in float64 and rounded once.
func winoWeights(w []float32, out, c int, dst []float32) []float32 {
	oc := out * c
	dst = grow(dst, 36*oc)
	for i := range oc {
		k := w[i*9:][:9]
		var t [6][3]float64 // G·g
		for j := range 3 {
			t[0][j], t[1][j], t[2][j], t[3][j], t[4][j], t[5][j] = winoG(float64(k[j]), float64(k[3+j]), float64(k[6+j]))
		}
		for a := range 6 {
			u0, u1, u2, u3, u4, u5 := winoG(t[a][0], t[a][1], t[a][2])
			for b, u := range [6]float64{u0, u1, u2, u3, u4, u5} {
				dst[(6*a+b)*oc+i] = float32(u)
			}
		}
	}
	return dst
}

// winoG is G of F(4x4, 3x3) applied to three values.
func winoG(g0, g1, g2 float64) (u0, u1, u2, u3, u4, u5 float64) {
	s, d := g0+g2, g2/6+g0/24
	return g0 / 4, -(s + g1) / 6, -(s - g1) / 6, d + g1/12, d - g1/12, g2
}

// winoConv is y [n,out,oh,ow] = w ⊛ x (+ bias) for n images by F(4x4, 3x3),
// u being w's transformed kernels (winoWeights).
func (ws *Workspace) winoConv(g geometry, n, out int, u, x, bias, y []float32) {
	th, tw := g.winoTiles()
	rb := g.winoBand(out, ws.winoFloats)
	nb := rb * tw
	pw := 4*tw + 4
	vlen, mlen, plen := 36*g.c*nb, 36*out*nb, (4*rb+2)*pw
	plane, oplane := g.c*g.h*g.w, out*g.p()
	ws.forImages(n, func(wk, lo, hi int) {
		buf := ws.col(wk, vlen+mlen+plen+36*8)
		v, m, pad, sc := buf[:vlen], buf[vlen:vlen+mlen], buf[vlen+mlen:vlen+mlen+plen], buf[vlen+mlen+plen:]
		for i := lo; i < hi; i++ {
			xi, yi := x[i*plane:(i+1)*plane], y[i*oplane:(i+1)*oplane]
			for r0 := 0; r0 < th; r0 += rb {
				nr := min(rb, th-r0)
				cols := nr * tw
				winoInput(g, xi, r0, nr, tw, pad, sc, v[:36*g.c*cols])
				// mᵀ per point k, [tiles x out] with a row stride of 36·out:
				// each tile's products together, for the output transform.
				for k := range 36 {
					blas32.Gemm(blas.Trans, blas.Trans, 1,
						view(v, g.c, cols, 36*cols, k*cols), view(u, out, g.c, g.c, k*out*g.c),
						0, view(m, cols, out, 36*out, k*out))
				}
				winoOutput(g, out, m[:36*out*cols], r0, nr, tw, bias, sc, yi)
			}
		}
	})
}

// winoInput writes the transformed input tiles Bᵀ·d·B of tile rows
// [r0, r0+nr) of image x into v [c x 36 x nr·tw] (a channel's transforms
// together, for the cache); pad is scratch for the
// band's 4·nr+2 input rows, padded to 4·tw+4 columns, and sc for 36·8 floats.
func winoInput(g geometry, x []float32, r0, nr, tw int, pad, sc, v []float32) {
	cols := nr * tw
	pw := 4*tw + 4
	for c := range g.c {
		xc := x[c*g.h*g.w : (c+1)*g.h*g.w]
		for pr := range 4*nr + 2 {
			row := pad[pr*pw : (pr+1)*pw]
			iy := 4*r0 + pr - g.Pad
			if iy < 0 || iy >= g.h {
				clear(row)
				continue
			}
			clear(row[:g.Pad])
			copy(row[g.Pad:], xc[iy*g.w:(iy+1)*g.w])
			clear(row[g.Pad+g.w:])
		}
		for r := range nr {
			winoInRow(pad[4*r*pw:(4*r+6)*pw], pw, sc, v, c*36*cols+r*tw, cols, tw)
		}
	}
}

// bt6 is Bᵀ of F(4x4, 3x3) applied to six values.
func bt6(d0, d1, d2, d3, d4, d5 float32) (u0, u1, u2, u3, u4, u5 float32) {
	a, b := d4-4*d2, 4*d1-d3
	c, e := d4-d2, 2*(d1-d3)
	return 4*d0 - 5*d2 + d4, a - b, a + b, c - e, c + e, 4*d1 - 5*d3 + d5
}

// at6 is Aᵀ of F(4x4, 3x3) applied to six values.
func at6(m0, m1, m2, m3, m4, m5 float32) (y0, y1, y2, y3 float32) {
	a, b, c, d := m1+m2, m1-m2, m3+m4, m3-m4
	return m0 + a + c, b + 2*d, a + 4*c, b + 8*d + m5
}

// winoInRow writes Bᵀ·d·B of one row of tw tiles, d being 6 padded rows of
// pw floats in rows, to v[o + k·stride + j] for the domain's points k and
// tiles j (in the SIMD build, tiles 0, 2, 4, 6, 1, 3, 5, 7 of each group
// of 8, as winoOutRow reads them); sc is scratch of 36·8 floats.
func winoInRow(rows []float32, pw int, sc, v []float32, o, stride, tw int) {
	j := 0
	if simdOK {
		j = winoInRowSIMD(rows, pw, sc, v, o, stride, tw)
	}
	for ; j < tw; j++ {
		var h [6][6]float32 // d·B, row by row
		for a := range 6 {
			d := rows[a*pw+4*j:][:6]
			h[a][0], h[a][1], h[a][2], h[a][3], h[a][4], h[a][5] = bt6(d[0], d[1], d[2], d[3], d[4], d[5])
		}
		for b := range 6 {
			u0, u1, u2, u3, u4, u5 := bt6(h[0][b], h[1][b], h[2][b], h[3][b], h[4][b], h[5][b])
			for k, u := range [6]float32{u0, u1, u2, u3, u4, u5} {
				v[o+(6*k+b)*stride+j] = u
			}
		}
	}
}

// winoTileAt is the tile whose values column j of the transformed input
// holds: winoInRowSIMD's transposes order each group of 8 tiles 0, 2, 4,
// 6, 1, 3, 5, 7.
func winoTileAt(j int) int {
	if simdOK {
		return j&^7 | (j&3)<<1 | (j>>2)&1
	}
	return j
}

// winoOutput adds the 36 products m [nr·tw x 36 x out] of tile rows
// [r0, r0+nr) back up, Aᵀ·m·A, into image y [out x oh x ow], plus bias;
// sc is scratch of 36·8 floats.
func winoOutput(g geometry, out int, m []float32, r0, nr, tw int, bias, sc, y []float32) {
	for r := range nr {
		oy := 4 * (r0 + r)
		nrow := min(4, g.oh-oy)
		for j := range tw {
			ox := 4 * winoTileAt(j)
			if ox >= g.ow {
				continue
			}
			ncol := min(4, g.ow-ox)
			mt := m[(r*tw+j)*36*out:][:36*out]
			at := oy*g.ow + ox // the tile's first output in each channel
			o := 0
			if simdOK && ncol == 4 {
				o = winoOutTileSIMD(mt, out, bias, y, g.p(), at, g.ow, nrow, sc)
			}
			for ; o < out; o++ {
				b := float32(0)
				if bias != nil {
					b = bias[o]
				}
				var s [4][6]float32 // Aᵀ·m
				for c := range 6 {
					m := func(a int) float32 { return mt[(6*a+c)*out+o] }
					s[0][c], s[1][c], s[2][c], s[3][c] = at6(m(0), m(1), m(2), m(3), m(4), m(5))
				}
				yo := y[o*g.p()+at:]
				for a := range nrow {
					y0, y1, y2, y3 := at6(s[a][0], s[a][1], s[a][2], s[a][3], s[a][4], s[a][5])
					copy(yo[a*g.ow:a*g.ow+ncol], []float32{y0 + b, y1 + b, y2 + b, y3 + b})
				}
			}
		}
	}
}
