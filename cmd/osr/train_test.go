package main

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"osr/train"
	"osr/train/nn"
)

// A training run killed with SIGKILL and resumed ends with the same
// weights, bit for bit, as one that ran straight through.
func TestTrainKilledAndResumed(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and trains twice")
	}
	dir := t.TempDir()
	bin := osrBinary(t)
	cfgPath := tinyTrainConfig(t, "steps: 40", "steps: 150")
	straight, killed := filepath.Join(dir, "straight"), filepath.Join(dir, "killed")
	if out, err := exec.Command(bin, "train", "--config", cfgPath, "--out", straight).CombinedOutput(); err != nil {
		t.Fatalf("straight run: %v\n%s", err, out)
	}

	cmd := exec.Command(bin, "train", "--config", cfgPath, "--out", killed)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(killed, train.CheckpointFile)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if _, err := os.Stat(ckpt); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("no checkpoint after 2 minutes")
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // mid-way between checkpoints
	cmd.Process.Signal(syscall.SIGKILL)
	err := cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Fatalf("the run finished before it was killed (%v); make it longer", err)
	}
	at, err := nn.LoadCheckpoint(ckpt)
	if err != nil {
		t.Fatalf("checkpoint after SIGKILL: %v", err)
	}
	if out, err := exec.Command(bin, "train", "--out", killed, "--resume").CombinedOutput(); err != nil {
		t.Fatalf("resume: %v\n%s", err, out)
	}
	a, errA := nn.LoadCheckpoint(filepath.Join(straight, train.CheckpointFile))
	b, errB := nn.LoadCheckpoint(ckpt)
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	if a.Step != 150 || b.Step != 150 {
		t.Fatalf("final steps %d and %d", a.Step, b.Step)
	}
	for name, w := range a.Params {
		if !slices.Equal(f32bits(w), f32bits(b.Params[name])) {
			t.Fatalf("%s differs after kill at step %d and resume", name, at.Step)
		}
	}
	t.Logf("killed with a checkpoint at step %d of 150; resumed run matches bit for bit", at.Step)
	if _, err := os.Stat(filepath.Join(killed, train.ModelDir, "model.onnx")); err != nil {
		t.Error(err)
	}

	// SIGTERM: the run saves a checkpoint at the step it is on, says how
	// to continue, exits non-zero, and the resumed run again matches.
	termed := filepath.Join(dir, "termed")
	cmd = exec.Command(bin, "train", "--config", cfgPath, "--out", termed)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(filepath.Join(termed, train.CheckpointFile)); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("no checkpoint after 2 minutes")
		}
	}
	time.Sleep(30 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err == nil {
		t.Fatal("a run stopped by SIGTERM exited 0")
	}
	if !strings.Contains(stderr.String(), "--resume") {
		t.Errorf("SIGTERM message does not say how to continue:\n%s", stderr.String())
	}
	stopped, err := nn.LoadCheckpoint(filepath.Join(termed, train.CheckpointFile))
	if err != nil || stopped.Step < 10 || stopped.Step >= 150 {
		t.Fatalf("checkpoint after SIGTERM: %v (%v)", stopped, err)
	}
	if out, err := exec.Command(bin, "train", "--out", termed, "--resume").CombinedOutput(); err != nil {
		t.Fatalf("resume after SIGTERM: %v\n%s", err, out)
	}
	c, err := nn.LoadCheckpoint(filepath.Join(termed, train.CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	for name, w := range a.Params {
		if !slices.Equal(f32bits(w), f32bits(c.Params[name])) {
			t.Fatalf("%s differs after SIGTERM at step %d and resume", name, stopped.Step)
		}
	}
	t.Logf("SIGTERM at step %d: checkpoint saved there; resumed run matches bit for bit", stopped.Step)
}

func f32bits(f []float32) []uint32 {
	out := make([]uint32, len(f))
	for i, v := range f {
		out[i] = math.Float32bits(v)
	}
	return out
}

// tinyTrainConfig writes testdata/train-mini/tiny.yaml with its data path
// made absolute, a checkpoint every 10 steps, and the given old, new
// pairs replaced; it returns the file's path.
func tinyTrainConfig(t *testing.T, oldNew ...string) string {
	t.Helper()
	cfg, err := os.ReadFile("../../testdata/train-mini/tiny.yaml")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := filepath.Abs("../../testdata/train-mini")
	oldNew = append([]string{"data: .", "data: " + data, "checkpoint_every: 2", "checkpoint_every: 10"}, oldNew...)
	text := string(cfg)
	for i := 0; i+1 < len(oldNew); i += 2 {
		if !strings.Contains(text, oldNew[i]) {
			t.Fatalf("tiny.yaml has no %q to replace", oldNew[i])
		}
		text = strings.Replace(text, oldNew[i], oldNew[i+1], 1)
	}
	p := filepath.Join(t.TempDir(), "tiny.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// osr train -c takes a training config; the node's osr.yaml is refused
// with the schema it wanted.
func TestTrainShortConfigFlagTakesATrainingConfig(t *testing.T) {
	_, err := runOSR(t, "train", "-c", "../../config/osr.yaml", "--out", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "training config") || !strings.Contains(err.Error(), "config/train.yaml") {
		t.Fatalf("osr train -c osr.yaml: error %v does not say a training config (config/train.yaml) was wanted", err)
	}
}
