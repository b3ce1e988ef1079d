package model

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"sync"

	ort "github.com/yalue/onnxruntime_go"

	"osr/internal/parallel"
)

// Provider names as ONNX Runtime reports them.
const (
	ProviderCPU      = "CPUExecutionProvider"
	ProviderCUDA     = "CUDAExecutionProvider"
	ProviderTensorRT = "TensorrtExecutionProvider"
)

// Engine runs one model package on frames. It is safe for concurrent use,
// but runs one frame at a time.
type Engine struct {
	mu sync.Mutex
	// info guards scoring, provider and device, which Rescore changes
	// while other goroutines read them, without waiting for a frame.
	info     sync.Mutex
	spec     Spec
	scoring  Scoring
	opts     Options
	provider string
	device   string   // cpu, or the GPU the provider runs on
	pkg      *Package // kept to rebuild the graph when the scoring changes

	session *ort.AdvancedSession
	input   *ort.Tensor[float32]
	labels  *ort.Tensor[uint8]
	score   *ort.Tensor[float32]
	mask    *ort.Tensor[uint8]
	logits  *ort.Tensor[float32] // only with Options.Logits

	norm    *Normalizer
	painter *Painter
	layout  Layout         // of the last frame's size
	pool    *parallel.Pool // pre- and post-processing's workers
	// batches are the sessions for 2..Options.MaxBatch frames at once,
	// by batch size.
	batches map[int]*batchRun
}

// NewEngine checks the package's ONNX graph against its model.yaml, appends
// the post-processing, and opens an ONNX Runtime session on the configured
// execution provider (falling back to CPU when allowed).
func NewEngine(pkg *Package, opts Options) (*Engine, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	sc, err := resolveScoring(pkg.Spec, opts.Overrides, opts.Logger)
	if err != nil {
		return nil, err
	}
	if err := acquireRuntime(opts.Library); err != nil {
		return nil, err
	}
	e := &Engine{spec: pkg.Spec, scoring: sc, opts: opts, pkg: pkg}
	if err := e.open(pkg); err != nil {
		e.destroy()
		releaseRuntime()
		return nil, err
	}
	return e, nil
}

// Open loads the model package in dir and opens an engine on it.
func Open(dir string, opts Options) (*Engine, error) {
	pkg, err := Load(dir)
	if err != nil {
		return nil, err
	}
	return NewEngine(pkg, opts)
}

func (e *Engine) open(pkg *Package) error {
	s := pkg.Spec
	onnxPath := filepath.Join(pkg.Dir, ONNXFile)
	graph, err := e.scoredGraph(e.scoring, 1)
	if err != nil {
		return err
	}
	w, h := int64(s.Input.Width), int64(s.Input.Height)
	if e.input, err = ort.NewEmptyTensor[float32](ort.NewShape(1, 3, h, w)); err != nil {
		return err
	}
	if e.labels, err = ort.NewEmptyTensor[uint8](ort.NewShape(1, h, w)); err != nil {
		return err
	}
	if e.score, err = ort.NewEmptyTensor[float32](ort.NewShape(1, h, w)); err != nil {
		return err
	}
	if e.mask, err = ort.NewEmptyTensor[uint8](ort.NewShape(1, h, w)); err != nil {
		return err
	}
	if e.opts.Logits {
		if e.logits, err = ort.NewEmptyTensor[float32](ort.NewShape(1, int64(len(s.Classes)), h, w)); err != nil {
			return err
		}
	}
	if err := e.openSession(graph); err != nil {
		return fmt.Errorf("%s: %w", onnxPath, err)
	}
	if e.batches, err = e.newBatches(e.scoring, deviceOf(e.provider)); err != nil {
		return err
	}
	e.norm = NewNormalizer(s.Input)
	e.pool = parallel.NewPool()
	e.painter = NewPainter(s.Palette, e.opts.OverlayAlpha, e.opts.OutlierColor, e.scoring.UnknownID)
	return nil
}

// openSession tries the configured device, then CPU if fallback allows.
func (e *Engine) openSession(graph []byte) error {
	device := e.opts.Device
	if device == "" {
		device = "cpu"
	}
	err := e.sessionOn(graph, device)
	if err == nil || device == "cpu" {
		return err
	}
	if e.opts.Fallback == "fail" {
		return fmt.Errorf("device %s unavailable (runtime.fallback is fail): %w", device, err)
	}
	e.opts.Logger.Warn("execution provider unavailable, falling back to CPU",
		"device", device, "reason", err.Error())
	return e.sessionOn(graph, "cpu")
}

