// Package nn holds the numeric kernels osr trains with: convolution by
// im2col and GEMM, bilinear resize as separable interpolation matrices,
// softmax cross-entropy with ignored pixels, and Adam with a cosine
// learning-rate schedule. Every kernel has a forward and a backward pass
// and is checked against finite differences in its tests.
package nn
