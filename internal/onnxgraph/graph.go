package onnxgraph

import (
	"encoding/binary"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// Opset is the default ONNX operator set version of models osr writes.
const Opset = 17

// irVersion is the ONNX IR version matching Opset.
const irVersion = 8

// Attr is one node attribute. Build it with Int, Float, String, Ints or Floats.
type Attr struct {
	name string
	enc  func([]byte) []byte
}

// Int is an integer attribute.
func Int(name string, v int64) Attr {
	return Attr{name, func(b []byte) []byte {
		b = appendVarint(b, attrI, uint64(v))
		return appendVarint(b, attrType, attrTypeInt)
	}}
}

// Float is a float attribute.
func Float(name string, v float32) Attr {
	return Attr{name, func(b []byte) []byte {
		b = appendFloat(b, attrF, v)
		return appendVarint(b, attrType, attrTypeFloat)
	}}
}

// String is a string attribute.
func String(name, v string) Attr {
	return Attr{name, func(b []byte) []byte {
		b = appendString(b, attrS, v)
		return appendVarint(b, attrType, attrTypeString)
	}}
}

// Ints is an integer list attribute.
func Ints(name string, vs ...int64) Attr {
	return Attr{name, func(b []byte) []byte {
		b = appendPackedVarints(b, attrInts, vs)
		return appendVarint(b, attrType, attrTypeInts)
	}}
}

// Value describes a graph input or output: name, element type and shape.
// A negative dimension is symbolic (dim_param) and named after the value.
type Value struct {
	Name  string
	Type  DataType
	Shape []int64
}

// Graph accumulates nodes, initializers, inputs and outputs in encoded form.
type Graph struct {
	Name    string
	Prefix  string // prefixes generated node and value names, to avoid clashes when extending
	nodes   []byte
	inits   []byte
	inputs  []byte
	outputs []byte
	count   int
}

// Node appends one node and returns its first output name. Node names are
// generated from the op type so that every node is unique.
func (g *Graph) Node(op string, inputs, outputs []string, attrs ...Attr) string {
	g.count++
	var n []byte
	for _, in := range inputs {
		n = appendString(n, nodeInput, in)
	}
	for _, out := range outputs {
		n = appendString(n, nodeOutput, out)
	}
	n = appendString(n, nodeName, fmt.Sprintf("%s%s_%d", g.Prefix, op, g.count))
	n = appendString(n, nodeOpType, op)
	for _, a := range attrs {
		var ab []byte
		ab = appendString(ab, attrName, a.name)
		ab = a.enc(ab)
		n = appendBytes(n, nodeAttribute, ab)
	}
	g.nodes = appendBytes(g.nodes, graphNode, n)
	if len(outputs) == 0 {
		return ""
	}
	return outputs[0]
}

// Op appends a single-output node whose output is named after it, and
// returns that name.
func (g *Graph) Op(op string, inputs []string, attrs ...Attr) string {
	out := fmt.Sprintf("%s%s_%d_out", g.Prefix, op, g.count+1)
	return g.Node(op, inputs, []string{out}, attrs...)
}

// FloatTensor adds a float32 initializer.
func (g *Graph) FloatTensor(name string, dims []int64, data []float32) string {
	raw := make([]byte, 4*len(data))
	for i, f := range data {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(f))
	}
	return g.rawTensor(name, Float32, dims, raw)
}

// Int64Tensor adds an int64 initializer.
func (g *Graph) Int64Tensor(name string, dims []int64, data []int64) string {
	raw := make([]byte, 8*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint64(raw[8*i:], uint64(v))
	}
	return g.rawTensor(name, Int64, dims, raw)
}

// Uint8Tensor adds a uint8 initializer.
func (g *Graph) Uint8Tensor(name string, dims []int64, data []uint8) string {
	return g.rawTensor(name, Uint8, dims, append([]byte(nil), data...))
}

func (g *Graph) rawTensor(name string, dt DataType, dims []int64, raw []byte) string {
	var t []byte
	if len(dims) > 0 {
		t = appendPackedVarints(t, tensorDims, dims)
	}
	t = appendVarint(t, tensorDataType, uint64(dt))
	t = appendString(t, tensorName, name)
	t = appendBytes(t, tensorRawData, raw)
	g.inits = appendBytes(g.inits, graphInitializer, t)
	return name
}

// Input declares a graph input.
func (g *Graph) Input(v Value) string {
	g.inputs = appendBytes(g.inputs, graphInput, encodeValue(v))
	return v.Name
}

// Output declares a graph output.
func (g *Graph) Output(v Value) {
	g.outputs = appendBytes(g.outputs, graphOutput, encodeValue(v))
}

