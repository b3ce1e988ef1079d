package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"osr/train"
)

func newTrainCmd(a *app) *cobra.Command {
	var cfgFile, out, initFile string
	var resume bool
	cmd := &cobra.Command{
		Use:   "train [--config FILE] --out DIR [--resume]",
		Short: "Train the segmenter (LDN) on a dataset, checkpointed, and export it as a model package",
		Long: `Trains the ladder-style DenseNet segmenter as the config says (defaults:
train.DefaultConfig, camvid-ood at half resolution) and writes into DIR:
  checkpoint.osr   weights, optimiser and random state, every checkpoint_every steps
  train.log        one JSON line per log_every steps
  config.yaml      the run's config
  model/           the exported model package (model.onnx + model.yaml)
Ctrl-C or SIGTERM saves a checkpoint; --resume continues from it, with the
config the run started with.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return fmt.Errorf("--out is required")
			}
			cfg := train.DefaultConfig()
			if cfgFile != "" {
				if resume {
					return fmt.Errorf("--resume continues with the config the run started with; leave out --config")
				}
				var err error
				if cfg, err = train.LoadConfig(cfgFile); err != nil {
					return err
				}
			}
			rep, err := train.Run(cmd.Context(), cfg, train.RunOptions{Out: out, Resume: resume, Init: initFile, Progress: os.Stderr,
				Command: strings.Join(os.Args, " ")})
			if err != nil {
				return err
			}
			if rep.Finished {
				fmt.Printf("%s finished all %d steps before; its model is in %s\n", out, rep.Steps, filepath.Join(out, train.ModelDir))
				return nil
			}
			fmt.Printf("trained %d steps on %d images in %.0f s: loss %.3f, val mIoU %.2f %%, threshold %.4f\n",
				rep.Steps, rep.TrainImages, rep.Seconds, rep.FinalLoss, 100*rep.ValMIoU, rep.Threshold)
			fmt.Printf("model package written to %s\n", filepath.Join(out, train.ModelDir))
			return nil
		},
	}
	// The training config has its own schema: -c/--config here shadows the
	// osr config that the commands running a model read.
	readsConfig(cmd)
	f := cmd.Flags()
	f.StringVarP(&cfgFile, "config", "c", "", "training config (YAML), not the node's osr.yaml; see config/train.yaml")
	f.StringVar(&out, "out", "", "run directory (checkpoint, log, model package)")
	f.BoolVar(&resume, "resume", false, "continue the run in --out from its checkpoint")
	f.StringVar(&initFile, "init", "", "start the encoder from these weights: a torchvision densenet121 or resnet18 state dict (.pth) or an ONNX file with its initializer names; needs model.layout: torchvision (config/camvid-ldn121.yaml) or resnet (config/camvid-resnet18.yaml)")
	cmd.AddCommand(newTrainImageWideCmd(), newTrainExportCmd())
	return cmd
}

func newTrainImageWideCmd() *cobra.Command {
	cfg := train.DefaultImageWide()
	var out string
	cmd := &cobra.Command{
		Use:   "imagewide --mode msp|so|gan --out DIR",
		Short: "Image-wide open-set recognition (Algorithm 1): Fashion-MNIST classifier vs MNIST and natural-image outliers",
		Long: `Trains a VGG-style classifier on Fashion-MNIST (Debian dataset-fashion-mnist),
with max-softmax alone (msp), jointly with a Real NVP whose samples are
trained towards a uniform prediction (so), or jointly with a small GAN whose
generator is also pushed towards samples the classifier finds uniform (gan,
Lee et al. 2018, the baseline of the paper's Table 1), then reports TNR at 95 % TPR,
AUROC and detection accuracy against MNIST test digits and grayscale crops
of the demo road scenes, as the paper's Table 1. Writes DIR/report.json and
DIR/report.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return fmt.Errorf("--out is required")
			}
			if len(cfg.Natural) == 0 {
				frames, _ := filepath.Glob(filepath.Join(bundled("demo/camvid"), "*.jpg"))
				cfg.Natural = frames
			}
			rep, err := train.RunImageWide(cmd.Context(), cfg, out, os.Stderr)
			if err != nil {
				return err
			}
			fmt.Print(rep.Markdown())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&out, "out", "", "directory for report.json and report.md")
	f.StringVar(&cfg.Mode, "mode", cfg.Mode, "msp (classifier alone), so (joint Real NVP outliers) or gan (joint GAN outliers)")
	f.StringVar(&cfg.Data, "data", cfg.Data, "Fashion-MNIST IDX files")
	f.StringVar(&cfg.MNIST, "mnist", "", "folder with MNIST's t10k IDX files (default: the GoMNIST module's, in the Go module cache)")
	f.StringSliceVar(&cfg.Natural, "natural", nil, "photos to cut natural-image outlier crops from (default: demo/camvid)")
	f.IntVar(&cfg.Steps, "steps", cfg.Steps, "optimiser steps")
	f.IntVar(&cfg.Batch, "batch", cfg.Batch, "inlier images per step (so and gan modes add as many samples)")
	f.IntVar(&cfg.Replicas, "replicas", cfg.Replicas, "batch-norm groups per step, run in parallel (fixed, so that results do not depend on the core count)")
	f.Float64Var(&cfg.LR, "lr", cfg.LR, "classifier peak learning rate (cosine-annealed)")
	f.Float64Var(&cfg.Lambda, "lambda", cfg.Lambda, "weight of KL(uniform || softmax) on flow or GAN samples in the classifier's loss")
	f.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "random seed")
	f.IntVar(&cfg.Flow.Blocks, "flow-blocks", cfg.Flow.Blocks, "residual blocks per coupling of the Real NVP (so mode)")
	f.IntVar(&cfg.FlowWarmup, "flow-warmup", cfg.FlowWarmup, "NLL-only flow steps on Fashion-MNIST before joint training (so mode)")
	f.Float64Var(&cfg.FlowLR, "flow-lr", cfg.FlowLR, "the flow's Adam learning rate (so mode)")
	f.IntVar(&cfg.Flow.Features, "flow-features", cfg.Flow.Features, "feature maps per coupling of the Real NVP (so mode)")
	f.Float64Var(&cfg.FlowTemperature, "flow-temperature", cfg.FlowTemperature, "the flow samples from N(0, T²I): 1 is the paper's, lower is smoother (so mode)")
	f.Float64Var(&cfg.FlowSegWeight, "flow-seg-weight", cfg.FlowSegWeight, "weight of the classifier loss through the samples in the flow's loss, against its NLL (so mode)")
	f.IntVar(&cfg.GAN.Noise, "gan-noise", cfg.GAN.Noise, "latent size of the generator (gan mode)")
	f.IntVar(&cfg.GAN.Features, "gan-features", cfg.GAN.Features, "generator channels at 14x14, twice that at 7x7; the discriminator mirrors them (gan mode)")
	f.Float64Var(&cfg.GAN.LR, "gan-lr", cfg.GAN.LR, "Adam learning rate of the generator and the discriminator (gan mode)")
	f.Float64Var(&cfg.GAN.Beta, "gan-beta", cfg.GAN.Beta, "weight of KL(uniform || softmax) on the samples in the generator's loss, beside its GAN loss (gan mode)")
	f.IntSliceVar(&cfg.Widths, "widths", cfg.Widths, "classifier channels per stage")
	return cmd
}

