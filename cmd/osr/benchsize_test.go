package main

import (
	"strings"
	"testing"
)

// bench --size times a camera's resolution from the bundled frame.
func TestBenchSize(t *testing.T) {
	printed, err := runOSR(t, "bench", "--model", bundledModel, "--frames", "2", "--json", "--size", "640x400", "--image", "../../demo/camvid/0001TP_008550.jpg")
	if err != nil {
		t.Fatalf("bench --size: %v\n%s", err, printed)
	}
	if !strings.Contains(printed, `"width": 640`) || !strings.Contains(printed, `"height": 400`) || !strings.Contains(printed, `"jpeg_e2e_ms"`) {
		t.Fatalf("bench --size 640x400:\n%s", printed)
	}
	if _, err := runOSR(t, "bench", "--model", bundledModel, "--frames", "1", "--size", "wide", "--image", "../../demo/camvid/0001TP_008550.jpg"); err == nil || !strings.Contains(err.Error(), "WIDTHxHEIGHT") {
		t.Fatalf("bad --size: %v", err)
	}
}
