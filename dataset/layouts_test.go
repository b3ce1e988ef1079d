package dataset

import (
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// writeImage writes a 4x3 RGB image (PNG or JPEG by extension) and a label
// PNG with the given raw values (gray, or paletted when paletted is set).
func writePair(t *testing.T, img, lab string, raw []uint8, paletted bool) {
	t.Helper()
	for _, p := range []string{img, lab} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	rgb := image.NewRGBA(image.Rect(0, 0, 4, 3))
	for i := range rgb.Pix {
		rgb.Pix[i] = uint8(i * 7)
	}
	f, err := os.Create(img)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Ext(img) == ".jpg" {
		err = jpeg.Encode(f, rgb, nil)
	} else {
		err = png.Encode(f, rgb)
	}
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	var li image.Image
	if paletted {
		pal := make(color.Palette, 256)
		for i := range pal {
			pal[i] = color.RGBA{uint8(i), 0, 0, 255}
		}
		p := image.NewPaletted(image.Rect(0, 0, 4, 3), pal)
		copy(p.Pix, raw)
		li = p
	} else {
		g := image.NewGray(image.Rect(0, 0, 4, 3))
		copy(g.Pix, raw)
		li = g
	}
	f, err = os.Create(lab)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, li); err != nil {
		t.Fatal(err)
	}
}

var raw = []uint8{7, 8, 11, 26, 33, 0, 1, 24, 23, 255, 21, 5}

func loadAll(t *testing.T, d *Dataset, split string, want int) [][]uint8 {
	t.Helper()
	ss, err := d.Samples(split)
	if err != nil {
		t.Fatal(err)
	}
	if len(ss) != want {
		t.Fatalf("split %s: %d samples, want %d", split, len(ss), want)
	}
	var out [][]uint8
	for _, s := range ss {
		im, lab, err := Load(s)
		if err != nil {
			t.Fatal(err)
		}
		if im.Width != 4 || im.Height != 3 {
			t.Fatalf("%s: %dx%d", s.Name, im.Width, im.Height)
		}
		out = append(out, lab.Pix)
	}
	return out
}

func TestCityscapesLayout(t *testing.T) {
	dir := t.TempDir()
	for _, stem := range []string{"aachen_000000_000019", "aachen_000001_000019"} {
		writePair(t, filepath.Join(dir, "leftImg8bit/train/aachen", stem+"_leftImg8bit.png"),
			filepath.Join(dir, "gtFine/train/aachen", stem+"_gtFine_labelIds.png"), raw, false)
	}
	writePair(t, filepath.Join(dir, "leftImg8bit/val/frankfurt/frankfurt_000000_000294_leftImg8bit.png"),
		filepath.Join(dir, "gtFine/val/frankfurt/frankfurt_000000_000294_gtFine_labelIds.png"), raw, false)
	d, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if d.Layout != "cityscapes" || len(d.Classes) != 19 || d.Classes[13] != "car" || d.ImageSize != [2]int{2048, 1024} {
		t.Fatalf("layout %q, %d classes, size %v", d.Layout, len(d.Classes), d.ImageSize)
	}
	labs := loadAll(t, d, "train", 2)
	loadAll(t, d, "val", 1)
	// label ids 7 road, 8 sidewalk, 11 building, 26 car, 33 bicycle, 24 person, 23 sky, 21 vegetation;
	// 0, 1, 5 and 255 are not evaluated.
	want := []uint8{0, 1, 2, 13, 18, 255, 255, 11, 10, 255, 8, 255}
	for i, v := range labs[0] {
		if v != want[i] {
			t.Fatalf("train ids %v, want %v", labs[0], want)
		}
	}
}

func TestStreetHazardsLayout(t *testing.T) {
	dir := t.TempDir()
	shRaw := []uint8{1, 2, 3, 8, 14, 14, 10, 11, 13, 0, 9, 2}
	lines := map[string][]string{"train/train.odgt": {"t1-3/300", "t1-3/301"}, "train/validation.odgt": {"t4/400"}, "test/test.odgt": {"t5/500", "t5/501", "t6/600"}}
	for list, names := range lines {
		split := filepath.Dir(list)
		sub := map[string]string{"train/train.odgt": "training", "train/validation.odgt": "validation", "test/test.odgt": "test"}[list]
		var text string
		for _, n := range names {
			img, lab := "images/"+sub+"/"+n+".png", "annotations/"+sub+"/"+n+".png"
			writePair(t, filepath.Join(dir, split, img), filepath.Join(dir, split, lab), shRaw, false)
			text += `{"fpath_img": "` + img + `", "fpath_segm": "` + lab + `", "width": 4, "height": 3}` + "\n"
		}
		if err := os.WriteFile(filepath.Join(dir, list), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	d, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := d.OutlierIDs("streethazards")
	if err != nil || len(ids) != 1 || d.Classes[ids[0]] != "anomaly" {
		t.Fatalf("protocol %v, %v", ids, err)
	}
	loadAll(t, d, "train", 2)
	loadAll(t, d, "val", 1)
	labs := loadAll(t, d, "test", 3)
	want := []uint8{255, 0, 1, 6, 12, 12, 8, 9, 11, 255, 7, 0}
	for i, v := range labs[0] {
		if v != want[i] {
			t.Fatalf("class ids %v, want %v", labs[0], want)
		}
	}
}

func TestVistasLayout(t *testing.T) {
	dir := t.TempDir()
	cfg := `{"labels": [{"name": "construction--flat--road", "color": [128, 64, 128]},
	{"name": "human--person", "color": [220, 20, 60]},
	{"name": "human--rider--bicyclist", "color": [255, 0, 0]},
	{"name": "object--vehicle--car", "color": [0, 0, 142]}]}`
	if err := os.WriteFile(filepath.Join(dir, "config_v1.2.json"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	vRaw := []uint8{0, 0, 1, 2, 3, 3, 0, 1, 0, 3, 2, 0}
	for _, s := range []struct{ folder, key string }{{"training", "a1"}, {"training", "a2"}, {"validation", "b1"}} {
		writePair(t, filepath.Join(dir, s.folder, "images", s.key+".jpg"),
			filepath.Join(dir, s.folder, "v1.2", "labels", s.key+".png"), vRaw, true)
	}
	d, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := d.OutlierIDs("vistas-np")
	if err != nil || len(ids) != 2 || ids[0] != 1 || ids[1] != 2 {
		t.Fatalf("vistas-np outliers %v, %v", ids, err)
	}
	labs := loadAll(t, d, "train", 2)
	loadAll(t, d, "val", 1)
	for i, v := range labs[1] {
		if v != vRaw[i] {
			t.Fatalf("paletted labels read as %v, want %v", labs[1], vRaw)
		}
	}
	if !HasAny(&image.Gray{Pix: labs[0]}, ids) {
		t.Error("HasAny misses the persons")
	}
}

func TestUnknownDirectoryIsNamed(t *testing.T) {
	if _, err := Open(t.TempDir()); err == nil {
		t.Error("an empty directory opened as a dataset")
	}
}
