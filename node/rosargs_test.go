package node

import (
	"strings"
	"testing"
)

// What ros2 launch appends to a node's command line.
func TestParseROSArgsROS2Launch(t *testing.T) {
	a, err := ParseROSArgs([]string{"--config", "c.yaml", "image:=/ros1/style",
		"--ros-args", "-r", "__node:=segmenter", "-r", "__ns:=/robot", "--remap", "segmenter:labels:=/seg/labels", "-r", "~/overlay:=/seg/overlay",
		"--params-file", "/tmp/p.yaml", "-p", "use_sim_time:=true", "--log-level", "info", "--", "extra"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"image": "/ros1/style", "__node": "segmenter", "__ns": "/robot", "labels": "/seg/labels", "~overlay": "/seg/overlay"}
	for k, v := range want {
		if a.Remaps[k] != v {
			t.Errorf("remap %s = %q, want %q (%v)", k, a.Remaps[k], v, a.Remaps)
		}
	}
	if len(a.Remaps) != len(want) {
		t.Errorf("remaps %v", a.Remaps)
	}
	if strings.Join(a.Rest, " ") != "--config c.yaml extra" {
		t.Errorf("rest %q", a.Rest)
	}
	if len(a.Ignored) != 1 || a.Ignored[0] != "--log-level info" {
		t.Errorf("ignored %q", a.Ignored)
	}
	if len(a.ParamFiles) != 1 || a.ParamFiles[0] != "/tmp/p.yaml" {
		t.Errorf("params files %q", a.ParamFiles)
	}
	if len(a.Params) != 1 || a.Params["use_sim_time"] != "true" {
		t.Errorf("params %v", a.Params)
	}
}

// ROS 1 private parameters (_name:=value) are parameters, not remappings;
// special keys (__name) stay remappings.
func TestParseROSArgsROS1Params(t *testing.T) {
	a, err := ParseROSArgs([]string{"_threshold:=0.99", "_device:=cuda", "__name:=seg", "image:=/cam", "--ros-args", "-p", "osr:lazy:=true"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"threshold": "0.99", "device": "cuda", "lazy": "true"}
	if len(a.Params) != len(want) {
		t.Errorf("params %v, want %v", a.Params, want)
	}
	for k, v := range want {
		if a.Params[k] != v {
			t.Errorf("param %s = %q, want %q", k, a.Params[k], v)
		}
	}
	if a.Remaps["__name"] != "seg" || a.Remaps["image"] != "/cam" || len(a.Remaps) != 2 {
		t.Errorf("remaps %v", a.Remaps)
	}
}

func TestParseROSArgsErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--ros-args", "-r"},
		{"--ros-args", "-r", "nope"},
		{"--ros-args", "--frobnicate"},
		{"image:="},
		{"--ros-args", "-p", "threshold"},
		{"--ros-args", "--params-file"},
	} {
		if _, err := ParseROSArgs(args); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
}
