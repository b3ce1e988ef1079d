package dataset

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenFixture(t *testing.T) {
	ds, err := Open("../testdata/camvid-mini")
	if err != nil {
		t.Fatal(err)
	}
	if ds.Name != "camvid-mini" || len(ds.Classes) != 11 || ds.Protocol == nil || ds.Protocol.OutlierIDs[0] != 10 || ds.IgnoreIDs[0] != 11 {
		t.Fatalf("parsed %+v", ds)
	}
	ss, err := ds.Samples("test")
	if err != nil || len(ss) != 4 || ss[0].Name != "0001TP_008610" {
		t.Fatalf("samples %v %v", ss, err)
	}
	im, lab, err := Load(ss[0])
	if err != nil || im.Width != 480 || lab.Bounds().Dy() != 360 {
		t.Fatalf("load: %v", err)
	}
	if !HasAny(lab, []int{10}) || HasAny(lab, []int{200}) {
		t.Fatal("HasAny")
	}
	if _, err := ds.Samples("train"); err == nil || !strings.Contains(err.Error(), `no split "train"`) {
		t.Fatalf("missing split: %v", err)
	}
}

func TestDatasetErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(dir); err == nil {
		t.Fatal("no dataset.yaml accepted")
	}
	os.WriteFile(filepath.Join(dir, "dataset.yaml"), []byte("name: x\nclasses: [a, b]\npalette: [[1,2,3]]\n"), 0o644)
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "palette") {
		t.Fatalf("palette mismatch: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "dataset.yaml"), []byte("name: x\nclasez: [a]\n"), 0o644)
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "clasez") {
		t.Fatalf("unknown key: %v", err)
	}
	// An image without a label is an error, not a silent skip.
	os.WriteFile(filepath.Join(dir, "dataset.yaml"), []byte("name: x\nclasses: [a]\npalette: [[1,2,3]]\nsplits: {s: s}\n"), 0o644)
	os.MkdirAll(filepath.Join(dir, "s", "images"), 0o755)
	os.WriteFile(filepath.Join(dir, "s", "images", "a.jpg"), []byte{1}, 0o644)
	ds, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ds.Samples("s"); err == nil || !strings.Contains(err.Error(), "has no label") {
		t.Fatalf("unlabelled image: %v", err)
	}
}
