package main

import (
	"os"
	"path/filepath"

	"osr/config"
	"osr/model"
)

// openEngine loads the configured model package and opens its engine,
// logging the provider and scoring in use.
func openEngine(cfg config.Config, a *app) (*model.Engine, error) {
	pkg, err := model.Load(bundled(cfg.Model))
	if err != nil {
		return nil, err
	}
	eng, err := model.NewEngine(pkg, model.OptionsFromConfig(cfg, a.log))
	if err != nil {
		return nil, err
	}
	sc := eng.Scoring()
	a.log.Info("model loaded", "model", pkg.Spec.Name, "provider", eng.Provider(), "device", eng.Device(),
		"onnxruntime", model.RuntimeVersion(), "score", sc.Kind, "temperature", sc.Temperature, "threshold", sc.Threshold)
	return eng, nil
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
	if filepath.IsAbs(dir) {
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
