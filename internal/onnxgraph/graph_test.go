package onnxgraph

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// outputs lists the graph output names of an encoded model.
func outputs(t *testing.T, model []byte) []string {
	t.Helper()
	var names []string
	walk(t, model, func(num protowire.Number, v []byte) {
		if num == modelGraph {
			walk(t, v, func(num protowire.Number, v []byte) {
				if num == graphOutput {
					names = append(names, valueName(v))
				}
			})
		}
	})
	return names
}

func walk(t *testing.T, b []byte, fn func(protowire.Number, []byte)) {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			t.Fatal("bad tag")
		}
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		if typ == protowire.BytesType {
			v, _ := protowire.ConsumeBytes(b[n:])
			fn(num, v)
		}
		b = b[n+m:]
	}
}

func TestExtendReplacesDroppedOutputs(t *testing.T) {
	g := &Graph{Name: "g"}
	x := g.Input(Value{Name: "x", Type: Float32, Shape: []int64{1, 2}})
	g.Node("Relu", []string{x}, []string{"logits"})
	g.Node("Neg", []string{x}, []string{"other"})
	g.Output(Value{Name: "logits", Type: Float32, Shape: []int64{1, 2}})
	g.Output(Value{Name: "other", Type: Float32, Shape: []int64{-1, 2}})
	model := Model{Producer: "test"}.Encode(g)
	if got := outputs(t, model); strings.Join(got, ",") != "logits,other" {
		t.Fatalf("outputs %v", got)
	}
	post := &Graph{Prefix: "p_"}
	post.Node("Sigmoid", []string{"logits"}, []string{"prob"})
	post.Output(Value{Name: "prob", Type: Float32, Shape: []int64{1, 2}})
	ext, err := Extend(model, post, "logits")
	if err != nil {
		t.Fatal(err)
	}
	if got := outputs(t, ext); strings.Join(got, ",") != "other,prob" {
		t.Fatalf("extended outputs %v, want other,prob", got)
	}
}

func TestExtendRejectsGarbage(t *testing.T) {
	for _, b := range [][]byte{[]byte("not a protobuf at all"), {0x0a, 0xff}, Model{}.Encode(&Graph{})[:3]} {
		if _, err := Extend(b, &Graph{}); err == nil {
			t.Errorf("Extend accepted %q", b)
		}
	}
	if _, err := Extend(appendVarint(nil, modelIRVersion, 8), &Graph{}); err == nil || !strings.Contains(err.Error(), "no graph") {
		t.Errorf("model without graph: %v", err)
	}
}
