package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"osr/dataset"
)

// osr dataset paste writes a split that osr eval measures under the same
// protocol, with the pasted objects as its only outliers.
func TestDatasetPasteCommand(t *testing.T) {
	if _, err := os.Stat(filepath.Join(dataset.FashionMNISTDir, "t10k-images-idx3-ubyte.gz")); err != nil {
		t.Skipf("no Fashion-MNIST (Debian dataset-fashion-mnist; scripts/setup.sh installs it): %v", err)
	}
	if _, err := runOSR(t, "dataset", "paste", "--data", mini, "--out", filepath.Join(t.TempDir(), "x")); err == nil ||
		!strings.Contains(err.Error(), "--protocol") {
		t.Errorf("paste without a protocol: %v", err)
	}
	pasted := filepath.Join(t.TempDir(), "pasted")
	printed, err := runOSR(t, "dataset", "paste", "--data", mini, "--split", "test", "--protocol", "camvid-ood", "--out", pasted)
	if err != nil {
		t.Fatalf("%v\n%s", err, printed)
	}
	out := t.TempDir()
	if printed, err := runOSR(t, "eval", "--model", bundledModel, "--data", pasted, "--split", "test", "--protocol", "camvid-ood", "--out", out); err != nil {
		t.Fatalf("%v\n%s", err, printed)
	}
	var rep struct {
		Images        int
		OutlierPixels int `json:"outlier_pixels"`
		InlierPixels  int `json:"inlier_pixels"`
		AP            float64
	}
	b, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	// One object of 48-128 px per frame, about 40 % of its square.
	if rep.Images != 4 || rep.OutlierPixels < 4*48*48/5 || rep.OutlierPixels > 4*128*128 {
		t.Fatalf("eval of the pasted split: %+v", rep)
	}
	t.Logf("%d pasted outlier pixels in %d frames; bundled model AP %.2f %% (chance %.2f %%)", rep.OutlierPixels, rep.Images,
		100*rep.AP, 100*float64(rep.OutlierPixels)/float64(rep.OutlierPixels+rep.InlierPixels))
}