func (e *Engine) sessionOn(graph []byte, device string) error {
	names := []string{OutLabels, OutScore, OutMask}
	values := []ort.Value{e.labels, e.score, e.mask}
	if e.logits != nil {
		names, values = append(names, OutLogits), append(values, e.logits)
	}
	sess, provider, where, err := e.newSession(graph, device, e.input, names, values)
	if err != nil {
		return err
	}
	e.info.Lock()
	e.session, e.provider, e.device = sess, provider, where
	e.info.Unlock()
	return nil
}

// newSession opens graph on device with the given input and outputs.
func (e *Engine) newSession(graph []byte, device string, input ort.Value, names []string, values []ort.Value) (sess *ort.AdvancedSession, provider, where string, err error) {
	so, err := ort.NewSessionOptions()
	if err != nil {
		return nil, "", "", err
	}
	defer so.Destroy()
	if n := e.opts.IntraOpThreads; n > 0 {
		if err := so.SetIntraOpNumThreads(n); err != nil {
			return nil, "", "", err
		}
	}
	if n := e.opts.InterOpThreads; n > 0 {
		if err := so.SetInterOpNumThreads(n); err != nil {
			return nil, "", "", err
		}
	}
	if !e.opts.Spin {
		// ONNX Runtime's workers busy-wait after each run by default: on a
		// small onboard CPU that burns the cores decoding and other nodes need.
		for _, k := range []string{"session.intra_op.allow_spinning", "session.inter_op.allow_spinning"} {
			if err := so.AddSessionConfigEntry(k, "0"); err != nil {
				return nil, "", "", err
			}
		}
	}
	provider, where = ProviderCPU, "cpu"
	if device == "cuda" || device == "tensorrt" {
		if where, err = appendPlugin(so, device, e.opts); err != nil {
			return nil, "", "", err
		}
		provider = plugins[device].provider
	}
	sess, err = ort.NewAdvancedSessionWithONNXData(graph,
		[]string{e.spec.Input.Name}, names, []ort.Value{input}, values, so)
	if err != nil {
		return nil, "", "", fmt.Errorf("create session on %s: %w", provider, explainMissing(err))
	}
	return sess, provider, where, nil
}

// checkGraph compares the ONNX graph's input and logits output with the
// spec, and returns the logits' spatial size.
func checkGraph(onnx []byte, s Spec) (h, w int, err error) {
	ins, outs, err := ort.GetInputOutputInfoWithONNXData(onnx)
	if err != nil {
		return 0, 0, fmt.Errorf("not a loadable ONNX model: %w", err)
	}
	in, ok := findInfo(ins, s.Input.Name)
	if !ok {
		return 0, 0, fmt.Errorf("input.name %q is not a graph input (inputs: %s)", s.Input.Name, infoNames(ins))
	}
	if len(ins) != 1 {
		return 0, 0, fmt.Errorf("graph has %d inputs (%s); osr feeds exactly one image input", len(ins), infoNames(ins))
	}
	if in.DataType != ort.TensorElementDataTypeFloat {
		return 0, 0, fmt.Errorf("input %q is %v, want float32", in.Name, in.DataType)
	}
	want := []int64{1, 3, int64(s.Input.Height), int64(s.Input.Width)}
	if err := matchDims("input "+strconv.Quote(in.Name), in.Dimensions, want); err != nil {
		return 0, 0, err
	}
	out, ok := findInfo(outs, s.Output.Name)
	if !ok {
		return 0, 0, fmt.Errorf("output.name %q is not a graph output (outputs: %s)", s.Output.Name, infoNames(outs))
	}
	if out.DataType != ort.TensorElementDataTypeFloat {
		return 0, 0, fmt.Errorf("output %q is %v, want float32 logits", out.Name, out.DataType)
	}
	d := out.Dimensions
	if len(d) != 4 || d[2] <= 0 || d[3] <= 0 {
		return 0, 0, fmt.Errorf("output %q has shape %v, want [1, %d, H, W] with fixed H and W", out.Name, d, len(s.Classes))
	}
	if err := matchDims("output "+strconv.Quote(out.Name), d[:2], []int64{1, int64(len(s.Classes))}); err != nil {
		return 0, 0, fmt.Errorf("%w (model.yaml lists %d classes)", err, len(s.Classes))
	}
	return int(d[2]), int(d[3]), nil
}

