package onnxgraph

import (
	"slices"
	"strings"
	"testing"
)

// The float32 initializers a model was written with come back, by name
// and shape; integer ones are left out; a damaged file is an error.
func TestInitializersRoundTrip(t *testing.T) {
	g := &Graph{Name: "t"}
	g.FloatTensor("a.weight", []int64{2, 3}, []float32{1, 2, 3, 4, 5, -6.5})
	g.Int64Tensor("shape", []int64{2}, []int64{4, 5})
	g.FloatTensor("b.bias", []int64{1}, []float32{0.25})
	model := Model{Producer: "test"}.Encode(g)
	got, err := Initializers(model)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Name != "a.weight" || got[1].Name != "b.bias" {
		t.Fatalf("initializers %+v, want a.weight and b.bias", got)
	}
	if !slices.Equal(got[0].Dims, []int64{2, 3}) || !slices.Equal(got[0].Data, []float32{1, 2, 3, 4, 5, -6.5}) {
		t.Errorf("a.weight = %v %v", got[0].Dims, got[0].Data)
	}
	if _, err := Initializers(model[:len(model)-3]); err == nil || !strings.Contains(err.Error(), "onnx") {
		t.Errorf("truncated model: err = %v, want a protobuf error", err)
	}
	if _, err := Initializers([]byte{0x08, 0x07}); err == nil || !strings.Contains(err.Error(), "no graph") {
		t.Errorf("model without graph: err = %v", err)
	}
}
