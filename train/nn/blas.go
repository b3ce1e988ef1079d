package nn

// #cgo LDFLAGS: -lopenblas
// void openblas_set_num_threads(int);
import "C"

import (
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/netlib/blas/netlib"
)

// Every GEMM in training goes through OpenBLAS (Debian libopenblas-dev):
// gonum's pure-Go SGEMM reaches a fraction of what OpenBLAS's AVX-512
// kernels do. OpenBLAS runs single-threaded: the ops parallelise over
// images themselves, so that im2col and GEMM overlap, and OpenBLAS's
// spinning worker threads no longer fight Go's for the cores (measured:
// 2.68 s per step with OpenBLAS threads, 2.34 s without, before the ops
// went parallel). gonum and OpenBLAS keep these settings per process, so
// they are set once, here.
func init() {
	blas32.Use(netlib.Implementation{})
	C.openblas_set_num_threads(1)
}
