package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"osr/calibration"
	"osr/dataset"
)

func newEvalCmd(a *app) *cobra.Command {
	var dataDir, split, protocol, out string
	var limit int
	cmd := &cobra.Command{
		Use:   "eval [--model DIR] --data DIR --split NAME [--protocol camvid-ood] --out DIR",
		Short: "Measure a model on a labelled dataset split: mIoU, outlier AP, FPR95, AUROC",
		Long: `Runs the model over every image of a split and writes report.json, report.md,
PR and ROC curves (pr.png, roc.png) and the overlays of the best and worst images.
With --protocol, the protocol's held-out classes (from dataset.yaml) are the
outliers; metrics are pixel-level over the split and averaged per image.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if dataDir == "" || out == "" {
				return errors.New("--data and --out are required")
			}
			cfg, err := a.loadConfig(cmd.Flags(), engineFlagKeys)
			if err != nil {
				return err
			}
			cfg.Scoring.OpenSet = false // metrics need the argmax labels
			ds, err := dataset.Open(dataDir)
			if err != nil {
				return err
			}
			if _, err := ds.OutlierIDs(protocol); err != nil {
				return err
			}
			eng, err := openEngine(pipelined(cfg), a)
			if err != nil {
				return err
			}
			defer eng.Close()
			rep, err := calibration.Evaluate(cmd.Context(), eng, ds, calibration.EvalOptions{
				Split: split, Protocol: protocol != "", Limit: limit, Progress: os.Stderr,
			})
			if err != nil {
				return err
			}
			return writeReport(rep, out)
		},
	}
	addEngineFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&dataDir, "data", "", "dataset directory with dataset.yaml")
	f.StringVar(&split, "split", "val", "split to evaluate")
	f.StringVar(&protocol, "protocol", "", "open-set protocol from dataset.yaml, e.g. camvid-ood")
	f.StringVarP(&out, "out", "o", "", "report directory")
	f.IntVar(&limit, "limit", 0, "evaluate at most this many images (0 = all)")
	cmd.AddCommand(newEvalCompareCmd(), newEvalObjectsCmd(a))
	return cmd
}

func newEvalCompareCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "compare --out DIR [NAME=]REPORT...",
		Short: "Draw several eval reports' PR and ROC curves in one figure, with a table of their figures",
		Long: `Reads the report.json files (or their directories) that osr eval wrote and
writes DIR/pr.png and DIR/roc.png, one curve per report, and DIR/compare.md,
a table of AP, FPR95, AUROC, per-image AP, mIoU and inlier TPR. A report is
named by NAME= or else by its directory, for example
  osr eval compare --out cmp msp=runs/msp/test so=runs/so/test`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return errors.New("--out is required")
			}
			names := make([]string, len(args))
			reps := make([]*calibration.Report, len(args))
			for i, a := range args {
				name, path, ok := strings.Cut(a, "=")
				if !ok {
					path, name = a, filepath.Base(strings.TrimSuffix(strings.TrimSuffix(a, "/"), "/report.json"))
				}
				r, err := calibration.LoadReport(path)
				if err != nil {
					return err
				}
				names[i], reps[i] = name, r
			}
			if err := calibration.WriteComparison(out, names, reps); err != nil {
				return err
			}
			fmt.Printf("comparison written to %s (compare.md, pr.png, roc.png)\n", out)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", "directory for compare.md, pr.png and roc.png")
	return cmd
}

// writeReport writes an eval report to dir and prints its Markdown.
func writeReport(rep interface {
	Write(dir string) error
	Markdown() string
}, dir string) error {
	if err := rep.Write(dir); err != nil {
		return err
	}
	fmt.Print(rep.Markdown())
	fmt.Printf("\nreport written to %s\n", dir)
	return nil
}
