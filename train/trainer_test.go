package train

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"osr/calibration"
	"osr/dataset"
	"osr/model"
	"osr/train/nn"
)

func tinyConfig(t testing.TB, steps int) Config {
	c, err := LoadConfig("../testdata/train-mini/tiny.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c.Steps = steps
	return c
}

func readLog(t *testing.T, dir string) []logLine {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, LogFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []logLine
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l logLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		out = append(out, l)
	}
	return out
}

func TestRunTrainsAndExports(t *testing.T) {
	out := t.TempDir()
	rep, err := Run(context.Background(), tinyConfig(t, 40), RunOptions{Out: out})
	if err != nil {
		t.Fatal(err)
	}
	log := readLog(t, out)
	if len(log) < 10 {
		t.Fatalf("train.log has %d lines", len(log))
	}
	first, last := log[0].Loss, rep.FinalLoss
	if !(last < 0.8*first) {
		t.Errorf("loss went from %.3f to %.3f: the segmenter did not learn", first, last)
	}
	pkg, err := model.Load(filepath.Join(out, ModelDir))
	if err != nil {
		t.Fatal(err)
	}
	if pkg.Spec.Input.Width != 120 || pkg.Spec.Input.Height != 90 || len(pkg.Spec.Classes) != 11 {
		t.Errorf("model input %dx%d with %d classes", pkg.Spec.Input.Width, pkg.Spec.Input.Height, len(pkg.Spec.Classes))
	}
	if rep.ValMIoU <= 0 || pkg.Spec.Provenance.Metrics["steps"] != 40 {
		t.Errorf("val mIoU %.3f, metrics %v", rep.ValMIoU, pkg.Spec.Provenance.Metrics)
	}

	// The model takes 120x90 and the frames are 480x360: calibration
	// scores every frame pixel through the engine's pixel map.
	opts := model.DefaultOptions()
	opts.Logits = true
	eng, err := model.NewEngine(pkg, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	ds, err := dataset.Open("../testdata/train-mini")
	if err != nil {
		t.Fatal(err)
	}
	cal, err := calibration.Calibrate(context.Background(), eng, ds, calibration.CalibrateOptions{Split: "val"})
	if err != nil {
		t.Fatal(err)
	}
	if cal.Images != 4 || cal.InlierPixels < 4*480*360/2 || cal.InlierPixels > 4*480*360 {
		t.Errorf("calibrated %d images, %d inlier pixels", cal.Images, cal.InlierPixels)
	}
}

func loadParams(t *testing.T, dir string) *nn.Checkpoint {
	t.Helper()
	c, err := nn.LoadCheckpoint(filepath.Join(dir, CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// soConfig is tinyConfig with pasted outliers: Gaussian noise, or samples
// of a small Real NVP trained jointly.
func soConfig(t testing.TB, mode string, steps int) Config {
	c := tinyConfig(t, steps)
	c.Mode = mode
	c.Flow = RNVPConfig{Channels: 3, Levels: 2, Blocks: 1, Features: 8}
	c.FlowTrain.LR = 1e-3
	return c
}

// A run stopped part way and resumed ends with exactly the weights of a
// run that was never stopped, in every mode (the flow and its optimiser
// included).
func TestResumeIsBitIdentical(t *testing.T) {
	for _, mode := range []string{"msp", "noise", "so"} {
		t.Run(mode, func(t *testing.T) { testResume(t, soConfig(t, mode, 7)) })
	}
	// Stopped inside the flow warm-up (3 of its 4 steps).
	t.Run("so-warmup", func(t *testing.T) {
		cfg := soConfig(t, "so", 7)
		cfg.FlowTrain.Warmup = 4
		testResume(t, cfg)
	})
}

func testResume(t *testing.T, cfg Config) {
	a, b := t.TempDir(), t.TempDir()
	if _, err := Run(context.Background(), cfg, RunOptions{Out: a}); err != nil {
		t.Fatal(err)
	}
	_, err := Run(context.Background(), cfg, RunOptions{Out: b, stopAfter: 3})
	if !errors.Is(err, ErrStopped) {
		t.Fatalf("stopped run returned %v", err)
	}
	warm := min(3, cfg.FlowTrain.Warmup)
	if c := loadParams(t, b); c.Step != 3-warm || int(c.Extra["flow_warmup_steps"]) != warm {
		t.Fatalf("stopped run checkpointed step %d after %g warm-up steps, want %d after %d", c.Step, c.Extra["flow_warmup_steps"], 3-warm, warm)
	}
	if _, err := Run(context.Background(), Config{}, RunOptions{Out: b, Resume: true}); err != nil {
		t.Fatal(err)
	}
	ca, cb := loadParams(t, a), loadParams(t, b)
	if ca.Step != 7 || cb.Step != 7 {
		t.Fatalf("steps %d and %d", ca.Step, cb.Step)
	}
	if len(ca.Params) != len(cb.Params) {
		t.Fatalf("%d and %d parameters", len(ca.Params), len(cb.Params))
	}
	for name, w := range ca.Params {
		if !slices.Equal(bitsOf(w), bitsOf(cb.Params[name])) {
			t.Fatalf("%s differs between the straight and the resumed run", name)
		}
	}
	if !slices.Equal(ca.RNG, cb.RNG) {
		t.Error("random states differ")
	}
	// Resuming a finished run does nothing and says so.
	rep, err := Run(context.Background(), Config{}, RunOptions{Out: b, Resume: true})
	if err != nil || !rep.Finished || rep.Steps != 7 {
		t.Errorf("resuming a finished run: %+v, %v", rep, err)
	}
}

// In so mode the flow learns: its NLL of the replaced patches is logged
// and falls, and its weights move from their initial values.
func TestJointTrainingTrainsTheFlow(t *testing.T) {
	cfg := soConfig(t, "so", 30)
	out := t.TempDir()
	if _, err := Run(context.Background(), cfg, RunOptions{Out: out}); err != nil {
		t.Fatal(err)
	}
	log := readLog(t, out)
	first, last := log[0].FlowNLL, log[len(log)-2].FlowNLL
	if first == 0 || !(last < first) {
		t.Errorf("flow NLL per dimension went from %.3f to %.3f", first, last)
	}
	c := loadParams(t, out)
	fresh, err := newOutlierSource(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	moved := 0
	for _, p := range fresh.flow.Store.Params {
		w, ok := c.Params["flow/"+p.Name]
		if !ok {
			t.Fatalf("checkpoint lacks flow/%s", p.Name)
		}
		if !slices.Equal(bitsOf(w), bitsOf(p.W)) {
			moved++
		}
	}
	if moved < len(fresh.flow.Store.Params)/2 {
		t.Errorf("only %d of %d flow parameters changed", moved, len(fresh.flow.Store.Params))
	}
	t.Logf("flow NLL %.3f -> %.3f nats/dim; %d of %d flow tensors moved", first, last, moved, len(fresh.flow.Store.Params))
}

// The flow warm-up trains the flow alone: its NLL falls and is logged
// per warm-up step, and the segmenter's weights stay as initialised.
func TestFlowWarmupTrainsOnlyTheFlow(t *testing.T) {
	cfg := soConfig(t, "so", 5)
	cfg.FlowTrain.Warmup, cfg.LogEvery = 20, 5
	out := t.TempDir()
	_, err := Run(context.Background(), cfg, RunOptions{Out: out, stopAfter: 20})
	if !errors.Is(err, ErrStopped) {
		t.Fatalf("run stopped after the warm-up returned %v", err)
	}
	log := readLog(t, out)
	if len(log) != 4 || log[0].WarmupStep != 5 || log[3].WarmupStep != 20 || log[3].Step != 0 {
		t.Fatalf("warm-up log %+v", log)
	}
	if first, last := log[0].FlowNLL, log[3].FlowNLL; first == 0 || !(last < first) {
		t.Errorf("warm-up flow NLL went from %.3f to %.3f", first, last)
	}
	c := loadParams(t, out)
	fresh, err := newTrainer(context.Background(), cfg, RunOptions{Out: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.close()
	for _, p := range fresh.net.Store.Params {
		if !slices.Equal(bitsOf(c.Params["seg/"+p.Name]), bitsOf(p.W)) {
			t.Fatalf("segmenter weight %s changed in the warm-up", p.Name)
		}
	}
	t.Logf("warm-up flow NLL %.3f -> %.3f nats/dim", log[0].FlowNLL, log[3].FlowNLL)
}

func TestPatchSidesKeepTheAreaShare(t *testing.T) {
	// The paper: sides 64..144 in 512x512 crops, 1.5 to 8 % of the area.
	got := patchSides(240, 176, 8, [2]float64{0.015, 0.08})
	if !slices.Equal(got, []int{32, 40, 48, 56}) {
		t.Errorf("sides %v", got)
	}
	for _, s := range got {
		if a := float64(s*s) / (240 * 176); a < 0.015 || a > 0.08 {
			t.Errorf("side %d covers %.3f", s, a)
		}
	}
}

func bitsOf(f []float32) []uint32 {
	out := make([]uint32, len(f))
	for i, v := range f {
		out[i] = math.Float32bits(v)
	}
	return out
}

// An exploding run stops with an error that names the step and leaves
// the last checkpoint written before it.
func TestNonFiniteLossStopsAndKeepsCheckpoint(t *testing.T) {
	cfg := tinyConfig(t, 50)
	cfg.LR.Encoder, cfg.LR.Upsampling = 1e30, 1e30
	cfg.CheckpointEvery = 1
	out := t.TempDir()
	_, err := Run(context.Background(), cfg, RunOptions{Out: out})
	if !errors.Is(err, nn.ErrNonFinite) || !strings.Contains(err.Error(), "last good checkpoint") {
		t.Fatalf("got %v, want a non-finite loss error", err)
	}
	c := loadParams(t, out)
	if !strings.Contains(err.Error(), "step ") || c.Step < 1 {
		t.Fatalf("error %q, checkpoint at step %d", err, c.Step)
	}
	t.Logf("%v; checkpoint at step %d", err, c.Step)
}

// config/train.yaml documents the defaults: it must load to exactly them.
func TestDocumentedConfigIsTheDefault(t *testing.T) {
	c, err := LoadConfig("../config/train.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d := DefaultConfig()
	if abs, _ := filepath.Abs(c.Data); abs != mustAbs(t, d.Data) {
		t.Errorf("data %s, default %s", abs, mustAbs(t, d.Data))
	}
	c.Data = d.Data
	if string(c.Marshal()) != string(d.Marshal()) {
		t.Errorf("config/train.yaml:\n%s\ndefault:\n%s", c.Marshal(), d.Marshal())
	}
	if _, err := LoadConfig(writeTemp(t, "stpes: 3\n")); err == nil || !strings.Contains(err.Error(), "stpes") {
		t.Errorf("a misspelt key gave %v", err)
	}
}

func mustAbs(t *testing.T, p string) string {
	a, err := filepath.Abs(filepath.Join("..", p))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func writeTemp(t *testing.T, s string) string {
	p := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func FuzzTrainConfig(f *testing.F) {
	f.Add(DefaultConfig().Marshal())
	f.Add([]byte("mode: so\ncrop: [8, 8]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := DefaultConfig()
		if decodeConfig(data, &c) == nil && c.Validate() == nil {
			if c.Batch < 1 || c.Steps < 1 || c.Crop[0] < 32 {
				t.Fatalf("accepted %+v", c)
			}
		}
	})
}

// Pasting puts the sample where the labels say, keeps what it covered,
// and the gradient gathered back is the one at the same pixels.
func TestPasteAndGather(t *testing.T) {
	const n, c, h, w, s = 2, 3, 6, 7, 3
	in := make([]float32, n*c*h*w)
	for i := range in {
		in[i] = float32(i)
	}
	orig := append([]float32(nil), in...)
	labels := make([]uint8, n*h*w)
	p := make([]float32, c*s*s)
	for i := range p {
		p[i] = -1 - float32(i)
	}
	keep := make([]float32, c*s*s)
	r := rand.New(rand.NewPCG(1, 1))
	paste(in, 1, h, w, p, keep, s, 2, 3, r, []float32{0, 0, 0})
	markOutlier(labels, 1, h, w, s, 2, 3)
	back := make([]float32, c*s*s)
	gatherPatch(in, 1, c, h, w, s, 2, 3, back)
	for i := range back {
		if back[i] != p[i] {
			t.Fatalf("gathered %v, pasted %v", back, p)
		}
	}
	gatherPatch(orig, 1, c, h, w, s, 2, 3, back)
	marked := 0
	for i, v := range labels {
		if v == nn.LabelOutlier {
			marked++
			if i < h*w {
				t.Fatal("image 0 was marked")
			}
		}
	}
	for i := range back {
		if back[i] != keep[i] || marked != s*s {
			t.Fatalf("kept %v, was %v; %d pixels marked", keep, back, marked)
		}
	}
	for i := 0; i < c*h*w; i++ {
		if in[i] != orig[i] {
			t.Fatal("image 0 changed")
		}
	}
}

// train.log splits the segmenter loss into its terms, cross-entropy on
// inlier pixels and KL(U‖P) on pasted pixels, and they add up to the
// logged loss with the configured λ; msp mode has no KL term.
func TestLossTermsAreLogged(t *testing.T) {
	for _, mode := range []string{"msp", "noise", "so"} {
		t.Run(mode, func(t *testing.T) {
			cfg := soConfig(t, mode, 10)
			cfg.LogEvery, cfg.ValidateEvery, cfg.Lambda = 5, 0, 0.3
			out := t.TempDir()
			if _, err := Run(context.Background(), cfg, RunOptions{Out: out}); err != nil {
				t.Fatal(err)
			}
			log := readLog(t, out)
			if len(log) != 3 || log[2].ValMIoU == 0 {
				t.Fatalf("want 2 step lines and the final validation, got %+v", log)
			}
			for _, l := range log[:2] {
				if l.CE <= 0 || (mode == "msp") != (l.KL == 0) || l.KL < 0 {
					t.Errorf("step %d: ce %g, kl %g", l.Step, l.CE, l.KL)
				}
				if sum := l.CE + cfg.Lambda*l.KL; math.Abs(sum-l.Loss) > 1e-5*l.Loss {
					t.Errorf("step %d: ce %g + %g·kl %g = %g, logged loss %g", l.Step, l.CE, cfg.Lambda, l.KL, sum, l.Loss)
				}
			}
			t.Logf("step %d: loss %.4f = ce %.4f + %g·kl %.4f", log[1].Step, log[1].Loss, log[1].CE, cfg.Lambda, log[1].KL)
		})
	}
}

// A stop that arrives while a model is being validated (Ctrl-C during a
// periodic or the final validation) is a stop like any other: the step
// is kept in the checkpoint, the error says how to continue, and --resume
// finishes the run with a validated model.
func TestStopDuringValidation(t *testing.T) {
	for _, at := range []int{4, 6} { // a periodic validation, the final one
		t.Run(fmt.Sprint("step ", at), func(t *testing.T) {
			cfg := tinyConfig(t, 6)
			cfg.ValidateEvery, cfg.CheckpointEvery = 4, 100
			out := t.TempDir()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			_, err := Run(ctx, cfg, RunOptions{Out: out, beforeExport: func(step int) {
				if step == at {
					cancel()
				}
			}})
			if !errors.Is(err, ErrStopped) || !strings.Contains(err.Error(), "--resume") {
				t.Fatalf("stopped in the validation of step %d: got %v", at, err)
			}
			if c := loadParams(t, out); c.Step != at {
				t.Fatalf("checkpoint at step %d, want %d", c.Step, at)
			}
			t.Log(err)
			rep, err := Run(context.Background(), Config{}, RunOptions{Out: out, Resume: true})
			if err != nil || rep.Finished || rep.Steps != 6 || rep.ValMIoU <= 0 {
				t.Fatalf("resume: %+v, %v", rep, err)
			}
			if got := validatedAt(filepath.Join(out, ModelDir)); got != 6 {
				t.Errorf("model.yaml records the validation of step %d", got)
			}
		})
	}
}
