package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"osr/dataset"
	"osr/internal/imageio"
)

// osr dataset paste --track makes a sequence that osr eval objects plays
// through the bundled model, the object finder and each filter.
func TestEvalObjectsCommand(t *testing.T) {
	if _, err := os.Stat(filepath.Join(dataset.FashionMNISTDir, "t10k-images-idx3-ubyte.gz")); err != nil {
		t.Skipf("no Fashion-MNIST (Debian dataset-fashion-mnist; scripts/setup.sh installs it): %v", err)
	}
	pasted := filepath.Join(t.TempDir(), "pasted")
	if printed, err := runOSR(t, "dataset", "paste", "--data", mini, "--split", "test", "--protocol", "camvid-ood", "--track", "3", "--out", pasted); err != nil {
		t.Fatalf("%v\n%s", err, printed)
	}
	out := t.TempDir()
	printed, err := runOSR(t, "eval", "objects", "--model", bundledModel, "--data", pasted, "--split", "test", "--filter", "1/1,3/5", "--out", out)
	if err != nil {
		t.Fatalf("%v\n%s", err, printed)
	}
	var rep struct {
		Frames, Runs int
		Rows         []struct {
			K, N, Reports int
			PastedFrames  int `json:"pasted_frames"`
			FalseObjects  int `json:"false_objects"`
			SingleFrame   int `json:"single_frame_false_objects"`
		}
	}
	b, err := os.ReadFile(filepath.Join(out, "objects.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	// 4 frames: a run of 3, then a new object; k = 3 counts the run's third frame only.
	if rep.Frames != 4 || rep.Runs != 2 || len(rep.Rows) != 2 || rep.Rows[0].PastedFrames != 4 || rep.Rows[1].PastedFrames != 1 {
		t.Fatalf("objects.json: %+v", rep)
	}
	if off, on := rep.Rows[0], rep.Rows[1]; off.Reports == 0 || on.Reports > off.Reports || on.SingleFrame != 0 || on.FalseObjects > off.FalseObjects {
		t.Errorf("k=3, n=5 %+v against k=1, n=1 %+v: want no more reports or false objects, and no single-frame ones", on, off)
	}
	if !strings.Contains(printed, "| k=3, n=5 |") {
		t.Errorf("no table row for k=3, n=5:\n%s", printed)
	}
	if im, err := imageio.ReadFileNoted(filepath.Join(out, "objects.png")); err != nil || im.Format != "png" {
		t.Errorf("objects.png: %v (format %q)", err, im.Format)
	}
	if _, err := runOSR(t, "eval", "objects", "--data", pasted, "--split", "test", "--filter", "3", "--out", out); err == nil || !strings.Contains(err.Error(), "K/N") {
		t.Errorf("--filter 3: %v", err)
	}
	if _, err := runOSR(t, "eval", "objects", "--data", mini, "--split", "test", "--out", out); err == nil || !strings.Contains(err.Error(), "osr dataset paste") {
		t.Errorf("a split without pasted.csv: %v", err)
	}
}
