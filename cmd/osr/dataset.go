package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"osr/dataset"
)

func newDatasetCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "dataset", Short: "Make evaluation datasets"}
	cmd.AddCommand(newDatasetPasteCmd(), newDatasetVistasNPCmd())
	return cmd
}

func newDatasetVistasNPCmd() *cobra.Command {
	var o dataset.VistasNPOptions
	var vistas, out string
	cmd := &cobra.Command{
		Use:   "vistas-np --vistas DIR --out DIR [--copy]",
		Short: "Build the paper's Vistas-NP dataset from a Mapillary Vistas copy",
		Long: `Build Vistas-NP (Bevandić et al.; Grcić et al. 2021) from a Mapillary Vistas v1.2
copy (training/ and validation/ with images and v1.2/labels, and config_v1.2.json):
every image that contains a person or a rider goes to test, and the others are cut
into train and val in the paper's proportion (8,003 : 830). Class ids are Vistas'
own; the human classes are the vistas-np protocol's outliers. The new dataset links
to the Vistas files (--copy copies them) and is written whole or not at all.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if vistas == "" || out == "" {
				return errors.New("--vistas and --out are required")
			}
			progress, finish := imageProgress("reading labels")
			n, err := dataset.VistasNP(cmd.Context(), vistas, out, o, progress)
			finish()
			if err != nil {
				return err
			}
			fmt.Printf("wrote vistas-np to %s: train %d, val %d, test %d (with people) images\n", out, n.Train, n.Val, n.Test)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&vistas, "vistas", "", "Mapillary Vistas directory")
	f.StringVarP(&out, "out", "o", "", "new dataset directory")
	f.BoolVar(&o.Copy, "copy", false, "copy images and labels instead of linking to them")
	f.Uint64Var(&o.Seed, "seed", 1, "seed of the train/val cut")
	return cmd
}

func newDatasetPasteCmd() *cobra.Command {
	o := dataset.PasteOptions{MinSide: 48, MaxSide: 128, Seed: 1}
	var dataDir, objects, out string
	cmd := &cobra.Command{
		Use:   "paste --data DIR --split S --protocol P --out DIR [--objects DIR]",
		Short: "Copy a split with one Fashion-MNIST object pasted into each image, labelled as the protocol's outlier",
		Long: `Copy a split with one Fashion-MNIST test image (a garment, scaled to 48-128 px,
in a random colour, its edge blended) pasted at a random place of each image, as Fishyscapes Static
pastes objects into Cityscapes: outliers unlike any inlier class. The pasted pixels
take the protocol's first outlier id and the split's own outlier pixels are ignored,
so osr eval --protocol P on the new directory measures only the pasted objects.
With --track N the split becomes a sequence for the temporal filter: one object per
run of N consecutive frames of a sequence, moving in a straight line by at most an
eighth of its side per frame. S/pasted.csv lists each image's run, its frame in
the run and the box of the object's labelled pixels (osr eval objects reads it).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if dataDir == "" || out == "" || o.Protocol == "" {
				return errors.New("--data, --protocol and --out are required")
			}
			src, err := dataset.Open(dataDir)
			if err != nil {
				return err
			}
			if o.Objects, err = dataset.ReadIDX(filepath.Join(objects, "t10k-images-idx3-ubyte.gz"),
				filepath.Join(objects, "t10k-labels-idx1-ubyte.gz")); err != nil {
				return fmt.Errorf("objects: %w", err)
			}
			progress, finish := imageProgress("paste")
			n, err := dataset.PasteObjects(cmd.Context(), src, out, o, progress)
			finish()
			if err != nil {
				return err
			}
			fmt.Printf("wrote %d images of %s/%s with pasted objects to %s\n", n, src.Name, o.Split, out)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&dataDir, "data", "", "source dataset directory")
	f.StringVar(&o.Split, "split", "test", "split to copy")
	f.StringVar(&o.Protocol, "protocol", "", "open-set protocol whose first outlier id labels the pasted objects")
	f.StringVar(&objects, "objects", dataset.FashionMNISTDir, "directory of the Fashion-MNIST idx files")
	f.IntVar(&o.MinSide, "min-side", o.MinSide, "smallest object side in pixels")
	f.IntVar(&o.MaxSide, "max-side", o.MaxSide, "largest object side in pixels")
	f.Uint64Var(&o.Seed, "seed", o.Seed, "random seed of places, sizes, colours and objects")
	f.IntVar(&o.Track, "track", 0, "frames per moving object (0: a new object at a random place in each image)")
	f.StringVarP(&out, "out", "o", "", "new dataset directory")
	return cmd
}

// imageProgress is a progress bar on stderr for work over images, as a
// progress callback and the function that ends the bar.
func imageProgress(what string) (progress func(done, total int), finish func()) {
	bar := progressbar.NewOptions(-1, progressbar.OptionSetWriter(os.Stderr), progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(), progressbar.OptionSetItsString("image"), progressbar.OptionShowIts())
	return func(done, total int) {
			bar.ChangeMax(total)
			bar.Set(done)
		}, func() {
			bar.Finish()
			fmt.Fprintln(os.Stderr)
		}
}
