package onnxgraph

import (
	"encoding/binary"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// More field numbers from onnx.proto.
const (
	graphValueInfo = 13
	tensorInt64    = 7 // TensorProto.int64_data
)

// Batched returns model with its batch dimension set to n: the first
// dimension of the graph's inputs, outputs and value infos where it is 1,
// and the first entry of every Resize's sizes initializer where it is 1.
// That is all a fully convolutional network with a fixed batch of 1 (as
// osr train exports) fixes the batch in; a Resize whose sizes are computed
// or a sizes tensor stored otherwise is an error, so that a graph this
// does not understand is refused rather than half batched.
func Batched(model []byte, n int64) ([]byte, error) {
	if n < 1 {
		return nil, fmt.Errorf("batch size %d: want at least 1", n)
	}
	graph, err := field(model, modelGraph, "onnx model")
	if err != nil {
		return nil, err
	}
	if graph == nil {
		return nil, fmt.Errorf("onnx model: no graph")
	}
	sizes := map[string]bool{}
	err = fields(graph, "onnx graph", func(num protowire.Number, v []byte) error {
		if num != graphNode {
			return nil
		}
		var op string
		var inputs []string
		err := fields(v, "onnx node", func(num protowire.Number, v []byte) error {
			switch num {
			case nodeOpType:
				op = string(v)
			case nodeInput:
				inputs = append(inputs, string(v))
			}
			return nil
		})
		if op == "Resize" && len(inputs) == 4 && inputs[3] != "" {
			sizes[inputs[3]] = false
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	edited, err := rewrite(graph, "onnx graph", func(num protowire.Number, v []byte) ([]byte, error) {
		switch num {
		case graphInput, graphOutput, graphValueInfo:
			return batchValue(v, n)
		case graphInitializer:
			return batchSizes(v, n, sizes)
		}
		return v, nil
	})
	if err != nil {
		return nil, err
	}
	for name, found := range sizes {
		if !found {
			return nil, fmt.Errorf("onnx graph: Resize sizes %q are computed, not an initializer: cannot set the batch size", name)
		}
	}
	return rewrite(model, "onnx model", func(num protowire.Number, v []byte) ([]byte, error) {
		if num == modelGraph {
			return edited, nil
		}
		return v, nil
	})
}

// batchValue sets a ValueInfoProto's first dimension to n where it is 1.
func batchValue(v []byte, n int64) ([]byte, error) {
	first := true
	dim := func(num protowire.Number, v []byte) ([]byte, error) {
		if num != 1 || !first { // TensorShapeProto.dim
			return v, nil
		}
		first = false
		return rewrite(v, "onnx dim", func(num protowire.Number, v []byte) ([]byte, error) {
			if num == 1 { // dim_value
				if d, _ := protowire.ConsumeVarint(v); d == 1 {
					return protowire.AppendVarint(nil, uint64(n)), nil
				}
			}
			return v, nil
		})
	}
	// ValueInfoProto.type (2) → TypeProto.tensor_type (1) → shape (2) → dim.
	return rewrite(v, "onnx value", only(2, func(v []byte) ([]byte, error) {
		return rewrite(v, "onnx type", only(1, func(v []byte) ([]byte, error) {
			return rewrite(v, "onnx tensor type", only(2, func(v []byte) ([]byte, error) {
				return rewrite(v, "onnx shape", dim)
			}))
		}))
	}))
}

// batchSizes sets the first entry of a Resize's sizes initializer to n
// where it is 1, and marks it found.
func batchSizes(t []byte, n int64, sizes map[string]bool) ([]byte, error) {
	var name string
	var raw, packed bool
	err := fields(t, "onnx tensor", func(num protowire.Number, v []byte) error {
		switch num {
		case tensorName:
			name = string(v)
		case tensorRawData:
			raw = true
		case tensorInt64:
			packed = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if _, ok := sizes[name]; !ok {
		return t, nil
	}
	if !raw || packed {
		return nil, fmt.Errorf("onnx initializer %s: Resize sizes not stored as raw int64 data: cannot set the batch size", name)
	}
	sizes[name] = true
	return rewrite(t, "onnx tensor", func(num protowire.Number, v []byte) ([]byte, error) {
		if num != tensorRawData {
			return v, nil
		}
		if len(v) < 8 {
			return nil, fmt.Errorf("onnx initializer %s: %d bytes of sizes", name, len(v))
		}
		out := append([]byte(nil), v...)
		if binary.LittleEndian.Uint64(out) == 1 {
			binary.LittleEndian.PutUint64(out, uint64(n))
		}
		return out, nil
	})
}

// only applies fn to length-delimited field num and keeps the others.
func only(num protowire.Number, fn func([]byte) ([]byte, error)) func(protowire.Number, []byte) ([]byte, error) {
	return func(n protowire.Number, v []byte) ([]byte, error) {
		if n != num {
			return v, nil
		}
		return fn(v)
	}
}

// rewrite re-encodes message b with each field's payload replaced by fn's
// result (the bytes of a length-delimited field, or the encoded varint of
// a varint field; fixed-size fields pass through unchanged).
func rewrite(b []byte, what string, fn func(protowire.Number, []byte) ([]byte, error)) ([]byte, error) {
	var out []byte
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, fmt.Errorf("%s: bad protobuf tag: %w", what, protowire.ParseError(n))
		}
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		if m < 0 {
			return nil, fmt.Errorf("%s: bad field %d: %w", what, num, protowire.ParseError(m))
		}
		whole := b[:n+m]
		b = b[n+m:]
		switch typ {
		case protowire.BytesType:
			v, _ := protowire.ConsumeBytes(whole[n:])
			nv, err := fn(num, v)
			if err != nil {
				return nil, err
			}
			out = appendBytes(out, num, nv)
		case protowire.VarintType:
			nv, err := fn(num, whole[n:])
			if err != nil {
				return nil, err
			}
			out = protowire.AppendTag(out, num, protowire.VarintType)
			out = append(out, nv...)
		default:
			out = append(out, whole...)
		}
	}
	return out, nil
}
