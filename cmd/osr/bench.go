package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"osr/internal/imageio"
	"osr/model"
	"osr/train"
)

// defaultBenchImage is a bundled CamVid test frame.
const defaultBenchImage = "demo/camvid/0001TP_008550.jpg"

func newBenchCmd(a *app) *cobra.Command {
	var frames int
	var asJSON bool
	var image string
	cmd := &cobra.Command{
		Use:   "bench [--model DIR] [--frames N] [--json]",
		Short: "Measure raw ONNX Runtime time against the node's end-to-end time per frame",
		Long: `Runs the model on one frame N times in this process and prints the median
ONNX Runtime Run time, the median end-to-end time from a raw rgb8 buffer to
the four output buffers (pre-processing, run, post-processing, overlay; no
file I/O), their ratio, and the same from JPEG bytes when the frame is a JPEG.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := a.loadConfig(cmd.Flags(), engineFlagKeys)
			if err != nil {
				return err
			}
			data, err := os.ReadFile(image)
			if err != nil {
				return fmt.Errorf("bench image: %w", err)
			}
			img, err := imageio.Decode(data)
			if err != nil {
				return fmt.Errorf("bench image %s: %w", image, err)
			}
			var jpeg []byte
			if img.Format == "jpeg" {
				jpeg = data
			}
			eng, err := openONNX(bundled(cfg.Model), engineOptions(cfg, a.log), a.log)
			if err != nil {
				return err
			}
			defer eng.Close()
			r, err := model.Bench(eng, img.RGB, jpeg, frames)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(r)
			}
			fmt.Printf("model %s on %s, %dx%d (%s), %d frames\n", r.Model, r.Provider, r.Width, r.Height, filepath.Base(image), r.Frames)
			fmt.Printf("  raw ONNX Runtime Run      %8.2f ms (median)\n", r.RawMS)
			fmt.Printf("  end to end, rgb8 buffer   %8.2f ms (median)   ratio %.3f\n", r.E2EMS, r.Ratio)
			if r.JPEGMS > 0 {
				fmt.Printf("  end to end, JPEG bytes    %8.2f ms (median)   ratio %.3f\n", r.JPEGMS, r.JPEGRatio)
			}
			return nil
		},
	}
	cmd.AddCommand(newBenchTrainCmd(), newBenchAllCmd(a))
	addEngineFlags(cmd)
	cmd.Flags().IntVarP(&frames, "frames", "n", 100, "frames to time")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringVar(&image, "image", defaultBenchImage, "frame to run on")
	return cmd
}

func newBenchTrainCmd() *cobra.Command {
	o := train.DefaultBench()
	var asJSON, memory bool
	cmd := &cobra.Command{
		Use:   "train [--steps N] [--json]",
		Short: "Time a training step of the default segmenter against PyTorch on this machine",
		Long: `Times forward, backward and the Adam update of the default CPU segmenter
(batch 4, 480x360 crops) in osr (gorgonia ops, OpenBLAS), then the same
network in PyTorch (bench/ldn_torch.py, Debian python3-torch) in the same
run, and OpenBLAS's SGEMM rate on all cores. Prints the median step times,
their ratio and the share of the SGEMM peak osr achieves.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if memory {
				return benchMemory(cmd, asJSON)
			}
			o.Script = bundled(o.Script)
			r, err := train.BenchTrain(cmd.Context(), o)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(r)
			}
			fmt.Printf("training step, default segmenter, batch %d at %dx%d, %d threads (%.1f GFLOP per step)\n",
				r.Batch, r.Width, r.Height, r.Threads, r.StepGFLOP)
			fmt.Printf("  osr (gorgonia + OpenBLAS)  %8.0f ms   %6.1f GFLOP/s  (%.0f %% of the %.0f GFLOP/s SGEMM peak)\n",
				r.GoStepMS, r.GoGFLOPS, 100*r.PeakShare, r.PeakGFLOPS)
			if r.TorchError != "" {
				fmt.Printf("  PyTorch                    not run: %s\n", r.TorchError)
				return nil
			}
			fmt.Printf("  PyTorch %-18s %8.0f ms\n", r.Torch, r.TorchStepMS)
			fmt.Printf("  ratio osr / PyTorch        %8.2f\n", r.Ratio)
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Steps, "steps", o.Steps, "timed steps per round (after one warm-up step)")
	f.IntVar(&o.Rounds, "rounds", o.Rounds, "alternating osr and PyTorch rounds")
	f.StringVar(&o.Python, "python", o.Python, "python3 with torch for the reference (\"\" skips it)")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	f.BoolVar(&memory, "memory", false, "measure memory with and without recomputing im2col in the backward pass instead")
	return cmd
}

func benchMemory(cmd *cobra.Command, asJSON bool) error {
	rows, err := train.BenchMemory(cmd.Context())
	if err != nil {
		return err
	}
	if asJSON {
		return printJSON(rows)
	}
	fmt.Println("memory a training step holds (live Go heap), column matrices kept vs recomputed")
	for _, r := range rows {
		mode := "kept      "
		if r.Recompute {
			mode = "recomputed"
		}
		fmt.Printf("  %-9s %s  %7.0f MiB  %7.0f ms/step   (%s)\n", r.Network, mode, r.HeapMB, r.StepMS, r.Description)
	}
	return nil
}

// printJSON writes v to stdout as indented JSON (the benchmarks' --json).
func printJSON(v any) error {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
