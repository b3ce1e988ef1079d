package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/schollz/progressbar/v3"

	"osr/dataset"
	"osr/internal/imageio"
	"osr/model"
	"osr/train/nn"
)

// Files in a run directory.
const (
	CheckpointFile = "checkpoint.osr"
	LogFile        = "train.log"   // one JSON object per logged step
	ModelDir       = "model"       // the exported model package
	ConfigFile     = "config.yaml" // the run's config
)

// RunOptions are how a run is driven, beside what it trains.
type RunOptions struct {
	Out      string // run directory: checkpoint, log, config and model package
	Resume   bool   // continue from Out's checkpoint
	Progress io.Writer
	Command  string // the command line, for model.yaml
	// Init is a file of encoder weights (torchvision state dict or ONNX
	// initializers, see ReadWeights) that a new run starts from.
	Init string
	// stopAfter ends the run (as a cancel would) after this many steps of
	// this process, and beforeExport runs before each export, for tests of
	// interrupted runs.
	stopAfter    int
	beforeExport func(step int)
}

// Report is what a finished run measured.
type Report struct {
	Steps       int
	FinalLoss   float64 // mean over the last log interval
	ValMIoU     float64
	Threshold   float32
	Seconds     float64 // wall time over all sessions of the run
	TrainImages int
	Finished    bool // the run had finished before: nothing was done
}

// ErrStopped wraps the context error when a run stops before its last
// step; its checkpoint is current, and --resume continues it.
var ErrStopped = errors.New("training stopped")

// trainer is one run's state.
type trainer struct {
	cfg     Config
	opts    RunOptions
	ds      *dataset.Dataset
	classes []int
	images  []trainImage
	net     *LDN
	opt     *nn.Adam
	step    *segStep
	pcg     *rand.PCG
	rng     *rand.Rand
	norm    *normalizer
	at      int     // steps done
	warmed  int     // flow warm-up steps done
	done    int     // steps of either kind in this session (RunOptions.stopAfter)
	seconds float64 // wall time of earlier sessions
	logf    *os.File
	out     *outlierSource // nil in msp mode
}

