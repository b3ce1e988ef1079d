package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"osr/calibration"
	"osr/dataset"
)

func newEvalObjectsCmd(a *app) *cobra.Command {
	var dataDir, split, out string
	var filters []string
	var match float64
	cmd := &cobra.Command{
		Use:   "objects [--model DIR] --data DIR --split NAME [--filter K/N]... --out DIR",
		Short: "Measure the temporal filter of ~outlier_objects on a pasted split played in order",
		Long: `Plays a split pasted with osr dataset paste --track N in order, frame by frame,
through the node's object finder (the objects settings of the config) and one
temporal filter per --filter K/N, as the node does with a camera stream. Per
filter it counts the pasted objects kept (frames from the K-th of each object's
run on where a reported box overlaps the pasted one by --match IoU), the boxes
that overlap no pasted object (false), the false objects (tracks) and those
of them seen in one frame only. Writes objects.json, objects.md, objects.csv
(every reported box), objects.png (false boxes reported so far, per filter) and
objects_strip.jpg (one pasted object's frames, first and last filter).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if dataDir == "" || out == "" {
				return errors.New("--data and --out are required")
			}
			var fs []calibration.Filter
			for _, f := range filters {
				k, n, ok := strings.Cut(f, "/")
				kv, err1 := strconv.Atoi(k)
				nv, err2 := strconv.Atoi(n)
				if !ok || err1 != nil || err2 != nil {
					return fmt.Errorf("--filter %q: want K/N, for example 3/5", f)
				}
				fs = append(fs, calibration.Filter{K: kv, N: nv})
			}
			cfg, err := a.loadConfig(cmd.Flags(), engineFlagKeys)
			if err != nil {
				return err
			}
			ds, err := dataset.Open(dataDir)
			if err != nil {
				return err
			}
			pasted, err := dataset.ReadPasted(filepath.Join(dataDir, split, "pasted.csv"))
			if err != nil {
				return err
			}
			eng, err := openEngine(pipelined(cfg), a)
			if err != nil {
				return err
			}
			defer eng.Close()
			rep, err := calibration.EvaluateObjects(cmd.Context(), eng, ds, pasted, calibration.ObjectsOptions{
				Split: split, Objects: cfg.Objects, Filters: fs, Match: match, Progress: os.Stderr,
			})
			if err != nil {
				return err
			}
			return writeReport(rep, out)
		},
	}
	addEngineFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&dataDir, "data", "", "dataset directory of osr dataset paste --track")
	f.StringVar(&split, "split", "test", "pasted split")
	f.StringSliceVar(&filters, "filter", []string{"1/1", "2/3", "3/5"}, "temporal filter settings K/N to compare")
	f.Float64Var(&match, "match", 0.5, "box IoU at which a reported object is the pasted one")
	f.StringVarP(&out, "out", "o", "", "report directory")
	return cmd
}
