package onnxgraph

import (
	"encoding/binary"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// TensorProto fields read by Initializers (onnx.proto).
const (
	tensorFloatData    = 4
	tensorDataLocation = 14
)

// Tensor is one float32 initializer of a model.
type Tensor struct {
	Name string
	Dims []int64
	Data []float32
}

// Initializers are a model's float32 initializers (its weights), in file
// order; initializers of other types (shapes, indices) are left out. A
// float32 tensor kept in an external file is an error naming it.
func Initializers(model []byte) ([]Tensor, error) {
	graph, err := field(model, modelGraph, "onnx model")
	if err != nil {
		return nil, err
	}
	if graph == nil {
		return nil, fmt.Errorf("onnx model: no graph")
	}
	var out []Tensor
	err = fields(graph, "onnx graph", func(num protowire.Number, v []byte) error {
		if num != graphInitializer {
			return nil
		}
		t, ok, err := readTensor(v)
		if ok {
			out = append(out, t)
		}
		return err
	})
	return out, err
}

// readTensor decodes a float32 TensorProto; ok is false for other types.
func readTensor(b []byte) (t Tensor, ok bool, err error) {
	var dtype, location uint64
	var raw []byte
	var packed []float32
	err = fields(b, "onnx tensor", func(num protowire.Number, v []byte) error {
		switch num {
		case tensorDims:
			return varints(v, func(d uint64) { t.Dims = append(t.Dims, int64(d)) })
		case tensorDataType:
			dtype, _ = protowire.ConsumeVarint(v)
		case tensorDataLocation:
			location, _ = protowire.ConsumeVarint(v)
		case tensorName:
			t.Name = string(v)
		case tensorRawData:
			raw = v
		case tensorFloatData:
			if len(v)%4 != 0 {
				return fmt.Errorf("float_data of %d bytes", len(v))
			}
			for i := 0; i < len(v); i += 4 {
				packed = append(packed, math.Float32frombits(binary.LittleEndian.Uint32(v[i:])))
			}
		}
		return nil
	})
	if err != nil || DataType(dtype) != Float32 {
		return t, false, err
	}
	if location == 1 {
		return t, false, fmt.Errorf("onnx initializer %s is stored in an external file; save the model with its weights inside (onnx.save(model, path, save_as_external_data=False))", t.Name)
	}
	n := int64(1)
	for _, d := range t.Dims {
		n *= d
	}
	switch {
	case raw != nil:
		if int64(len(raw)) != 4*n {
			return t, false, fmt.Errorf("onnx initializer %s: %d bytes for shape %v", t.Name, len(raw), t.Dims)
		}
		t.Data = make([]float32, n)
		for i := range t.Data {
			t.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
	case int64(len(packed)) == n:
		t.Data = packed
	default:
		return t, false, fmt.Errorf("onnx initializer %s: %d values for shape %v", t.Name, len(packed), t.Dims)
	}
	return t, true, nil
}

// field is the last length-delimited field num of message b, or nil.
func field(b []byte, num protowire.Number, what string) ([]byte, error) {
	var out []byte
	err := fields(b, what, func(n protowire.Number, v []byte) error {
		if n == num {
			out = v
		}
		return nil
	})
	return out, err
}

// fields calls fn with each field's number and payload: the bytes of a
// length-delimited field, or the encoded varint of a varint field.
func fields(b []byte, what string, fn func(protowire.Number, []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("%s: bad protobuf tag: %w", what, protowire.ParseError(n))
		}
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		if m < 0 {
			return fmt.Errorf("%s: bad field %d: %w", what, num, protowire.ParseError(m))
		}
		v := b[n : n+m]
		if typ == protowire.BytesType {
			v, _ = protowire.ConsumeBytes(v)
		}
		if err := fn(num, v); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		b = b[n+m:]
	}
	return nil
}

// varints reads a varint field's value, or a packed run of them.
func varints(v []byte, fn func(uint64)) error {
	for len(v) > 0 {
		d, n := protowire.ConsumeVarint(v)
		if n < 0 {
			return protowire.ParseError(n)
		}
		fn(d)
		v = v[n:]
	}
	return nil
}
