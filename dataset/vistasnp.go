package dataset

import (
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"

	"gopkg.in/yaml.v3"

	"osr/internal/parallel"
)

// The paper's Vistas-NP sizes: the Vistas images without people, split
// into 8,003 for training and 830 for validation.
const vistasNPTrain, vistasNPVal = 8003, 830

// VistasNPOptions configure VistasNP.
type VistasNPOptions struct {
	// Copy copies images and labels; by default the new dataset links to
	// the Vistas files (absolute symbolic links), which takes no space.
	Copy bool
	// Seed orders the people-free images before the train/val cut.
	Seed uint64
}

// VistasNPCounts are the images of each split VistasNP wrote.
type VistasNPCounts struct{ Train, Val, Test int }

// VistasNP builds the Vistas-NP dataset (Bevandić et al., used by Grcić et
// al. 2021) in dir from a Mapillary Vistas copy: every training or
// validation image that contains a person or a rider goes to test, and the
// rest is cut into train and val in the paper's proportion (8,003 : 830),
// in an order fixed by opts.Seed. Classes and ids are Vistas' own; the
// human classes are the vistas-np protocol's outliers and the classes that
// Vistas does not evaluate are ignored. dir is written beside itself and
// renamed into place when whole.
func VistasNP(ctx context.Context, vistasDir, dir string, opts VistasNPOptions, progress func(done, total int)) (VistasNPCounts, error) {
	src, err := Open(vistasDir)
	if err != nil {
		return VistasNPCounts{}, err
	}
	if src.Layout != "vistas" {
		return VistasNPCounts{}, fmt.Errorf("vistas-np: %s is not a Mapillary Vistas directory (want training/images, validation/images and config_v1.2.json)", vistasDir)
	}
	outliers, err := src.OutlierIDs("vistas-np")
	if err != nil || len(outliers) == 0 {
		return VistasNPCounts{}, fmt.Errorf("vistas-np: %s's config names no human--person or human--rider classes", vistasDir)
	}
	var samples []Sample
	for _, split := range []string{"train", "val"} {
		s, err := src.Samples(split)
		if err != nil {
			return VistasNPCounts{}, err
		}
		samples = append(samples, s...)
	}
	withPeople, err := containing(ctx, samples, outliers, progress)
	if err != nil {
		return VistasNPCounts{}, err
	}
	var test, rest []Sample
	for i, s := range samples {
		if withPeople[i] {
			test = append(test, s)
		} else {
			rest = append(rest, s)
		}
	}
	// A stable order by a seeded hash of the name, so that the cut does not
	// follow Vistas' own file order and the same seed gives the same split.
	key := func(name string) uint64 {
		h := fnv.New64a()
		fmt.Fprintf(h, "%d/%s", opts.Seed, name)
		return h.Sum64()
	}
	sort.Slice(rest, func(i, j int) bool { return key(rest[i].Name) < key(rest[j].Name) })
	nVal := int(math.Round(float64(len(rest)) * vistasNPVal / (vistasNPTrain + vistasNPVal)))
	splits := map[string][]Sample{"train": rest[nVal:], "val": rest[:nVal], "test": test}
	counts := VistasNPCounts{Train: len(rest) - nVal, Val: nVal, Test: len(test)}
	err = writeDir(dir, "vistas-np", func(tmp string) error {
		for name, ss := range splits {
			if err := placeSplit(ctx, tmp, name, ss, opts.Copy); err != nil {
				return err
			}
		}
		return writeVistasNPYAML(tmp, src, outliers, counts, opts.Seed)
	})
	if err != nil {
		return VistasNPCounts{}, err
	}
	return counts, nil
}

// containing reads every label (in parallel: Vistas labels are large) and
// reports which hold any of ids.
func containing(ctx context.Context, samples []Sample, ids []int, progress func(done, total int)) ([]bool, error) {
	out := make([]bool, len(samples))
	var done atomic.Int64
	var mu sync.Mutex
	var first error
	parallel.For(len(samples), 1, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if ctx.Err() != nil {
				return
			}
			lab, err := ReadLabel(samples[i].Label)
			if err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
				return
			}
			out[i] = HasAny(lab, ids)
			if n := done.Add(1); progress != nil {
				mu.Lock()
				progress(int(n), len(samples))
				mu.Unlock()
			}
		}
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, first
}

// placeSplit puts a split's images and labels under dir/name, linked or
// copied.
func placeSplit(ctx context.Context, dir, name string, samples []Sample, copyFiles bool) error {
	for _, sub := range []string{"images", "labels"} {
		if err := os.MkdirAll(filepath.Join(dir, name, sub), 0o755); err != nil {
			return err
		}
	}
	for _, s := range samples {
		if err := ctx.Err(); err != nil {
			return err
		}
		pairs := [][2]string{
			{s.Image, filepath.Join(dir, name, "images", s.Name+filepath.Ext(s.Image))},
			{s.Label, filepath.Join(dir, name, "labels", s.Name+".png")},
		}
		for _, p := range pairs {
			if err := place(p[0], p[1], copyFiles); err != nil {
				return fmt.Errorf("vistas-np: %w", err)
			}
		}
	}
	return nil
}

func place(src, dst string, copyFiles bool) error {
	abs, err := filepath.Abs(src)
	if err != nil {
		return err
	}
	if !copyFiles {
		return os.Symlink(abs, dst)
	}
	in, err := os.Open(abs)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func writeVistasNPYAML(dir string, src *Dataset, outliers []int, n VistasNPCounts, seed uint64) error {
	d := Dataset{
		Name: "vistas-np", Classes: src.Classes, Palette: src.Palette, IgnoreIDs: src.IgnoreIDs,
		Splits: map[string]string{"train": "train", "val": "val", "test": "test"},
		Protocol: &Protocol{Name: "vistas-np", OutlierIDs: outliers,
			TrainFilter: "none needed: train and val hold no person or rider", EvalSplits: []string{"test"}},
	}
	raw, err := yaml.Marshal(&d)
	if err != nil {
		return err
	}
	head := fmt.Sprintf("# Vistas-NP from %s (osr dataset vistas-np, seed %d): images with a person or rider\n"+
		"# are test (%d); the others are train (%d) and val (%d), cut 8003 : 830 as in the paper.\n"+
		"# Class ids are Vistas' own; the human classes are the outliers.\n",
		src.Dir, seed, n.Test, n.Train, n.Val)
	return os.WriteFile(filepath.Join(dir, "dataset.yaml"), append([]byte(head), raw...), 0o644)
}
