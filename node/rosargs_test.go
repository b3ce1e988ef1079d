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
	if len(a.Ignored) != 3 || a.Ignored[1] != "-p use_sim_time:=true" {
		t.Errorf("ignored %q", a.Ignored)
	}
}

func TestParseROSArgsErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--ros-args", "-r"},
		{"--ros-args", "-r", "nope"},
		{"--ros-args", "--frobnicate"},
		{"image:="},
	} {
		if _, err := ParseROSArgs(args); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
}
