package nn

// im2col and col2im lay out convolution patches as matrix columns (and
// scatter them back), row-tiled so that conv_op.go can split them across
// images and workers.

// im2colRows lays out every kernel tap of output rows [oy0, oy1) as a row
// of (oy1-oy0)*ow values: col[(c*k+ky)*k+kx][(oy-oy0)*ow+ox].
// Convolutions work in such row tiles, so that the matrix stays in cache
// between im2col and GEMM.
func im2colRows(x []float32, ch, h, w, k, stride, pad, ow, oy0, oy1 int, col []float32) {
	n := (oy1 - oy0) * ow
	for c := 0; c < ch; c++ {
		plane := x[c*h*w : (c+1)*h*w]
		for ky := 0; ky < k; ky++ {
			for kx := 0; kx < k; kx++ {
				row := col[((c*k+ky)*k+kx)*n:][:n]
				ox0, ox1 := validRange(kx, stride, pad, w, ow)
				for oy := oy0; oy < oy1; oy++ {
					iy := oy*stride - pad + ky
					dst := row[(oy-oy0)*ow : (oy-oy0+1)*ow]
					if iy < 0 || iy >= h || ox0 >= ox1 {
						clear(dst)
						continue
					}
					clear(dst[:ox0])
					clear(dst[ox1:])
					src := plane[iy*w : (iy+1)*w]
					if stride == 1 {
						copy(dst[ox0:ox1], src[ox0-pad+kx:])
						continue
					}
					ix := ox0*stride - pad + kx
					for ox := ox0; ox < ox1; ox++ {
						dst[ox] = src[ix]
						ix += stride
					}
				}
			}
		}
	}
}

// validRange is the output columns [ox0, ox1) whose tap kx lands inside a
// row of width w.
func validRange(kx, stride, pad, w, ow int) (int, int) {
	ox0 := 0
	if d := pad - kx; d > 0 {
		ox0 = (d + stride - 1) / stride
	}
	ox1 := ow
	if last := (w - 1 + pad - kx) / stride; w-1+pad-kx < 0 {
		ox1 = 0
	} else if last+1 < ox1 {
		ox1 = last + 1
	}
	return min(ox0, ox1), ox1
}

// col2imRows is the adjoint of im2colRows: it adds the taps of output rows
// [oy0, oy1) into dx.
func col2imRows(col []float32, ch, h, w, k, stride, pad, ow, oy0, oy1 int, dx []float32) {
	n := (oy1 - oy0) * ow
	for c := 0; c < ch; c++ {
		plane := dx[c*h*w : (c+1)*h*w]
		for ky := 0; ky < k; ky++ {
			for kx := 0; kx < k; kx++ {
				row := col[((c*k+ky)*k+kx)*n:][:n]
				ox0, ox1 := validRange(kx, stride, pad, w, ow)
				for oy := oy0; oy < oy1; oy++ {
					iy := oy*stride - pad + ky
					if iy < 0 || iy >= h || ox0 >= ox1 {
						continue
					}
					dst := plane[iy*w : (iy+1)*w]
					src := row[(oy-oy0)*ow+ox0 : (oy-oy0)*ow+ox1]
					if stride == 1 {
						d := dst[ox0-pad+kx:][:len(src)]
						for i, v := range src {
							d[i] += v
						}
						continue
					}
					ix := ox0*stride - pad + kx
					for _, v := range src {
						dst[ix] += v
						ix += stride
					}
				}
			}
		}
	}
}

func grow(s []float32, n int) []float32 {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]float32, n)
}
