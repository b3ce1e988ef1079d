package main

import (
	"log/slog"
	"os"
	"path/filepath"

	"osr/config"
	"osr/model"
)

// engine is what the commands need of an inference engine. ONNX
// Runtime's *model.Engine is the one osr has; openEngine is where another
// would be chosen.
type engine interface {
	Run(im model.Image, out *model.Result) error
	Spec() model.Spec
	Scoring() model.Scoring
	Provider() string
	Device() string
	// Rescore changes the scoring and the overlay's alpha between frames
	// (the node's live parameters), or says why it cannot.
	Rescore(o model.Overrides, alpha float32) error
	Close() error
}

// openEngine loads the configured model package and opens its engine.
func openEngine(cfg config.Config, a *app) (engine, error) {
	eng, err := openONNX(bundled(cfg.Model), engineOptions(cfg, a.log), a.log)
	if err != nil {
		return nil, err // not a nil *model.Engine in a non-nil interface
	}
	return eng, nil
}

// openONNX loads the model package in dir and opens it in ONNX Runtime,
// logging the provider and scoring in use. The benchmarks of the runtime
// itself (which need Engine.RunRaw) use it directly.
func openONNX(dir string, opts model.Options, log *slog.Logger) (*model.Engine, error) {
	eng, err := model.Open(dir, opts)
	if err != nil {
		return nil, err
	}
	sc := eng.Scoring()
	log.Info("model loaded", "model", eng.Spec().Name, "provider", eng.Provider(), "device", eng.Device(),
		"onnxruntime", model.RuntimeVersion(), "score", sc.Kind, "temperature", sc.Temperature, "threshold", sc.Threshold)
	return eng, nil
}

// engineOptions maps the validated configuration onto engine options.
func engineOptions(c config.Config, log *slog.Logger) model.Options {
	o := model.Options{
		Library:  c.Runtime.Library,
		Device:   c.Runtime.Device,
		Fallback: c.Runtime.Fallback,
		GPUID:    c.Runtime.GPUID,
		GPU: model.GPUOptions{Plugins: c.Runtime.Plugins, ConvAlgoSearch: c.Runtime.CUDNNConvAlgoSearch,
			MemLimitMB: c.Runtime.GPUMemLimitMB, CUDAGraph: c.Runtime.CUDAGraph},
		IntraOpThreads: c.Runtime.IntraOpThreads,
		InterOpThreads: c.Runtime.InterOpThreads,
		Spin:           c.Runtime.Spin,
		Letterbox:      c.Preprocess.Resize == "letterbox",
		Overrides:      overrides(c.Scoring),
		OverlayAlpha:   float32(c.Overlay.Alpha),
		Logger:         log,
		// The node's cameras run as one batch on a GPU (a session per
		// batch size); see maxBatch.
		MaxBatch: maxBatch(c.Node, c.Runtime.Device),
	}
	for i := 0; i < 3 && i < len(c.Overlay.OutlierColor); i++ {
		o.OutlierColor[i] = uint8(c.Overlay.OutlierColor[i])
	}
	return o
}

// overrides maps the config's scoring section onto the engine's.
func overrides(s config.Scoring) model.Overrides {
	return model.Overrides{Kind: s.Kind, Temperature: s.Temperature, Threshold: s.Threshold, OpenSet: s.OpenSet}
}

// pipelined is the configuration for commands that run a dataset or a bag
// (eval, calibrate, bag eval): they decode and measure on other goroutines
// while the runtime runs, so its workers must not busy-wait on the cores
// even where the config lets the node's do (1.4x the pixel rate on 2
// cores, docs/performance.md).
func pipelined(cfg config.Config) config.Config {
	cfg.Runtime.Spin = false
	return cfg
}

// bundled resolves a relative path to something osr ships (the default
// model, the benchmark's PyTorch script) against the working directory
// first, then the osr checkout the binary was built in (bin/..), so that
// it is found wherever osr is started from.
func bundled(dir string) string {
	if dir == "" || filepath.IsAbs(dir) { // "" is "not given", not the binary's parent
		return dir
	}
	if _, err := os.Stat(dir); err == nil {
		return dir
	}
	if exe, err := os.Executable(); err == nil {
		if alt := filepath.Join(filepath.Dir(filepath.Dir(exe)), dir); exists(alt) {
			return alt
		}
	}
	return dir
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// maxBatch is the most frames the node's engine runs at once: node.max_batch,
// else (0, auto) one frame at a time on the CPU, where a batch costs as much
// per frame as single runs and every frame waits for the last
// (docs/performance.md, osr bench cameras), and one per camera on a GPU.
func maxBatch(n config.Node, device string) int {
	switch {
	case n.MaxBatch > 0:
		return min(n.MaxBatch, max(1, len(n.Cameras)))
	case device == "cpu":
		return min(1, len(n.Cameras)) // 0 without cameras, as model.DefaultOptions
	}
	return len(n.Cameras)
}
