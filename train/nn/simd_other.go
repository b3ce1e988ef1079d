//go:build !goexperiment.simd || !amd64

package nn

// simdOK is false: built without GOEXPERIMENT=simd (or not for amd64), the
// element-wise kernels run their scalar versions. The functions below are
// never called.
const simdOK = false

func normRowSIMD(src, dst []float32, s, t float32, relu bool) { normRowScalar(src, dst, s, t, relu) }
func dxRowSIMD(dst, g, x []float32, s, a, b float32)          { dxRowScalar(dst, g, x, s, a, b) }
func maskedSumsSIMD(dy, y, x []float32, mean float32, out []float32) (float32, float32) {
	return maskedSumsScalar(dy, y, x, mean, out)
}
func gradSumsSIMD(dy, x []float32, mean float32) (float32, float32) {
	return gradSumsScalar(dy, x, mean)
}
func sumSquaresSIMD(x []float32) (float64, float64)   { return sumSquaresScalar(x) }
func expShiftedSIMD(dst, z, shift, sum []float32)     { expShiftedScalar(dst, z, shift, sum) }
func maxRowSIMD(dst, src []float32)                   { maxRowScalar(dst, src) }
func mulRowSIMD(dst, src []float32)                   { mulRowScalar(dst, src) }
func blendRowSIMD(d, a, b []float32, w0, w1 float32)  { blendRowScalar(d, a, b, w0, w1) }
func spreadRowSIMD(a, b, g []float32, w0, w1 float32) { spreadRowScalar(a, b, g, w0, w1) }
func pool2RowSIMD(dst, a, b []float32)                { pool2RowScalar(dst, a, b) }
func unpool2RowSIMD(dst, g []float32, d float32)      { unpool2RowScalar(dst, g, d) }
