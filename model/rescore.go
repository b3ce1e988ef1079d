package model

import (
	"errors"
	"fmt"
	"path/filepath"

	"osr/internal/onnxgraph"
)

// scoredGraph is the package's graph with the post-processing of sc
// appended.
func (e *Engine) scoredGraph(sc Scoring) ([]byte, error) {
	pkg, s := e.pkg, e.pkg.Spec
	onnxPath := filepath.Join(pkg.Dir, ONNXFile)
	logitsH, logitsW, err := checkGraph(pkg.ONNX, s)
	if err != nil {
		return nil, fmt.Errorf("%s does not match %s: %w", onnxPath, filepath.Join(pkg.Dir, SpecFile), err)
	}
	post, err := postprocessGraph(s.Output.Name, len(s.Classes), logitsH, logitsW, s.Input.Height, s.Input.Width, sc, e.opts.Logits)
	if err != nil {
		return nil, err
	}
	graph, err := onnxgraph.Extend(pkg.ONNX, post, s.Output.Name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", onnxPath, err)
	}
	return graph, nil
}

// Rescore changes the scoring overrides and the overlay's alpha of a
// running engine. It waits for the frame in flight, so a frame is scored
// wholly before or wholly after. The score, temperature, threshold and
// unknown id live in the graph, so a change of those opens a new session on
// the same execution provider; if that fails, the engine keeps running as
// before and the error says why.
func (e *Engine) Rescore(o Overrides, alpha float32) error {
	sc, err := resolveScoring(e.spec, o, e.opts.Logger)
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.session == nil {
		return errors.New("engine is closed")
	}
	if sc != e.scoring {
		graph, err := e.scoredGraph(sc)
		if err != nil {
			return err
		}
		old, provider := e.session, e.provider
		if err := e.sessionOn(graph, deviceOf(provider)); err != nil {
			return fmt.Errorf("rescore: %w", err)
		}
		if err := old.Destroy(); err != nil {
			e.opts.Logger.Warn("rescore: closing the previous session", "err", err)
		}
		e.info.Lock()
		e.scoring = sc
		e.info.Unlock()
	}
	e.opts.Overrides, e.opts.OverlayAlpha = o, alpha
	e.painter = NewPainter(e.spec.Palette, alpha, e.opts.OutlierColor, e.scoring.UnknownID)
	return nil
}

// deviceOf is the device name of an execution provider.
func deviceOf(provider string) string {
	switch provider {
	case ProviderCUDA:
		return "cuda"
	case ProviderTensorRT:
		return "tensorrt"
	}
	return "cpu"
}