func newTrainExportCmd() *cobra.Command {
	var src, out, size string
	cmd := &cobra.Command{
		Use:   "export --model DIR --size WIDTHxHEIGHT --out DIR",
		Short: "Write a trained model package again for another input size, with the same weights",
		Long: `Reads the segmenter's weights from the package's model.onnx and its shape from
model.yaml (provenance.config.model), and writes it as a new package whose
input is WIDTHxHEIGHT, e.g. the camera's frame size so that the node runs it
without resizing each frame (models/camvid-so-480x360 is camvid-so at 480x360:
osr train export --model models/camvid-so --size 480x360 --out models/camvid-so-480x360).
The segmenter is fully convolutional; the scoring stays the package's, which
was calibrated at its own input size (osr calibrate recalibrates).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if src == "" || out == "" || size == "" {
				return fmt.Errorf("--model, --size and --out are required")
			}
			w, h, err := parseSize(size)
			if err != nil {
				return err
			}
			if err := train.Reexport(src, out, w, h); err != nil {
				return err
			}
			fmt.Printf("%s at %dx%d written to %s\n", src, w, h, out)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&src, "model", "", "model package osr train exported (model.onnx + model.yaml)")
	f.StringVar(&size, "size", "", "input size of the new package, WIDTHxHEIGHT")
	f.StringVar(&out, "out", "", "directory of the new package")
	return cmd
}
