package main

import (
	"errors"
	"fmt"
	"os"

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
			if err := rep.Write(out); err != nil {
				return err
			}
			fmt.Print(rep.Markdown())
			fmt.Printf("\nreport written to %s\n", out)
			return nil
		},
	}
	addEngineFlags(cmd.Flags())
	f := cmd.Flags()
	f.StringVar(&dataDir, "data", "", "dataset directory with dataset.yaml")
	f.StringVar(&split, "split", "val", "split to evaluate")
	f.StringVar(&protocol, "protocol", "", "open-set protocol from dataset.yaml, e.g. camvid-ood")
	f.StringVarP(&out, "out", "o", "", "report directory")
	f.IntVar(&limit, "limit", 0, "evaluate at most this many images (0 = all)")
	return cmd
}
