package main

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"osr/calibration"
	"osr/config"
	"osr/dataset"
	"osr/model"
	"osr/train"
)

// benchAll is every performance figure the project claims, from one run.
type benchAll struct {
	Inference *model.BenchResult `json:"inference"`
	// FrameSize is the same row with a model whose input is the frame's
	// size (--frame-model), which the node runs without resizing.
	FrameSize *model.BenchResult `json:"inference_frame_size,omitempty"`
	NodeCPU   *nodeCPU           `json:"node_cpu,omitempty"`
	Eval      *evalBench         `json:"eval"`
	Train     *train.BenchResult `json:"train,omitempty"`
	Memory    []train.MemoryRow  `json:"memory,omitempty"`
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
	Ratio           float64 `json:"ratio"` // median over passes of osr eval's rate / the runtime's`
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
	var node nodeBenchFlags
	var passes int
	var data, split, frameModel string
	var asJSON, skipTrain, skipCPU, skipMemory bool
	var cpuRate float64
	var cpuWindow time.Duration
	to := train.DefaultBench()
	cmd := &cobra.Command{
		Use:   "all [--json]",
		Short: "Every performance figure osr claims, in one run, as a table with ratios",
		Long: `Runs, in this process and one after the other: the node's end-to-end time
per frame against the raw ONNX Runtime Run (osr bench), the same with a
model whose input is the frame's size (--frame-model), the CPU share of a
real osr node (ROS 1: roscore, osr node and a camera publishing 480x360 rgb8
frames at --cpu-rate from this process, with a subscriber on the mask)
against the runtime's own CPU time at that rate, osr eval's throughput
in pixels/s against the raw runtime's pixel rate (the camvid val split
beside the checkout, or the bundled mini split; --passes alternating
passes of eval and of the runtime alone, the median pass's ratio), a training step of the default
segmenter against PyTorch on the same machine (osr bench train), and
LDN-121's training step with checkpointed dense blocks against the same
step keeping them (peak RSS and time, osr bench train --memory). Prints the
table docs/performance.md keeps.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := a.loadConfig(cmd.Flags(), engineFlagKeys)
			if err != nil {
				return err
			}
			var res benchAll
			inference, err := benchNode(cfg, a, node)
			if err != nil {
				return err
			}
			res.Runtime = inference.Runtime
			res.Inference = &inference
			inf := res.Inference
			res.Rows = append(res.Rows, benchRow{"node end to end per frame", "ms", inf.E2EMS, "raw ONNX Runtime Run", inf.RawMS, inf.Ratio})
			if frameModel != "" {
				fc := cfg
				fc.Model = frameModel
				fs, err := benchNode(fc, a, node)
				if err != nil {
					return fmt.Errorf("--frame-model: %w", err)
				}
				res.FrameSize = &fs
				res.Rows = append(res.Rows, benchRow{fmt.Sprintf("node end to end per frame, %s (%dx%d input)", fs.Model, fs.Width, fs.Height), "ms",
					fs.E2EMS, "raw ONNX Runtime Run", fs.RawMS, fs.Ratio})
			}

			if !skipCPU {
				if res.NodeCPU, err = benchNodeCPU(cmd.Context(), a, cmd.Flags(), node.image, cpuRate, 3*time.Second, cpuWindow); err != nil {
					return err
				}
				if nc := res.NodeCPU; nc.Skipped == "" {
					ref := inf.RawCPUMS / 1e3 * cpuRate
					res.Rows = append(res.Rows, benchRow{fmt.Sprintf("osr node CPU at %g Hz (ROS 1, %dx%d rgb8)", cpuRate, inf.Width, inf.Height), "cores",
						nc.Cores, "raw ONNX Runtime Run CPU at that rate", ref, nc.Cores / ref})
				}
			}

			cfg.Scoring.OpenSet = false
			if res.Eval, err = benchEval(cmd, cfg, a, bundled(data), split, passes); err != nil {
				return err
			}
			ev := res.Eval
			res.Rows = append(res.Rows, benchRow{fmt.Sprintf("osr eval throughput (%s %s)", filepath.Base(ev.Data), ev.Split), "Mpixel/s", ev.PixelsPerSecond / 1e6,
				"raw ONNX Runtime pixel rate", ev.RawPixelsPerS / 1e6, ev.Ratio})

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
			if !skipTrain && !skipMemory {
				if res.Memory, err = train.BenchCheckpoint(cmd.Context()); err != nil {
					return err
				}
				kept, ckpt := res.Memory[0], res.Memory[1]
				res.Rows = append(res.Rows,
					benchRow{"LDN-121 training peak RSS, checkpointed blocks (batch 4, 480x352)", "MiB", ckpt.PeakRSSMB, "blocks kept", kept.PeakRSSMB, ckpt.PeakRSSMB / kept.PeakRSSMB},
					benchRow{"LDN-121 training step, checkpointed blocks", "ms", ckpt.StepMS, "blocks kept", kept.StepMS, ckpt.StepMS / kept.StepMS})
			}
			if asJSON {
				return printJSON(res)
			}
			fmt.Printf("osr bench all: model %s on %s, ONNX Runtime %s\n", inf.Model, inf.Provider, res.Runtime)
			fmt.Printf("node row: %s; %d alternating rounds of %d frames, the median round\n\n", spinWords(inf.Spin), len(inf.Rounds), inf.Frames)
			fmt.Println("| figure | unit | osr | reference | reference value | ratio |")
			fmt.Println("|---|---|---|---|---|---|")
			for _, r := range res.Rows {
				fmt.Printf("| %s | %s | %.2f | %s | %.2f | %.3f |\n", r.Figure, r.Unit, r.OSR, r.Reference, r.Ref, r.Ratio)
			}
			if nc := res.NodeCPU; nc != nil && nc.Skipped != "" {
				fmt.Printf("\nnode CPU not measured: %s\n", nc.Skipped)
			} else if nc != nil {
				fmt.Printf("\nnode CPU: %d frames published in %.1f s, %d masks received, %.2f CPU-s\n", nc.FramesIn, nc.Seconds, nc.FramesOut, nc.CPUSec)
			}
			if res.Train != nil && res.Train.TorchError != "" {
				fmt.Printf("\nPyTorch not run: %s\n", res.Train.TorchError)
			}
			return nil
		},
	}
	addEngineFlags(cmd)
	f := cmd.Flags()
	node.add(cmd)
	f.StringVar(&data, "data", "", "dataset for the eval throughput (default: ../shared/datasets/camvid val if present, else testdata/camvid-mini test)")
	f.StringVar(&split, "split", "", "split of --data")
	f.StringVar(&frameModel, "frame-model", "models/camvid-so-480x360", "model whose input is the frame's size, for a second node row (\"\" leaves it out)")
	f.IntVar(&passes, "passes", 5, "passes over the split (the median pass counts)")
	f.BoolVar(&skipCPU, "skip-cpu", false, "leave out the node's CPU share (it starts roscore and osr node)")
	f.Float64Var(&cpuRate, "cpu-rate", 10, "camera rate for the node's CPU share, Hz")
	f.DurationVar(&cpuWindow, "cpu-window", 20*time.Second, "how long the node's CPU time is measured (after 3 s of warm-up)")
	f.BoolVar(&skipTrain, "skip-train", false, "leave out the training rows, memory included (they take minutes)")
	f.IntVar(&to.Rounds, "train-rounds", to.Rounds, "alternating osr and PyTorch training rounds")
	f.BoolVar(&skipMemory, "skip-memory", false, "leave out LDN-121's training memory and step time with and without checkpointed blocks (a few minutes)")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// benchEval times osr eval over a split against the raw runtime on the
// same engine, in alternating passes: each pass runs Evaluate over the
// split and the runtime's Run once per image (the order alternating), and
// the ratio of their pixel rates is the median pass's.
func benchEval(cmd *cobra.Command, cfg config.Config, a *app, data, split string, passes int) (*evalBench, error) {
	if data == "" {
		var def string
		data, def = defaultEvalData()
		if split == "" {
			split = def
		}
	}
	if split == "" {
		split = "test"
	}
	ds, err := dataset.Open(data)
	if err != nil {
		return nil, err
	}
	eng, err := openONNX(bundled(cfg.Model), engineOptions(pipelined(cfg), a.log), a.log)
	if err != nil {
		return nil, err
	}
	defer eng.Close()
	eb := &evalBench{Data: data, Split: split, Passes: max(passes, 1)}
	var rates, raws, ratios []float64
	for i := range eb.Passes {
		var rep *calibration.Report
		var rawSec float64
		evalPass := func() error {
			rep, err = calibration.Evaluate(cmd.Context(), eng, ds, calibration.EvalOptions{Split: split, Protocol: ds.Protocol != nil})
			return err
		}
		rawPass := func() error {
			n := eb.Images
			if rep != nil {
				n = rep.Images
			}
			t0 := time.Now()
			for range n {
				if err := eng.RunRaw(); err != nil {
					return err
				}
			}
			rawSec = time.Since(t0).Seconds()
			return nil
		}
		if i == 0 { // the first raw pass needs an input and the image count
			if err := evalPass(); err != nil {
				return nil, err
			}
			eb.Images = rep.Images
		}
		order := []func() error{evalPass, rawPass}
		if i%2 == 1 {
			order = []func() error{rawPass, evalPass}
		}
		for _, f := range order {
			if err := f(); err != nil {
				return nil, err
			}
		}
		pixels := rep.PixelsPerSecond * rep.Seconds
		raw := pixels / rawSec
		rates, raws, ratios = append(rates, rep.PixelsPerSecond), append(raws, raw), append(ratios, rep.PixelsPerSecond/raw)
	}
	eb.PixelsPerSecond, eb.RawPixelsPerS, eb.Ratio = model.Median(rates), model.Median(raws), model.Median(ratios)
	return eb, nil
}

// defaultEvalData is the camvid val split in the shared datasets folder
// beside the checkout when it is there, else the bundled mini split.
func defaultEvalData() (dir, split string) {
	if d := bundled("../shared/datasets/camvid"); exists(d) {
		return d, "val"
	}
	return bundled("testdata/camvid-mini"), "test"
}