func matchDims(what string, got ort.Shape, want []int64) error {
	if len(got) != len(want) {
		return fmt.Errorf("%s has rank %d (shape %v), want shape %v", what, len(got), got, want)
	}
	for i := range want {
		if got[i] > 0 && got[i] != want[i] {
			return fmt.Errorf("%s has shape %v, want %v", what, got, want)
		}
	}
	return nil
}

func findInfo(infos []ort.InputOutputInfo, name string) (ort.InputOutputInfo, bool) {
	for _, i := range infos {
		if i.Name == name {
			return i, true
		}
	}
	return ort.InputOutputInfo{}, false
}

func infoNames(infos []ort.InputOutputInfo) string {
	s := ""
	for i, in := range infos {
		if i > 0 {
			s += ", "
		}
		s += strconv.Quote(in.Name)
	}
	return s
}

// Spec is the model's model.yaml.
func (e *Engine) Spec() Spec { return e.spec }

// Scoring is the scoring in effect (model.yaml with config overrides).
func (e *Engine) Scoring() Scoring {
	e.info.Lock()
	defer e.info.Unlock()
	return e.scoring
}

// Provider is the execution provider the session runs on.
func (e *Engine) Provider() string {
	e.info.Lock()
	defer e.info.Unlock()
	return e.provider
}

// Device is where the provider runs: cpu, or the GPU's number and PCI ids.
func (e *Engine) Device() string {
	e.info.Lock()
	defer e.info.Unlock()
	return e.device
}

// Spin reports whether the runtime's workers busy-wait between runs.
func (e *Engine) Spin() bool { return e.opts.Spin }

// Run processes one RGB frame into out, at the frame's resolution.
func (e *Engine) Run(im Image, out *Result) error {
	if err := im.Check(); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.session == nil {
		return errors.New("engine is closed")
	}
	if err := e.preprocess(im); err != nil {
		return err
	}
	if err := e.session.Run(); err != nil {
		return fmt.Errorf("onnxruntime run: %w", err)
	}
	return e.postprocess(im, out)
}

// RunRaw runs the ONNX Runtime session alone on the last input, for
// benchmarks that separate the runtime from osr's own work.
func (e *Engine) RunRaw() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.session == nil {
		return errors.New("engine is closed")
	}
	return e.session.Run()
}

func (e *Engine) preprocess(im Image) error {
	if !e.layout.Fits(im) {
		e.layout = NewLayout(im.Width, im.Height, e.spec.Input, e.opts.Letterbox)
	}
	return Preprocess(e.input.GetData(), im, &e.layout, e.norm, e.pool)
}

// postprocess maps the session's outputs back to the frame (see
// Postprocess): at the model's size the result shares the output tensors.
func (e *Engine) postprocess(im Image, out *Result) error {
	err := Postprocess(out, im, &e.layout, e.painter, e.labels.GetData(), e.score.GetData(), e.mask.GetData(), e.pool)
	out.Logits = nil
	if e.logits != nil {
		out.Logits = e.logits.GetData()
	}
	return err
}

// Close releases the session and the runtime reference.
func (e *Engine) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.session == nil {
		return nil
	}
	err := e.destroy()
	return errors.Join(err, releaseRuntime())
}

func (e *Engine) destroy() error {
	var errs []error
	if e.session != nil {
		errs = append(errs, e.session.Destroy())
	}
	if e.input != nil {
		errs = append(errs, e.input.Destroy())
	}
	if e.score != nil {
		errs = append(errs, e.score.Destroy())
	}
	if e.labels != nil {
		errs = append(errs, e.labels.Destroy())
	}
	if e.mask != nil {
		errs = append(errs, e.mask.Destroy())
	}
	if e.logits != nil {
		errs = append(errs, e.logits.Destroy())
	}
	errs = append(errs, closeBatches(e.batches))
	e.batches = nil
	e.pool.Close()
	e.session, e.input, e.score, e.labels, e.mask, e.logits, e.pool = nil, nil, nil, nil, nil, nil, nil
	return errors.Join(errs...)
}
