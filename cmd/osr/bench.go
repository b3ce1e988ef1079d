package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"osr/config"
	"osr/internal/imageio"
	"osr/model"
	"osr/train"
)

// defaultBenchImage is a bundled CamVid test frame.
const defaultBenchImage = "demo/camvid/0001TP_008550.jpg"

func newBenchCmd(a *app) *cobra.Command {
	var o nodeBenchFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "bench [--model DIR] [--frames N] [--rounds R] [--json]",
		Short: "Measure raw ONNX Runtime time against the node's end-to-end time per frame",
		Long: `Runs the model on one frame in this process with the engine settings osr node
uses (the config's runtime section: runtime.spin is off by default, so the
runtime's workers sleep between frames) and prints the median ONNX Runtime
Run time, the median end-to-end time from a raw rgb8 buffer to the four
output buffers (pre-processing, run, post-processing, overlay; no file I/O),
their ratio, and the same from JPEG bytes when the frame is a JPEG. Each of
R rounds times N frames of each path back to back, the order alternating;
the figures are medians over the rounds. osr bench all prints the same row.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := a.loadConfig(cmd.Flags(), engineFlagKeys)
			if err != nil {
				return err
			}
			r, err := benchNode(cfg, a, o)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(r)
			}
			printNodeBench(r, o.image)
			return nil
		},
	}
	cmd.AddCommand(newBenchTrainCmd(), newBenchAllCmd(a), newBenchCamerasCmd(a))
	addEngineFlags(cmd)
	o.add(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// nodeBenchFlags are the node row's flags, shared by osr bench and osr
// bench all.
type nodeBenchFlags struct {
	frames, rounds int
	image, size    string
}

func (o *nodeBenchFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.IntVarP(&o.frames, "frames", "n", 60, "frames per round and path")
	f.IntVar(&o.rounds, "rounds", 5, "alternating rounds of the node path and the raw runtime (the median counts)")
	f.StringVar(&o.image, "image", defaultBenchImage, "frame to run on")
	f.StringVar(&o.size, "size", "", "scale the frame to WIDTHxHEIGHT first (e.g. 1920x1080, a camera's resolution)")
}

// benchNode is the node row of osr bench and osr bench all: the model on
// one frame with the engine options osr node takes from the same config.
func benchNode(cfg config.Config, a *app, o nodeBenchFlags) (model.BenchResult, error) {
	path := bundled(o.image)
	data, err := os.ReadFile(path)
	if err != nil {
		return model.BenchResult{}, fmt.Errorf("bench image: %w", err)
	}
	img, err := imageio.Decode(data)
	if err != nil {
		return model.BenchResult{}, fmt.Errorf("bench image %s: %w", path, err)
	}
	if o.size != "" {
		w, h, err := parseSize(o.size)
		if err != nil {
			return model.BenchResult{}, err
		}
		if data, err = scaleJPEG(img.RGB, w, h); err != nil {
			return model.BenchResult{}, err
		}
		if img, err = imageio.Decode(data); err != nil {
			return model.BenchResult{}, err
		}
	}
	bo := model.BenchOptions{Frames: o.frames, Rounds: o.rounds}
	if img.Format == "jpeg" {
		bo.JPEG = data
	}
	eng, err := openONNX(bundled(cfg.Model), engineOptions(cfg, a.log), a.log)
	if err != nil {
		return model.BenchResult{}, err
	}
	defer eng.Close()
	return model.Bench(eng, img.RGB, bo)
}

// spinWords says how the runtime's workers wait between runs.
func spinWords(spin bool) string {
	if spin {
		return "runtime.spin on: the runtime's workers busy-wait between runs"
	}
	return "runtime.spin off (osr node's default): the runtime's workers sleep between runs"
}

func printNodeBench(r model.BenchResult, image string) {
	fmt.Printf("model %s on %s (%s), %dx%d (%s), %d rounds of %d frames per path\n",
		r.Model, r.Provider, r.Device, r.Width, r.Height, filepath.Base(image), len(r.Rounds), r.Frames)
	fmt.Printf("  %s\n", spinWords(r.Spin))
	fmt.Printf("  raw ONNX Runtime Run      %8.2f ms (median)\n", r.RawMS)
	fmt.Printf("  end to end, rgb8 buffer   %8.2f ms (median)   ratio %.3f\n", r.E2EMS, r.Ratio)
	if r.JPEGMS > 0 {
		fmt.Printf("  end to end, JPEG bytes    %8.2f ms (median)   ratio %.3f\n", r.JPEGMS, r.JPEGRatio)
	}
	fmt.Print("  ratio per round          ")
	for _, rd := range r.Rounds {
		fmt.Printf(" %.3f", rd.Ratio)
	}
	fmt.Println()
	fmt.Printf("  process CPU per frame      raw %.2f ms, end to end %.2f ms   ratio %.3f (median round)\n", r.RawCPUMS, r.E2ECPUMS, r.CPURatio)
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
run, and OpenBLAS's SGEMM rate on all cores after osr's steps in every
round. Prints the median step times, their ratio and the share of the
SGEMM peak (the median of the rounds') osr achieves.`,
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
			kernels := "scalar element-wise kernels"
			if r.SIMD {
				kernels = "SIMD element-wise kernels"
			}
			fmt.Printf("training step, default segmenter, batch %d at %dx%d, %d threads, %s (%.1f GFLOP per step)\n",
				r.Batch, r.Width, r.Height, r.Threads, kernels, r.StepGFLOP)
			fmt.Printf("  osr (gorgonia + OpenBLAS)  %8.0f ms   %6.1f GFLOP/s  (%.0f %% of the %.0f GFLOP/s SGEMM peak, median of the rounds)\n",
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
	f.BoolVar(&memory, "memory", false, "measure memory instead: im2col kept vs recomputed, and LDN-121 with and without checkpointed dense blocks")
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
	fmt.Println("memory of a training step: live Go heap after it, and the process's peak RSS over building and running it")
	for _, r := range rows {
		mode := "columns kept"
		switch {
		case r.Network == "ldn121" && r.Checkpoint:
			mode = "blocks checkpointed"
		case r.Network == "ldn121":
			mode = "blocks kept"
		case r.Recompute:
			mode = "columns recomputed"
		}
		fmt.Printf("  %-9s %-19s %7.0f MiB heap  %7.0f MiB peak RSS  %7.0f ms/step   (%s)\n", r.Network, mode, r.HeapMB, r.PeakRSSMB, r.StepMS, r.Description)
	}
	return nil
}

// printJSON writes v to stdout as indented JSON (the benchmarks' --json).
func printJSON(v any) error {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