// Run trains a segmenter as cfg says, checkpointing into opts.Out, and
// exports it as a model package in opts.Out/model. On cancellation it
// saves a checkpoint and returns ErrStopped; a non-finite loss stops it
// with an error and leaves the last good checkpoint as it was.
func Run(ctx context.Context, cfg Config, opts RunOptions) (*Report, error) {
	if opts.Progress == nil {
		opts.Progress = io.Discard
	}
	if err := os.MkdirAll(opts.Out, 0o755); err != nil {
		return nil, err
	}
	var ck *nn.Checkpoint
	if opts.Resume && opts.Init != "" {
		return nil, fmt.Errorf("--init starts a new run from outside weights; --resume continues one from its checkpoint: use one of them")
	}
	if opts.Resume {
		var err error
		if ck, err = nn.LoadCheckpoint(filepath.Join(opts.Out, CheckpointFile)); err != nil {
			return nil, fmt.Errorf("resume: %w", err)
		}
		// The run continues with the config it started with.
		cfg = DefaultConfig()
		if err := decodeConfig(ck.Config, &cfg); err != nil {
			return nil, fmt.Errorf("resume: checkpoint config: %w", err)
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opts.Init != "" && cfg.Model.Layout != LayoutTorchvision && cfg.Model.Layout != LayoutResNet {
		return nil, fmt.Errorf("--init loads a torchvision DenseNet's or ResNet's weights: the config's model needs layout: %s (config/camvid-ldn121.yaml) or %s (config/camvid-resnet18.yaml)", LayoutTorchvision, LayoutResNet)
	}
	t, err := newTrainer(ctx, cfg, opts)
	if err != nil {
		return nil, err
	}
	defer t.close()
	if ck != nil {
		if err := t.restore(ck); err != nil {
			return nil, err
		}
		// Finished means the last step's model was exported and validated;
		// a stop during that validation leaves it to this run.
		if t.at >= cfg.Steps && validatedAt(filepath.Join(opts.Out, ModelDir)) == t.at {
			return &Report{Steps: t.at, Seconds: t.seconds, TrainImages: len(t.images), Finished: true}, nil
		}
		fmt.Fprintf(opts.Progress, "resuming %s at step %d of %d\n", opts.Out, t.at, cfg.Steps)
	} else {
		if opts.Init != "" {
			if err := t.initEncoder(opts.Init); err != nil {
				return nil, err
			}
		}
		if err := os.WriteFile(filepath.Join(opts.Out, ConfigFile), cfg.Marshal(), 0o644); err != nil {
			return nil, err
		}
	}
	return t.run(ctx)
}

func newTrainer(ctx context.Context, cfg Config, opts RunOptions) (*trainer, error) {
	ds, err := dataset.Open(cfg.Data)
	if err != nil {
		return nil, err
	}
	var outliers []int
	if cfg.Protocol != "" {
		if outliers, err = ds.OutlierIDs(cfg.Protocol); err != nil {
			return nil, err
		}
	}
	classes, lut := compactLabels(ds, outliers)
	images, err := loadTrainImages(ctx, ds, "train", cfg.Scale, lut, outliers, cfg.Limit)
	if err != nil {
		return nil, err
	}
	mc := cfg.Model
	mc.Classes = len(classes)
	net, err := NewLDN(mc, cfg.Seed)
	if err != nil {
		return nil, err
	}
	step, err := newSegStep(net, nil, cfg.Batch, cfg.Crop[1], cfg.Crop[0], cfg.Replicas, cfg.Mode == "so")
	if err != nil {
		return nil, fmt.Errorf("build training graph: %w", err)
	}
	labels := make([][]uint8, len(images))
	for i, im := range images {
		labels[i] = im.labels
	}
	step.Weights = classWeights(labels, len(classes))
	step.Lambda, step.SumLoss = float32(cfg.Lambda), cfg.LambdaScale == "sum"
	var out *outlierSource
	if cfg.Mode != "msp" {
		if out, err = newOutlierSource(cfg); err != nil {
			step.Close()
			return nil, err
		}
	}
	enc, up := net.Groups()
	opt := nn.NewAdam([]nn.Group{{Params: enc, LR: cfg.LR.Encoder}, {Params: up, LR: cfg.LR.Upsampling}}, cfg.Steps, cfg.LR.Min)
	step.opt = opt
	pcg := rand.NewPCG(cfg.Seed, 2)
	logf, err := os.OpenFile(filepath.Join(opts.Out, LogFile), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		step.Close()
		return nil, err
	}
	return &trainer{cfg: cfg, opts: opts, ds: ds, classes: classes, images: images, net: net, opt: opt, step: step,
		pcg: pcg, rng: rand.New(pcg), norm: newNormalizer(cfg.Mean, cfg.Std), logf: logf, out: out}, nil
}

// initEncoder loads the encoder's weights and statistics from a file.
func (t *trainer) initEncoder(path string) error {
	w, err := ReadWeights(path)
	if err != nil {
		return fmt.Errorf("--init: %w", err)
	}
	n, err := t.net.LoadEncoder(w)
	if err != nil {
		return fmt.Errorf("--init %s: %w", path, err)
	}
	fmt.Fprintf(t.opts.Progress, "encoder initialised from %s (%d tensors)\n", path, n)
	return nil
}

func (t *trainer) close() {
	t.step.Close()
	t.logf.Close()
	if t.out != nil {
		t.out.Close()
	}
}

func (t *trainer) checkpoint() *nn.Checkpoint {
	c := nn.NewCheckpoint(t.at)
	c.Config = t.cfg.Marshal()
	c.RNG, _ = t.pcg.MarshalBinary()
	c.Capture("seg/", t.net.Store)
	c.Optim["seg"] = t.opt.State()
	c.Extra["seconds"] = t.seconds
	c.Extra["flow_warmup_steps"] = float64(t.warmed)
	if t.out != nil && t.out.flow != nil {
		c.Capture("flow/", t.out.flow.Store)
		c.Optim["flow"] = t.out.opt.State()
	}
	return c
}

func (t *trainer) restore(c *nn.Checkpoint) error {
	if err := c.Restore("seg/", t.net.Store); err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	if err := t.opt.SetState(c.Optim["seg"]); err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	if t.out != nil && t.out.flow != nil {
		if err := c.Restore("flow/", t.out.flow.Store); err != nil {
			return fmt.Errorf("resume: %w", err)
		}
		if err := t.out.opt.SetState(c.Optim["flow"]); err != nil {
			return fmt.Errorf("resume: %w", err)
		}
	}
	if err := t.pcg.UnmarshalBinary(c.RNG); err != nil {
		return fmt.Errorf("resume: random state: %w", err)
	}
	t.at, t.seconds, t.warmed = c.Step, c.Extra["seconds"], int(c.Extra["flow_warmup_steps"])
	return nil
}

func (t *trainer) save(sessionStart time.Time) error {
	c := t.checkpoint()
	c.Extra["seconds"] = t.seconds + time.Since(sessionStart).Seconds()
	return c.Save(filepath.Join(t.opts.Out, CheckpointFile))
}

// failed ends the progress bar and names the step and the checkpoint kept.
func (t *trainer) failed(bar *progressbar.ProgressBar, err error) error {
	bar.Exit()
	fmt.Fprintln(t.opts.Progress)
	return fmt.Errorf("step %d: %w; the last good checkpoint (%s) is kept", t.at+1, err,
		filepath.Join(t.opts.Out, CheckpointFile))
}

// logLine is one train.log record.
type logLine struct {
	WarmupStep int     `json:"warmup_step,omitempty"` // flow warm-up lines (step 0)
	Step       int     `json:"step"`
	Loss       float64 `json:"loss"`               // ce + lambda·kl
	CE         float64 `json:"ce,omitempty"`       // cross-entropy on inlier pixels
	KL         float64 `json:"kl,omitempty"`       // KL(U‖P) on pasted pixels (noise and so)
	FlowNLL    float64 `json:"flow_nll,omitempty"` // nats per dimension of the replaced patches
	LREncoder  float64 `json:"lr_encoder"`
	ImagesPS   float64 `json:"images_per_s"`
	Seconds    float64 `json:"seconds"`
	ValMIoU    float64 `json:"val_miou,omitempty"`
}

// stopping reports a cancelled run, or a test's stopAfter reached.
func (t *trainer) stopping(ctx context.Context) bool {
	return ctx.Err() != nil || (t.opts.stopAfter > 0 && t.done >= t.opts.stopAfter)
}

// warmUp runs the flow's NLL-only steps (flow_training.warmup) before the
// joint ones, with their own progress bar and log lines; they checkpoint
// and resume like training steps.
func (t *trainer) warmUp(ctx context.Context, start time.Time) error {
	cfg := t.cfg
	bar := progressbar.NewOptions(cfg.FlowTrain.Warmup, progressbar.OptionSetWriter(t.opts.Progress),
		progressbar.OptionSetDescription("flow warm-up"), progressbar.OptionShowCount(), progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("step"), progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(500*time.Millisecond), progressbar.OptionFullWidth())
	bar.Set(t.warmed)
	var sum float64
	var n int
	for t.warmed < cfg.FlowTrain.Warmup {
		if t.stopping(ctx) {
			if err := t.save(start); err != nil {
				return err
			}
			bar.Exit()
			fmt.Fprintln(t.opts.Progress)
			return fmt.Errorf("%w in the flow warm-up at step %d of %d (checkpoint saved; continue with --resume): %v",
				ErrStopped, t.warmed, cfg.FlowTrain.Warmup, context.Cause(ctx))
		}
		fillBatch(t.rng, t.images, t.norm, t.step.Input, t.step.Labels, cfg.Batch, cfg.Crop[1], cfg.Crop[0])
		nll, err := t.out.WarmUp(t.rng, t.step)
		if err != nil {
			bar.Exit()
			fmt.Fprintln(t.opts.Progress)
			return fmt.Errorf("flow warm-up step %d: %w; the last good checkpoint (%s) is kept", t.warmed+1, err,
				filepath.Join(t.opts.Out, CheckpointFile))
		}
		t.warmed++
		t.done++
		sum += nll
		n++
		if t.warmed%cfg.LogEvery == 0 || t.warmed == cfg.FlowTrain.Warmup {
			t.log(logLine{WarmupStep: t.warmed, FlowNLL: sum / float64(n), Seconds: t.seconds + time.Since(start).Seconds()})
			bar.Describe(fmt.Sprintf("flow warm-up nll %.3f", sum/float64(n)))
			sum, n = 0, 0
		}
		bar.Set(t.warmed)
		if t.warmed%cfg.CheckpointEvery == 0 || t.warmed == cfg.FlowTrain.Warmup {
			if err := t.save(start); err != nil {
				return err
			}
		}
	}
	bar.Finish()
	fmt.Fprintln(t.opts.Progress)
	return nil
}

// preview writes the batch just trained on, outliers outlined, as
// previewFile (noise and so modes; the input still holds the batch).
func (t *trainer) preview(placed []placement) error {
	if placed == nil {
		return nil
	}
	st := t.step
	im := batchPreview(st.Input, min(st.n, 4), 3, st.h, st.w, t.cfg.Mean[:], t.cfg.Std[:], placed, 2)
	if err := imageio.WriteRGB(filepath.Join(t.opts.Out, previewFile), im); err != nil {
		return fmt.Errorf("training preview: %w", err)
	}
	return nil
}

func (t *trainer) log(l logLine) {
	b, _ := json.Marshal(l)
	t.logf.Write(append(b, '\n'))
}

func (t *trainer) run(ctx context.Context) (*Report, error) {
	cfg := t.cfg
	start := time.Now()
	if t.out != nil && t.out.flow != nil && t.warmed < cfg.FlowTrain.Warmup {
		if err := t.warmUp(ctx, start); err != nil {
			return nil, err
		}
	}
	bar := progressbar.NewOptions(cfg.Steps, progressbar.OptionSetWriter(t.opts.Progress),
		progressbar.OptionSetDescription("train"), progressbar.OptionShowCount(), progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("step"), progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(500*time.Millisecond), progressbar.OptionFullWidth())
	bar.Set(t.at)
	rep := &Report{TrainImages: len(t.images)}
	var sum, sumCE, sumKL, sumNLL, nll float64
	var n int
	var err error
	tick := time.Now()
	for t.at < cfg.Steps {
		if t.stopping(ctx) {
			return nil, t.stop(ctx, bar, start, "")
		}
		fillBatch(t.rng, t.images, t.norm, t.step.Input, t.step.Labels, cfg.Batch, cfg.Crop[1], cfg.Crop[0])
		var placed []placement
		if t.out != nil {
			if placed, err = t.out.Paste(t.rng, t.step); err != nil {
				return nil, t.failed(bar, err)
			}
		}
		loss, err := t.step.Run()
		if err == nil && t.out != nil && t.out.flow != nil {
			nll, err = t.out.Train(t.step, placed)
			sumNLL += nll
		}
		if err != nil {
			return nil, t.failed(bar, err)
		}
		t.at++
		t.done++
		ce, kl := t.step.Terms()
		sum, sumCE, sumKL = sum+loss, sumCE+ce, sumKL+kl
		n++
		if t.at%cfg.LogEvery == 0 || t.at == cfg.Steps {
			ips := float64(n*cfg.Batch) / time.Since(tick).Seconds()
			rep.FinalLoss = sum / float64(n)
			t.log(logLine{Step: t.at, Loss: rep.FinalLoss, CE: sumCE / float64(n), KL: sumKL / float64(n),
				FlowNLL: sumNLL / float64(n), LREncoder: t.opt.LR(cfg.LR.Encoder),
				ImagesPS: ips, Seconds: t.seconds + time.Since(start).Seconds()})
			desc := fmt.Sprintf("train loss %.3f", rep.FinalLoss)
			if t.out != nil {
				desc += fmt.Sprintf(" (ce %.3f kl %.3f)", sumCE/float64(n), sumKL/float64(n))
			}
			if sumNLL != 0 {
				desc += fmt.Sprintf(" flow nll %.3f", sumNLL/float64(n))
			}
			bar.Describe(fmt.Sprintf("%s %.1f img/s", desc, ips))
			sum, sumCE, sumKL, sumNLL, n, tick = 0, 0, 0, 0, 0, time.Now()
		}
		bar.Set(t.at)
		if t.at%cfg.CheckpointEvery == 0 || t.at == cfg.Steps {
			if err := t.preview(placed); err != nil {
				return nil, err
			}
		}
		if t.at%cfg.CheckpointEvery == 0 && t.at < cfg.Steps {
			if err := t.save(start); err != nil {
				return nil, err
			}
		}
		if cfg.ValidateEvery > 0 && t.at%cfg.ValidateEvery == 0 && t.at < cfg.Steps {
			if _, err := t.export(ctx, rep); err != nil {
				if ctx.Err() == nil {
					return nil, err
				}
				// Stopped while validating: the step is trained, so keep it.
				return nil, t.stop(ctx, bar, start, ", in its validation")
			}
		}
	}
	bar.Finish()
	fmt.Fprintln(t.opts.Progress)
	if err := t.save(start); err != nil {
		return nil, err
	}
	rep.Steps = t.at
	rep.Seconds = t.seconds + time.Since(start).Seconds()
	if _, err := t.export(ctx, rep); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w after the last step, in the final validation (checkpoint saved; --resume exports and validates the model): %v",
				ErrStopped, context.Cause(ctx))
		}
		return nil, err
	}
	return rep, nil
}

// stop saves the checkpoint of a cancelled run, ends its progress bar and
// says where it stopped (at the step, plus where) and how to continue.
func (t *trainer) stop(ctx context.Context, bar *progressbar.ProgressBar, start time.Time, where string) error {
	if err := t.save(start); err != nil {
		return err
	}
	bar.Exit()
	fmt.Fprintln(t.opts.Progress)
	return fmt.Errorf("%w at step %d of %d%s (checkpoint saved; continue with --resume): %v",
		ErrStopped, t.at, t.cfg.Steps, where, context.Cause(ctx))
}

// validatedAt is the step whose validation the model package in dir
// records, or -1.
func validatedAt(dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, model.SpecFile))
	if err != nil {
		return -1
	}
	spec, err := model.ParseSpec(dir, b)
	if err != nil {
		return -1
	}
	if steps, ok := spec.Provenance.IntMetric("steps"); ok {
		return steps
	}
	return -1
}