func encodeValue(v Value) []byte {
	var shape []byte
	for i, d := range v.Shape {
		var dim []byte
		if d >= 0 {
			dim = appendVarint(dim, 1, uint64(d))
		} else {
			dim = appendString(dim, 2, fmt.Sprintf("%s_d%d", v.Name, i))
		}
		shape = appendBytes(shape, 1, dim)
	}
	var tensor []byte
	tensor = appendVarint(tensor, 1, uint64(v.Type))
	tensor = appendBytes(tensor, 2, shape)
	var typ []byte
	typ = appendBytes(typ, 1, tensor)
	var b []byte
	b = appendString(b, 1, v.Name)
	return appendBytes(b, 2, typ)
}

func (g *Graph) encode() []byte {
	var b []byte
	b = append(b, g.nodes...)
	b = appendString(b, graphName, g.Name)
	b = append(b, g.inits...)
	b = append(b, g.inputs...)
	b = append(b, g.outputs...)
	return b
}

// Model is the metadata written around a graph.
type Model struct {
	Producer string
	Version  string
	Doc      string
	Metadata map[string]string
}

// Encode serialises a ModelProto holding g.
func (m Model) Encode(g *Graph) []byte {
	var b []byte
	b = appendVarint(b, modelIRVersion, irVersion)
	b = appendString(b, modelProducerName, m.Producer)
	b = appendString(b, modelProducerVersion, m.Version)
	if m.Doc != "" {
		b = appendString(b, modelDocString, m.Doc)
	}
	b = appendBytes(b, modelGraph, g.encode())
	var opset []byte
	opset = appendString(opset, 1, "")
	opset = appendVarint(opset, 2, Opset)
	b = appendBytes(b, modelOpsetImport, opset)
	for k, v := range m.Metadata {
		var kv []byte
		kv = appendString(kv, 1, k)
		kv = appendString(kv, 2, v)
		b = appendBytes(b, modelMetadataProps, kv)
	}
	return b
}

// Extend returns model with g's nodes, initializers, inputs and outputs
// added to its main graph. Inputs and outputs of the original graph named
// in replace are removed, so that g can compute what was an input (pre-
// processing from a new input) and consume what was an output (post-
// processing into new outputs). ONNX Runtime sorts the nodes itself. It
// checks that the model is a well-formed protobuf and has a graph; it does
// not check ONNX semantics.
func Extend(model []byte, g *Graph, replace ...string) ([]byte, error) {
	var out []byte
	found := false
	for b := model; len(b) > 0; {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, fmt.Errorf("onnx model: bad protobuf tag: %w", protowire.ParseError(n))
		}
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		if m < 0 {
			return nil, fmt.Errorf("onnx model: bad field %d: %w", num, protowire.ParseError(m))
		}
		field := b[:n+m]
		b = b[n+m:]
		if num != modelGraph || typ != protowire.BytesType {
			out = append(out, field...)
			continue
		}
		graph, _ := protowire.ConsumeBytes(field[n:])
		edited, err := extendGraph(graph, g, replace)
		if err != nil {
			return nil, err
		}
		out = appendBytes(out, modelGraph, edited)
		found = true
	}
	if !found {
		return nil, fmt.Errorf("onnx model: no graph")
	}
	return out, nil
}

func extendGraph(graph []byte, g *Graph, replace []string) ([]byte, error) {
	var out []byte
	for b := graph; len(b) > 0; {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, fmt.Errorf("onnx graph: bad protobuf tag: %w", protowire.ParseError(n))
		}
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		if m < 0 {
			return nil, fmt.Errorf("onnx graph: bad field %d: %w", num, protowire.ParseError(m))
		}
		field := b[:n+m]
		b = b[n+m:]
		if (num == graphOutput || num == graphInput) && typ == protowire.BytesType {
			v, _ := protowire.ConsumeBytes(field[n:])
			if contains(replace, valueName(v)) {
				continue
			}
		}
		out = append(out, field...)
	}
	out = append(out, g.nodes...)
	out = append(out, g.inits...)
	out = append(out, g.inputs...)
	out = append(out, g.outputs...)
	return out, nil
}

// valueName reads the name field of a ValueInfoProto.
func valueName(v []byte) string {
	for len(v) > 0 {
		num, typ, n := protowire.ConsumeTag(v)
		if n < 0 {
			return ""
		}
		if num == 1 && typ == protowire.BytesType {
			s, _ := protowire.ConsumeBytes(v[n:])
			return string(s)
		}
		m := protowire.ConsumeFieldValue(num, typ, v[n:])
		if m < 0 {
			return ""
		}
		v = v[n+m:]
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
