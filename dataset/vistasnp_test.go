package dataset

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeVistas makes a small Mapillary Vistas layout: train images a0..a11
// (a2, a5 and a9 with people), val images b0..b5 (b3 with a rider).
func writeVistas(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cfg := `{"labels": [{"name": "construction--flat--road", "color": [128, 64, 128], "evaluate": true},
	{"name": "human--person", "color": [220, 20, 60], "evaluate": true},
	{"name": "human--rider--bicyclist", "color": [255, 0, 0], "evaluate": true},
	{"name": "object--vehicle--car", "color": [0, 0, 142], "evaluate": true},
	{"name": "void--unlabeled", "color": [0, 0, 0], "evaluate": false}]}`
	if err := os.WriteFile(filepath.Join(dir, "config_v1.2.json"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	plain := []uint8{0, 0, 3, 3, 0, 4, 0, 3, 0, 0, 4, 0}
	write := func(folder, key string, people uint8) {
		raw := slices.Clone(plain)
		if people != 0 {
			raw[7] = people
		}
		writePair(t, filepath.Join(dir, folder, "images", key+".jpg"), filepath.Join(dir, folder, "v1.2", "labels", key+".png"), raw, true)
	}
	for i := range 12 {
		people := map[int]uint8{2: 1, 5: 1, 9: 2}[i]
		write("training", fmt.Sprintf("a%d", i), people)
	}
	for i := range 6 {
		write("validation", fmt.Sprintf("b%d", i), map[int]uint8{3: 2}[i])
	}
	return dir
}

func TestVistasNP(t *testing.T) {
	src := writeVistas(t)
	out := filepath.Join(t.TempDir(), "vistas-np")
	n, err := VistasNP(context.Background(), src, out, VistasNPOptions{Seed: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// 14 images without people: round(14 * 830 / 8833) = 1 goes to val.
	if n != (VistasNPCounts{Train: 13, Val: 1, Test: 4}) {
		t.Fatalf("counts %+v", n)
	}
	d, err := Open(out)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := d.OutlierIDs("vistas-np")
	if err != nil || !slices.Equal(ids, []int{1, 2}) || !slices.Equal(d.IgnoreIDs, []int{4}) {
		t.Fatalf("outliers %v (%v), ignore %v", ids, err, d.IgnoreIDs)
	}
	names := map[string][]string{}
	for split, want := range map[string]int{"train": 13, "val": 1, "test": 4} {
		ss, err := d.Samples(split)
		if err != nil || len(ss) != want {
			t.Fatalf("split %s: %d samples (%v), want %d", split, len(ss), err, want)
		}
		for _, s := range ss {
			_, lab, err := Load(s)
			if err != nil {
				t.Fatal(err)
			}
			if HasAny(lab, ids) != (split == "test") {
				t.Errorf("%s in %s: people %v", s.Name, split, HasAny(lab, ids))
			}
			if st, err := os.Lstat(s.Image); err != nil || st.Mode()&os.ModeSymlink == 0 {
				t.Errorf("%s is not a link to the Vistas file", s.Image)
			}
			names[split] = append(names[split], s.Name)
		}
	}
	if !slices.Equal(names["test"], []string{"a2", "a5", "a9", "b3"}) {
		t.Errorf("test split %v", names["test"])
	}

	// The same seed gives the same split; copies are plain files.
	again := filepath.Join(t.TempDir(), "copy")
	if _, err := VistasNP(context.Background(), src, again, VistasNPOptions{Seed: 1, Copy: true}, nil); err != nil {
		t.Fatal(err)
	}
	d2, _ := Open(again)
	val, _ := d2.Samples("val")
	if len(val) != 1 || val[0].Name != names["val"][0] {
		t.Errorf("seed 1 again put %v in val, first run %v", val, names["val"])
	}
	if st, err := os.Lstat(val[0].Label); err != nil || !st.Mode().IsRegular() {
		t.Errorf("--copy left %s a link", val[0].Label)
	}
}

func TestVistasNPRefusesAndLeavesNothing(t *testing.T) {
	src := writeVistas(t)
	parent := t.TempDir()
	out := filepath.Join(parent, "np")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := VistasNP(ctx, src, out, VistasNPOptions{}, nil); err == nil {
		t.Fatal("a cancelled run succeeded")
	}
	if left, _ := os.ReadDir(parent); len(left) != 0 {
		t.Fatalf("a cancelled run left %v", left)
	}
	if _, err := VistasNP(context.Background(), t.TempDir(), out, VistasNPOptions{}, nil); err == nil || !strings.Contains(err.Error(), "Vistas") {
		t.Fatalf("a non-Vistas directory: %v", err)
	}
	os.Mkdir(out, 0o755)
	if _, err := VistasNP(context.Background(), src, out, VistasNPOptions{}, nil); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("an existing output: %v", err)
	}
}
