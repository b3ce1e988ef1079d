package model

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"

	"osr/internal/atomicfile"
)

// File names inside a model package directory.
const (
	SpecFile = "model.yaml"
	ONNXFile = "model.onnx"
)

// Spec is model.yaml: what the network predicts and how to feed it.
type Spec struct {
	Name        string     `yaml:"name"`
	Description string     `yaml:"description,omitempty"`
	Classes     []string   `yaml:"classes"`
	Palette     [][3]uint8 `yaml:"palette"`
	Input       Input      `yaml:"input"`
	Output      Output     `yaml:"output"`
	Scoring     ScoreSpec  `yaml:"scoring"`
	Provenance  Provenance `yaml:"provenance"`
}

// Input describes the network's image input.
type Input struct {
	Name   string `yaml:"name"`
	Layout string `yaml:"layout"` // NCHW
	Width  int    `yaml:"width"`
	Height int    `yaml:"height"`
	// Mean and Std normalise RGB values scaled to [0,1]: (v/255-mean)/std.
	Mean [3]float32 `yaml:"mean"`
	Std  [3]float32 `yaml:"std"`
}

// Output names the network's logits output, shaped [1, classes, H, W].
type Output struct {
	Name string `yaml:"name"`
}

// ScoreSpec is the calibrated outlier scoring in model.yaml.
type ScoreSpec struct {
	Kind        string  `yaml:"kind"` // msp or entropy
	Temperature float32 `yaml:"temperature"`
	Threshold   float32 `yaml:"threshold"`
	// UnknownID is the label id given to outlier pixels in open-set labels;
	// nil means the model has none.
	UnknownID *int `yaml:"unknown_id,omitempty"`
	// Calibration says where the temperature and threshold came from.
	Calibration map[string]any `yaml:"calibration,omitempty"`
}

// CalibratedKind is the temperature and threshold that osr calibrate
// chose for score kind (msp or entropy), from Calibration's kinds.
func (s ScoreSpec) CalibratedKind(kind string) (temperature, threshold float32, ok bool) {
	kinds, _ := s.Calibration["kinds"].(map[string]any)
	k, _ := kinds[kind].(map[string]any)
	t, okT := number(k["temperature"])
	thr, okThr := number(k["threshold"])
	if !okT || !okThr || t <= 0 || thr < 0 || thr > 1 {
		return 0, 0, false
	}
	return float32(t), float32(thr), true
}

// IntMetric reads an integer metric (such as "steps") from Metrics.
func (p Provenance) IntMetric(key string) (int, bool) {
	v, ok := number(p.Metrics[key])
	return int(v), ok
}

// number reads a YAML number, integer or float.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// Provenance records how the model was made.
type Provenance struct {
	Method  string         `yaml:"method"`
	Command string         `yaml:"command,omitempty"`
	Data    string         `yaml:"data"`
	Config  map[string]any `yaml:"config,omitempty"`
	Metrics map[string]any `yaml:"metrics,omitempty"`
	Created string         `yaml:"created,omitempty"`
}

// ParseSpec decodes model.yaml strictly (unknown keys are errors) and
// validates it. name is used in error messages.
func ParseSpec(name string, data []byte) (Spec, error) {
	var s Spec
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return Spec{}, fmt.Errorf("%s: %w", name, err)
	}
	if err := s.Validate(); err != nil {
		return Spec{}, fmt.Errorf("%s: %w", name, err)
	}
	return s, nil
}

// Validate checks the spec's internal consistency.
func (s Spec) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if s.Name == "" {
		bad("name: must not be empty")
	}
	if len(s.Classes) == 0 || len(s.Classes) > 255 {
		bad("classes: need 1 to 255 classes, got %d", len(s.Classes))
	}
	if len(s.Palette) != len(s.Classes) {
		bad("palette: has %d colours for %d classes", len(s.Palette), len(s.Classes))
	}
	if s.Input.Name == "" {
		bad("input.name: must not be empty")
	}
	if s.Input.Layout != "NCHW" {
		bad("input.layout: only NCHW is supported, got %q", s.Input.Layout)
	}
	if s.Input.Width < 8 || s.Input.Height < 8 || s.Input.Width > 8192 || s.Input.Height > 8192 {
		bad("input: width and height must be in [8,8192], got %dx%d", s.Input.Width, s.Input.Height)
	}
	for i, v := range s.Input.Std {
		if v <= 0 {
			bad("input.std[%d]: must be > 0, got %g", i, v)
		}
	}
	if s.Output.Name == "" {
		bad("output.name: must not be empty")
	}
	if s.Scoring.Kind != "msp" && s.Scoring.Kind != "entropy" {
		bad("scoring.kind: must be msp or entropy, got %q", s.Scoring.Kind)
	}
	if !(s.Scoring.Temperature > 0) {
		bad("scoring.temperature: must be > 0, got %g", s.Scoring.Temperature)
	}
	if s.Scoring.Threshold < 0 || s.Scoring.Threshold > 1 {
		bad("scoring.threshold: must be in [0,1], got %g", s.Scoring.Threshold)
	}
	if id := s.Scoring.UnknownID; id != nil && (*id < 0 || *id > 255) {
		bad("scoring.unknown_id: must be in [0,255], got %d", *id)
	}
	return errors.Join(errs...)
}

// Package is a loaded model directory.
type Package struct {
	Dir  string
	Spec Spec
	ONNX []byte
}

// Load reads a model package directory. It checks model.yaml on its own;
// NewEngine checks it against the ONNX graph.
func Load(dir string) (*Package, error) {
	specPath := filepath.Join(dir, SpecFile)
	data, err := os.ReadFile(specPath)
	if err != nil {
		return nil, fmt.Errorf("model package %s: %w", dir, err)
	}
	spec, err := ParseSpec(specPath, data)
	if err != nil {
		return nil, err
	}
	onnxPath := filepath.Join(dir, ONNXFile)
	onnx, err := os.ReadFile(onnxPath)
	if err != nil {
		return nil, fmt.Errorf("model package %s: %w", dir, err)
	}
	if len(onnx) == 0 {
		return nil, fmt.Errorf("%s: file is empty", onnxPath)
	}
	return &Package{Dir: dir, Spec: spec, ONNX: onnx}, nil
}

// WriteSpec writes model.yaml into dir atomically.
func WriteSpec(dir string, s Spec) error {
	if err := s.Validate(); err != nil {
		return fmt.Errorf("model.yaml: %w", err)
	}
	data, err := yaml.Marshal(s)
	if err != nil {
		return fmt.Errorf("model.yaml: %w", err)
	}
	return atomicfile.Write(filepath.Join(dir, SpecFile), data)
}
