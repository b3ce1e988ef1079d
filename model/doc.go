// Package model owns osr's inference: the model package format (model.onnx
// plus model.yaml), loading ONNX Runtime, choosing the execution provider
// with a clean CPU fallback, pre-processing frames, in-graph post-processing
// (temperature-scaled softmax, MSP or entropy outlier score, argmax labels,
// thresholded mask) and the RGB overlay. The node, bag replay, evaluation
// and calibration all run models through Engine.
package model
