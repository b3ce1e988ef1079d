package main

import (
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"osr/calibration"
	"osr/config"
	"osr/dataset"
	"osr/internal/imageio"
	"osr/model"
	"osr/train"
)

// benchAll is every performance figure the project claims, from one run.
type benchAll struct {
	Inference *model.BenchResult `json:"inference"`
	Eval      *evalBench         `json:"eval"`
	Train     *train.BenchResult `json:"train,omitempty"`
	Rows      []benchRow         `json:"rows"`
	Runtime   string             `json:"onnxruntime"`
}

// evalBench is osr eval's throughput over repeated passes of a split.
type evalBench struct {
	Data            string  `json:"data"`
	Split           string  `json:"split"`
	Images          int     `json:"images"`
	Passes          int     `json:"passes"`
	PixelsPerSecond float64 `json:"pixels_per_s"` // median over passes
	RawPixelsPerS   float64 `json:"raw_pixels_per_s"`
}

// benchRow is one line of the table: osr's figure, the reference it is
// measured against, and their ratio.
type benchRow struct {
	Figure    string  `json:"figure"`
	Unit      string  `json:"unit"`
	OSR       float64 `json:"osr"`
	Reference string  `json:"reference"`
	Ref       float64 `json:"reference_value"`
	Ratio     float64 `json:"ratio"`
}

func newBenchAllCmd(a *app) *cobra.Command {
	var frames, passes int
	var data, split, image string
	var asJSON, skipTrain bool
	to := train.DefaultBench()
	cmd := &cobra.Command{
		Use:   "all [--json]",
		Short: "Every performance figure osr claims, in one run, as a table with ratios",
		Long: `Runs, in this process and one after the other: the node's end-to-end time
per frame against the raw ONNX Runtime Run (osr bench), osr eval's throughput
in pixels/s against the raw runtime's pixel rate (the same model on the
bundled CamVid mini split, repeated), and a training step of the default
segmenter against PyTorch on the same machine (osr bench train). Prints the
table docs/performance.md keeps.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := a.loadConfig(cmd.Flags(), engineFlagKeys)
			if err != nil {
				return err
			}
			var res benchAll
			img, err := imageio.ReadFile(bundled(image))
			if err != nil {
				return fmt.Errorf("bench image: %w", err)
			}
			eng, err := openONNX(bundled(cfg.Model), engineOptions(cfg, a.log), a.log)
			if err != nil {
				return err
			}
			inference, err := model.Bench(eng, img, nil, frames)
			res.Runtime = model.RuntimeVersion()
			eng.Close()
			if err != nil {
				return err
			}
			res.Inference = &inference
			inf := res.Inference
			res.Rows = append(res.Rows, benchRow{"node end to end per frame", "ms", inf.E2EMS, "raw ONNX Runtime Run", inf.RawMS, inf.Ratio})

			cfg.Scoring.OpenSet = false
			if res.Eval, err = benchEval(cmd, cfg, a, bundled(data), split, passes); err != nil {
				return err
			}
			res.Eval.RawPixelsPerS = float64(inf.Width*inf.Height) / (inf.RawMS / 1e3)
			ev := res.Eval
			res.Rows = append(res.Rows, benchRow{"osr eval throughput", "Mpixel/s", ev.PixelsPerSecond / 1e6,
				"raw ONNX Runtime pixel rate", ev.RawPixelsPerS / 1e6, ev.PixelsPerSecond / ev.RawPixelsPerS})

			if !skipTrain {
				to.Script = bundled(to.Script)
				if res.Train, err = train.BenchTrain(cmd.Context(), to); err != nil {
					return err
				}
				tr := res.Train
				if tr.TorchError == "" {
					res.Rows = append(res.Rows, benchRow{"training step (batch 4, 480x360)", "ms", tr.GoStepMS, "PyTorch " + tr.Torch, tr.TorchStepMS, tr.Ratio})
				}
				res.Rows = append(res.Rows, benchRow{"training step GFLOP/s", "GFLOP/s", tr.GoGFLOPS, "OpenBLAS SGEMM peak", tr.PeakGFLOPS, tr.PeakShare})
			}
			if asJSON {
				return printJSON(res)
			}
			fmt.Printf("osr bench all: model %s on %s, ONNX Runtime %s\n\n", inf.Model, inf.Provider, res.Runtime)
			fmt.Println("| figure | unit | osr | reference | reference value | ratio |")
			fmt.Println("|---|---|---|---|---|---|")
			for _, r := range res.Rows {
				fmt.Printf("| %s | %s | %.2f | %s | %.2f | %.3f |\n", r.Figure, r.Unit, r.OSR, r.Reference, r.Ref, r.Ratio)
			}
			if res.Train != nil && res.Train.TorchError != "" {
				fmt.Printf("\nPyTorch not run: %s\n", res.Train.TorchError)
			}
			return nil
		},
	}
	addEngineFlags(cmd)
	f := cmd.Flags()
	f.IntVarP(&frames, "frames", "n", 200, "frames to time the node path on")
	f.StringVar(&image, "image", defaultBenchImage, "frame for the node path")
	f.StringVar(&data, "data", "testdata/camvid-mini", "dataset for the eval throughput")
	f.StringVar(&split, "split", "test", "split of --data")
	f.IntVar(&passes, "passes", 5, "passes over the split (the median pass counts)")
	f.BoolVar(&skipTrain, "skip-train", false, "leave out the training step (it takes a few minutes)")
	f.IntVar(&to.Rounds, "train-rounds", to.Rounds, "alternating osr and PyTorch training rounds")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func benchEval(cmd *cobra.Command, cfg config.Config, a *app, data, split string, passes int) (*evalBench, error) {
	ds, err := dataset.Open(data)
	if err != nil {
		return nil, err
	}
	eng, err := openEngine(pipelined(cfg), a)
	if err != nil {
		return nil, err
	}
	defer eng.Close()
	eb := &evalBench{Data: data, Split: split, Passes: passes}
	var rates []float64
	for range max(passes, 1) {
		rep, err := calibration.Evaluate(cmd.Context(), eng, ds, calibration.EvalOptions{Split: split, Protocol: ds.Protocol != nil})
		if err != nil {
			return nil, err
		}
		eb.Images = rep.Images
		rates = append(rates, rep.PixelsPerSecond)
	}
	slices.Sort(rates)
	eb.PixelsPerSecond = rates[len(rates)/2]
	return eb, nil
}
