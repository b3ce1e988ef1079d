//go:build !amd64 || purego

package blend

const (
	haveVector = false
	vectorLen  = 32
)

func weightedVector(dst, src, keep, add []byte) { weightedGo(dst, src, keep, add) }
