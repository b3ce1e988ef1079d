package main

import (
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"osr/internal/imageio"
)

func TestInferCompare(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	frame := "../../demo/camvid/0001TP_008550.jpg"
	for _, dir := range []string{a, b} {
		if out, err := runOSR(t, "infer", "--model", bundledModel, frame, "--out", dir); err != nil {
			t.Fatalf("infer: %v\n%s", err, out)
		}
	}
	d, err := compareOutputs(a, b)
	if err != nil || d.Images != 1 || d.Pixels != 480*360 || d.LabelAgreement != 1 || d.MaskAgreement != 1 || d.ScoreMaxDiff != 0 {
		t.Fatalf("one run against itself: %+v, %v", d, err)
	}
	// Change one pixel's label and another's score in b.
	labels := filepath.Join(b, "0001TP_008550_labels.png")
	im, err := readPNGFile(labels)
	if err != nil {
		t.Fatal(err)
	}
	g := im.(*image.Gray)
	g.Pix[0]++
	if err := imageio.WriteGray(labels, 480, 360, g.Pix); err != nil {
		t.Fatal(err)
	}
	score := filepath.Join(b, "0001TP_008550_score.png")
	im, err = readPNGFile(score)
	if err != nil {
		t.Fatal(err)
	}
	s16 := im.(*image.Gray16)
	v := make([]float32, 480*360)
	for i := range v {
		v[i] = float32(uint16(s16.Pix[2*i])<<8|uint16(s16.Pix[2*i+1])) / 65535
	}
	if v[7] < 0.5 {
		v[7] += 0.25
	} else {
		v[7] -= 0.25
	}
	if err := imageio.WriteGray16(score, 480, 360, v); err != nil {
		t.Fatal(err)
	}
	d, err = compareOutputs(a, b)
	if err != nil || d.Pixels-int(d.LabelAgreement*float64(d.Pixels)+0.5) != 1 || d.ScoreMaxDiff < 0.2 {
		t.Fatalf("one label and one score changed: %+v, %v", d, err)
	}
	if _, err := runOSR(t, "infer", "compare", a, b, "--min-agreement", "1"); err == nil || !strings.Contains(err.Error(), "label agreement") {
		t.Fatalf("--min-agreement 1 passed with a changed label: %v", err)
	}
	if _, err := runOSR(t, "infer", "compare", a, b, "--max-score-diff", "0.001"); err == nil || !strings.Contains(err.Error(), "score max") {
		t.Fatalf("--max-score-diff passed: %v", err)
	}
	os.Remove(score)
	if _, err := compareOutputs(a, b); err == nil || !strings.Contains(err.Error(), "_score.png") {
		t.Fatalf("a missing score file: %v", err)
	}
	if _, err := compareOutputs(t.TempDir(), b); err == nil || !strings.Contains(err.Error(), "not an osr infer output") {
		t.Fatalf("an empty directory: %v", err)
	}
}
