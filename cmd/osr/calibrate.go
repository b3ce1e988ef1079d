package main

import (
	"errors"
	"fmt"
	"os"
	"sort"

	"github.com/spf13/cobra"

	"osr/calibration"
	"osr/dataset"
	"osr/model"
)

func newCalibrateCmd(a *app) *cobra.Command {
	var dataDir, split, protocol, kind, rule string
	var target float64
	var temps []float64
	var limit int
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "calibrate [--model DIR] --data DIR [--split val] [--protocol P]",
		Short: "Pick the softmax temperature and the outlier threshold from held-out inlier pixels",
		Long: `Chooses a temperature for MSP and for entropy, then for each the threshold that
keeps --target-tpr of the split's inlier pixels, and writes them into the model's
model.yaml (atomically), with the data they came from. --rule says how the
temperature is chosen:
  nll       the lowest NLL of the inlier pixels among --temperatures (temperature
            scaling); outlier pixels are never used (the default)
  paper     the paper's: T = 10 for MSP, T = 2 for entropy
  outliers  the highest AP on the split's outlier pixels (--protocol), per score,
            among --temperatures; a split without outliers is refused (osr dataset
            paste makes one with pasted objects)
A temperature or threshold set in the config still overrides model.yaml.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if dataDir == "" {
				return errors.New("--data is required")
			}
			cfg, err := a.loadConfig(cmd.Flags(), engineFlagKeys)
			if err != nil {
				return err
			}
			if kind != "" && kind != "msp" && kind != "entropy" {
				return fmt.Errorf("--kind must be msp or entropy, got %q", kind)
			}
			ds, err := dataset.Open(dataDir)
			if err != nil {
				return err
			}
			if _, err := ds.OutlierIDs(protocol); err != nil {
				return err
			}
			dir := bundled(cfg.Model)
			opts := engineOptions(pipelined(cfg), a.log)
			opts.Logits, opts.Overrides.Temperature, opts.Overrides.OpenSet = true, 1, false
			eng, err := openONNX(dir, opts, a.log)
			if err != nil {
				return err
			}
			defer eng.Close()
			cal, err := calibration.Calibrate(cmd.Context(), eng, ds, calibration.CalibrateOptions{
				Split: split, Protocol: protocol != "", TargetTPR: target, Temperatures: temps, Rule: rule, Limit: limit, Progress: os.Stderr,
			})
			if err != nil {
				return err
			}
			ts := make([]float64, 0, len(cal.NLL))
			for t := range cal.NLL {
				ts = append(ts, t)
			}
			sort.Float64s(ts)
			fmt.Printf("%s on %s/%s: %d images, %d inlier pixels\n", eng.Spec().Name, ds.Name, split, cal.Images, cal.InlierPixels)
			for _, t := range ts {
				mark := ""
				if t == cal.Temperature {
					mark = "  <- lowest NLL"
					if rule == calibration.RuleNLL {
						mark = "  <- chosen"
					}
				}
				ap := ""
				if cal.AP != nil {
					ap = fmt.Sprintf("  AP msp %.2f %%, entropy %.2f %%", 100*cal.AP["msp"][t], 100*cal.AP["entropy"][t])
				}
				fmt.Printf("  T = %-5g NLL %.4f%s%s\n", t, cal.NLL[t], ap, mark)
			}
			fmt.Printf("  rule: %s\n", cal.Rule)
			for _, k := range []string{"msp", "entropy"} {
				fmt.Printf("  %-7s T = %g, threshold %.6f (keeps %.1f %% of inlier pixels)\n", k, cal.Kinds[k].Temperature, cal.Kinds[k].Threshold, 100*cal.TargetTPR)
			}
			spec := eng.Spec()
			if err := cal.Apply(&spec, kind); err != nil {
				return err
			}
			if dryRun {
				fmt.Println("dry run: model.yaml not changed")
				return nil
			}
			if err := model.WriteSpec(dir, spec); err != nil {
				return err
			}
			fmt.Printf("wrote scoring (%s, T = %g, threshold %.6f) to %s/%s\n", spec.Scoring.Kind, spec.Scoring.Temperature, spec.Scoring.Threshold, dir, model.SpecFile)
			return nil
		},
	}
	addEngineFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&dataDir, "data", "", "dataset directory with dataset.yaml")
	f.StringVar(&split, "split", "val", "held-out split")
	f.StringVar(&protocol, "protocol", "", "open-set protocol whose outlier classes are left out, e.g. camvid-ood")
	f.StringVar(&kind, "kind", "", "score kind to set in model.yaml: msp or entropy (default: the model's)")
	f.StringVar(&rule, "rule", calibration.RuleNLL, "how each score's temperature is chosen: nll, paper or outliers")
	f.Float64Var(&target, "target-tpr", 0.95, "share of inlier pixels to keep below the threshold")
	f.Float64SliceVar(&temps, "temperatures", calibration.DefaultTemperatures, "temperature grid")
	f.IntVar(&limit, "limit", 0, "use at most this many images (0 = all)")
	f.BoolVar(&dryRun, "dry-run", false, "print the choice without writing model.yaml")
	return cmd
}
