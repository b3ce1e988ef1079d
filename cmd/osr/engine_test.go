package main

import (
	"reflect"
	"testing"

	"osr/config"
	"osr/model"
)

// The model package keeps its own defaults (it does not import config):
// they must be the configuration's.
func TestEngineOptionsDefaultsAreTheConfigs(t *testing.T) {
	got := engineOptions(config.Default(), nil)
	want := model.DefaultOptions()
	want.Logger = nil
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("options from config.Default:\n%+v\nmodel.DefaultOptions:\n%+v", got, want)
	}
}

func TestEngineOptionsFromConfig(t *testing.T) {
	c := config.Default()
	c.Runtime = config.Runtime{Library: "/x/libonnxruntime.so", Device: "cuda", Fallback: "fail", GPUID: 2, IntraOpThreads: 3, InterOpThreads: 4, Spin: true}
	c.Preprocess.Resize = "letterbox"
	c.Scoring = config.Scoring{Kind: "entropy", Temperature: 1.5, Threshold: 0.4, OpenSet: false}
	c.Overlay = config.Overlay{Alpha: 0.25, OutlierColor: []int{1, 2, 3}}
	got := engineOptions(c, nil)
	want := model.Options{
		Library: "/x/libonnxruntime.so", Device: "cuda", Fallback: "fail", GPUID: 2, IntraOpThreads: 3, InterOpThreads: 4, Spin: true,
		Letterbox:    true,
		Overrides:    model.Overrides{Kind: "entropy", Temperature: 1.5, Threshold: 0.4},
		OverlayAlpha: 0.25, OutlierColor: [3]uint8{1, 2, 3},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got\n%+v\nwant\n%+v", got, want)
	}
}

// max_batch 0 batches the cameras on a GPU only: on the CPU a batch costs
// as much per frame as single runs (docs/performance.md).
func TestMaxBatchAutoByDevice(t *testing.T) {
	four := config.Node{Cameras: make([]config.Camera, 4)}
	for _, c := range []struct {
		node   config.Node
		device string
		want   int
	}{
		{four, "cpu", 1},
		{four, "cuda", 4},
		{four, "tensorrt", 4},
		{config.Node{Cameras: four.Cameras, MaxBatch: 3}, "cpu", 3},
		{config.Node{Cameras: four.Cameras, MaxBatch: 8}, "cuda", 4},
		{config.Node{}, "cuda", 0},
		{config.Node{}, "cpu", 0},
	} {
		if got := maxBatch(c.node, c.device); got != c.want {
			t.Errorf("maxBatch(max_batch %d, %d cameras, %s) = %d, want %d", c.node.MaxBatch, len(c.node.Cameras), c.device, got, c.want)
		}
	}
}

// An empty path stays empty (a flag not given), so that osr bench all
// picks its default dataset instead of the binary's parent folder.
func TestBundledKeepsAnEmptyPath(t *testing.T) {
	if got := bundled(""); got != "" {
		t.Fatalf(`bundled("") = %q, want ""`, got)
	}
	if got := bundled("/abs/x"); got != "/abs/x" {
		t.Fatalf(`bundled("/abs/x") = %q`, got)
	}
}
