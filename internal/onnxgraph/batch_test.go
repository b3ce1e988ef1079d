package onnxgraph

import (
	"strings"
	"testing"
)

func TestBatchedRefusesComputedResizeSizes(t *testing.T) {
	g := &Graph{Name: "t"}
	x := g.Input(Value{Name: "x", Type: Float32, Shape: []int64{1, 3, 4, 4}})
	sizes := g.Op("Shape", []string{x})
	g.Node("Resize", []string{x, "", "", sizes}, []string{"y"})
	g.Output(Value{Name: "y", Type: Float32, Shape: []int64{1, 3, 4, 4}})
	_, err := Batched(Model{}.Encode(g), 2)
	if err == nil || !strings.Contains(err.Error(), "computed") {
		t.Fatalf("err = %v, want the computed sizes named", err)
	}
	if _, err := Batched([]byte{0xff}, 2); err == nil {
		t.Error("garbage accepted")
	}
	if _, err := Batched(Model{}.Encode(g), 0); err == nil {
		t.Error("batch of 0 accepted")
	}
}
