// Package nn is osr's training engine on gorgonia: the ops gorgonia lacks
// or runs slowly (convolution by im2col and OpenBLAS GEMM, batch norm with
// ReLU, pooling, bilinear resize, concat and slice, squeeze, the dense
// open-set loss), each with its gradient ops and checked against finite
// differences; parameter stores, graphs that also trace to ONNX, compiled
// programs, Adam with parameter groups and a cosine schedule, and
// checkpoints.
package nn
