// Package onnxgraph writes ONNX model protobufs and edits their graphs.
//
// It owns the small slice of the ONNX format that osr needs: building a graph
// of nodes and initializers (training export), and appending nodes to an
// existing model (the engine's in-graph post-processing). Encoding uses
// google.golang.org/protobuf/encoding/protowire directly, so there is no
// generated code and no dependency on the full ONNX schema.
package onnxgraph
