// Package model owns osr's inference: the model package format (model.onnx
// plus model.yaml), and the ONNX Runtime engine (Engine), which loads the
// runtime, chooses the execution provider with a clean CPU fallback, and
// runs the post-processing inside the graph (temperature-scaled softmax,
// MSP or entropy outlier score, argmax labels, thresholded mask).
//
// Pre- and post-processing are plain functions that any engine can use:
// NewLayout and Preprocess put a frame of any size onto the model's input,
// Postprocess maps the outputs back to the frame and paints the overlay
// (Painter), and ReferencePostprocess computes the in-graph
// post-processing from logits in plain Go.
//
// The packages that run models (node, calibration, the commands, Bench)
// each declare the small engine interface they need, which Engine
// satisfies. Options come from the command layer; model does not read the
// configuration.
package model
