package train

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"gopkg.in/yaml.v3"

	"osr/internal/atomicfile"
	"osr/model"
	"osr/train/nn"
)

// Reexport writes the segmenter of model package src again as a package in
// dst for w x h input images: the same weights and batch-norm statistics
// (read from src's ONNX initializers), the network as model.yaml's
// provenance.config.model describes it, and src's model.yaml with the new
// input size. The segmenter is fully convolutional, so only the input's
// and the upsampling's sizes change. The scoring (temperature, threshold)
// stays src's: it was calibrated at src's input size.
func Reexport(src, dst string, w, h int) error {
	if w < 1 || h < 1 {
		return fmt.Errorf("reexport: size %dx%d: want a positive width and height", w, h)
	}
	pkg, err := model.Load(src)
	if err != nil {
		return err
	}
	spec := pkg.Spec
	cfg, err := packageLDN(spec)
	if err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	m, err := NewLDN(cfg, 1)
	if err != nil {
		return fmt.Errorf("%s: provenance.config.model: %w", src, err)
	}
	g := nn.NewGraph(m.Store) // creates the store's parameters
	x, _ := g.Input("image", 1, 3, h, w)
	if m.Forward(g, x, false); g.Err() != nil {
		return fmt.Errorf("reexport at %dx%d: %w", w, h, g.Err())
	}
	weights, err := ReadWeights(filepath.Join(src, model.ONNXFile))
	if err != nil {
		return err
	}
	if err := m.loadAll(weights); err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	m.Store.SetTrain(false)
	from := fmt.Sprintf("%dx%d", spec.Input.Width, spec.Input.Height)
	spec.Name = filepath.Base(dst)
	spec.Description += fmt.Sprintf(" (%s's weights at %dx%d input)", pkg.Spec.Name, w, h)
	spec.Input.Width, spec.Input.Height = w, h
	spec.Provenance.Method += fmt.Sprintf("; re-exported from %s (%s input) at %dx%d with the same weights; "+
		"the scoring and metrics are %s's, with its %s input", pkg.Spec.Name, from, w, h, pkg.Spec.Name, from)
	onnx, err := m.ExportONNX(h, w, spec.Description, map[string]string{"classes": fmt.Sprint(spec.Classes)})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(dst, model.ONNXFile), onnx); err != nil {
		return err
	}
	return model.WriteSpec(dst, spec)
}

// packageLDN is the network a package's model.yaml records in
// provenance.config.model, with one class per listed class.
func packageLDN(spec model.Spec) (LDNConfig, error) {
	raw, ok := spec.Provenance.Config["model"]
	if !ok {
		return LDNConfig{}, fmt.Errorf("model.yaml has no provenance.config.model: only packages osr train exported can be re-exported")
	}
	b, err := yaml.Marshal(raw)
	if err != nil {
		return LDNConfig{}, err
	}
	var cfg LDNConfig
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		return LDNConfig{}, fmt.Errorf("provenance.config.model: %w", err)
	}
	cfg.Classes = len(spec.Classes)
	return cfg, nil
}

// loadAll copies every parameter and batch-norm statistic of the network
// from w by its own name; a missing or mis-shaped tensor is an error
// naming it.
func (m *LDN) loadAll(w map[string]Tensor) error {
	find := func(name string, shape []int) ([]float32, error) {
		t, ok := w[name]
		if !ok {
			return nil, fmt.Errorf("no tensor %s %v: is this the network provenance.config.model describes?", name, shape)
		}
		if !slices.Equal(t.Shape, shape) {
			return nil, fmt.Errorf("tensor %s has shape %v, the network's wants %v", name, t.Shape, shape)
		}
		return t.Data, nil
	}
	for _, p := range m.Store.Params {
		d, err := find(p.Name, p.Shape)
		if err != nil {
			return err
		}
		copy(p.W, d)
	}
	for _, bn := range m.Store.Norms {
		mean, err := find(bn.Name+".running_mean", []int{bn.C})
		if err != nil {
			return err
		}
		variance, err := find(bn.Name+".running_var", []int{bn.C})
		if err != nil {
			return err
		}
		copy(bn.RunMean, mean)
		copy(bn.RunVar, variance)
	}
	return nil
}
