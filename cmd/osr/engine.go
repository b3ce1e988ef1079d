package main

import (
	"osr/config"
	"osr/model"
)

// openEngine loads the configured model package and opens its engine,
// logging the provider and scoring in use.
func openEngine(cfg config.Config, a *app) (*model.Engine, error) {
	pkg, err := model.Load(cfg.Model)
	if err != nil {
		return nil, err
	}
	eng, err := model.NewEngine(pkg, model.OptionsFromConfig(cfg, a.log))
	if err != nil {
		return nil, err
	}
	sc := eng.Scoring()
	a.log.Info("model loaded", "model", pkg.Spec.Name, "provider", eng.Provider(),
		"onnxruntime", model.RuntimeVersion(), "score", sc.Kind, "temperature", sc.Temperature, "threshold", sc.Threshold)
	return eng, nil
}
