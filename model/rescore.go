package model

import (
	"errors"
	"fmt"
	"path/filepath"

	"osr/internal/onnxgraph"
)

// scoredGraph is the package's graph with the post-processing of sc
// appended, for batches of n frames (1: the graph as exported).
func (e *Engine) scoredGraph(sc Scoring, n int) ([]byte, error) {
	pkg, s := e.pkg, e.pkg.Spec
	onnxPath := filepath.Join(pkg.Dir, ONNXFile)
	logitsH, logitsW, err := checkGraph(pkg.ONNX, s)
	if err != nil {
		return nil, fmt.Errorf("%s does not match %s: %w", onnxPath, filepath.Join(pkg.Dir, SpecFile), err)
	}
	post, err := postprocessGraph(s.Output.Name, n, len(s.Classes), logitsH, logitsW, s.Input.Height, s.Input.Width, sc, e.opts.Logits)
	if err != nil {
		return nil, err
	}
	base := pkg.ONNX
	if n > 1 {
		if base, err = onnxgraph.Batched(base, int64(n)); err != nil {
			return nil, fmt.Errorf("%s: batches of %d: %w", onnxPath, n, err)
		}
	}
	graph, err := onnxgraph.Extend(base, post, s.Output.Name)
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
		graph, err := e.scoredGraph(sc, 1)
		if err != nil {
			return err
		}
		batches, err := e.newBatches(sc, deviceOf(e.provider))
		if err != nil {
			return fmt.Errorf("rescore: %w", err)
		}
		old, provider := e.session, e.provider
		if err := e.sessionOn(graph, deviceOf(provider)); err != nil {
			closeBatches(batches)
			return fmt.Errorf("rescore: %w", err)
		}
		if err := old.Destroy(); err != nil {
			e.opts.Logger.Warn("rescore: closing the previous session", "err", err)
		}
		if err := closeBatches(e.batches); err != nil {
			e.opts.Logger.Warn("rescore: closing the previous batch sessions", "err", err)
		}
		e.batches = batches
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
