package nn

// #cgo LDFLAGS: -lopenblas
import "C"

import (
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/netlib/blas/netlib"
)

// Every GEMM in training goes through OpenBLAS (Debian libopenblas-dev):
// gonum's pure-Go SGEMM reaches a fraction of what OpenBLAS's AVX-512
// kernels do. gonum keeps the implementation in a package variable, so
// this is set once, for the whole process.
func init() { blas32.Use(netlib.Implementation{}) }
