package train

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

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
}

func loadParams(t *testing.T, dir string) *nn.Checkpoint {
	t.Helper()
	c, err := nn.LoadCheckpoint(filepath.Join(dir, CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A run stopped part way and resumed ends with exactly the weights of a
// run that was never stopped.
func TestResumeIsBitIdentical(t *testing.T) {
	cfg := tinyConfig(t, 7)
	a, b := t.TempDir(), t.TempDir()
	if _, err := Run(context.Background(), cfg, RunOptions{Out: a}); err != nil {
		t.Fatal(err)
	}
	_, err := Run(context.Background(), cfg, RunOptions{Out: b, stopAfter: 3})
	if !errors.Is(err, ErrStopped) {
		t.Fatalf("stopped run returned %v", err)
	}
	if c := loadParams(t, b); c.Step != 3 {
		t.Fatalf("stopped run checkpointed step %d, want 3", c.Step)
	}
	if _, err := Run(context.Background(), Config{}, RunOptions{Out: b, Resume: true}); err != nil {
		t.Fatal(err)
	}
	ca, cb := loadParams(t, a), loadParams(t, b)
	if ca.Step != 7 || cb.Step != 7 {
		t.Fatalf("steps %d and %d", ca.Step, cb.Step)
	}
	for name, w := range ca.Params {
		if !slices.Equal(bitsOf(w), bitsOf(cb.Params[name])) {
			t.Fatalf("%s differs between the straight and the resumed run", name)
		}
	}
	if !slices.Equal(ca.RNG, cb.RNG) {
		t.Error("random states differ")
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
