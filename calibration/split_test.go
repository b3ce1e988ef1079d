package calibration

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"osr/dataset"
	"osr/internal/imageio"
	"osr/model"
)

const mini = "../testdata/camvid-mini"

// openMini opens a dataset and the bundled model's engine as osr eval
// does (open-set labels and spinning off).
func openMini(t testing.TB, dir string) (*model.Engine, *dataset.Dataset) {
	t.Helper()
	ds, err := dataset.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return openShipped(t, nil), ds
}

// openShipped opens the bundled model's engine with open-set labels and
// spinning off, after edit changes the options (nil: none).
func openShipped(t testing.TB, edit func(*model.Options)) *model.Engine {
	t.Helper()
	pkg, err := model.Load("../models/camvid-so")
	if err != nil {
		t.Fatal(err)
	}
	opts := model.DefaultOptions()
	opts.Overrides.OpenSet, opts.Spin = false, false
	if edit != nil {
		edit(&opts)
	}
	eng, err := model.NewEngine(pkg, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	return eng
}

// copyMini copies the mini dataset so that a test can damage it.
func copyMini(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(mini, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(mini, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// The pipelined run must hand fn every image once, in split order, with
// the result a plain sequential eng.Run gives for that image, logits
// included, even when measuring is slower than inference (the engine
// reuses its output tensors for the next frame).
func TestRunSplitOrderAndResults(t *testing.T) {
	_, ds := openMini(t, mini)
	eng := openShipped(t, func(o *model.Options) { o.Logits = true })
	samples, err := ds.Samples("test")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var sums, logitSums []float64
	_, protocol, err := runSplit(context.Background(), eng, ds, splitRun{Split: "test", Protocol: true, Verb: "eval"},
		func(name string, _ imageio.RGB, gt []uint8, res *model.Result) error {
			time.Sleep(50 * time.Millisecond) // the next frame's inference runs meanwhile
			names = append(names, name)
			sums = append(sums, scoreSum(res))
			logitSums = append(logitSums, floatSum(res.Logits))
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if protocol != "camvid-ood" {
		t.Errorf("protocol %q", protocol)
	}
	want := make([]string, len(samples))
	for i, s := range samples {
		want[i] = s.Name
	}
	if !slices.Equal(names, want) {
		t.Fatalf("fn saw %v, want %v", names, want)
	}
	var res model.Result
	for i, s := range samples {
		im, _, err := dataset.Load(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := eng.Run(im, &res); err != nil {
			t.Fatal(err)
		}
		if got := scoreSum(&res); got != sums[i] {
			t.Errorf("%s: pipelined score sum %g, sequential %g", s.Name, sums[i], got)
		}
		if got := floatSum(res.Logits); got != logitSums[i] {
			t.Errorf("%s: pipelined logits sum %g, sequential %g", s.Name, logitSums[i], got)
		}
	}
}

func scoreSum(res *model.Result) float64 { return floatSum(res.Score) }

func floatSum(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x)
	}
	return s
}

// An error from fn stops the run: it is returned with the image's name,
// fn is not called again, and no goroutine is left behind.
func TestRunSplitStopsOnMeasureError(t *testing.T) {
	eng, ds := openMini(t, mini)
	before := runtime.NumGoroutine()
	calls := 0
	boom := errors.New("boom")
	_, _, err := runSplit(context.Background(), eng, ds, splitRun{Split: "test", Verb: "eval"},
		func(name string, _ imageio.RGB, _ []uint8, _ *model.Result) error {
			calls++
			if calls == 2 {
				return boom
			}
			return nil
		})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "0001TP_008640") {
		t.Fatalf("error %v: want boom naming the second image", err)
	}
	if calls != 2 {
		t.Errorf("fn called %d times after its error at call 2", calls)
	}
	waitGoroutines(t, before)
}

// A damaged image stops the run with an error naming the file, after the
// images before it were measured.
func TestRunSplitDamagedImage(t *testing.T) {
	dir := copyMini(t)
	bad := filepath.Join(dir, "test", "images", "0001TP_008880.jpg")
	if err := os.WriteFile(bad, []byte("not a jpeg"), 0o644); err != nil {
		t.Fatal(err)
	}
	eng, ds := openMini(t, dir)
	before := runtime.NumGoroutine()
	var seen []string
	_, _, err := runSplit(context.Background(), eng, ds, splitRun{Split: "test", Verb: "eval"},
		func(name string, _ imageio.RGB, _ []uint8, _ *model.Result) error {
			seen = append(seen, name)
			return nil
		})
	if err == nil || !strings.Contains(err.Error(), "0001TP_008880.jpg") {
		t.Fatalf("error %v: want one naming the damaged file", err)
	}
	if want := []string{"0001TP_008610", "0001TP_008640"}; !slices.Equal(seen, want) {
		t.Errorf("measured %v before the damaged image, want %v", seen, want)
	}
	waitGoroutines(t, before)
}

// Cancelling the context (SIGINT in osr eval) stops the run with an error
// that says so and wraps context.Canceled.
func TestRunSplitCancelled(t *testing.T) {
	eng, ds := openMini(t, mini)
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	_, _, err := runSplit(ctx, eng, ds, splitRun{Split: "test", Verb: "calibrate"},
		func(string, imageio.RGB, []uint8, *model.Result) error {
			calls++
			cancel()
			return nil
		})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "calibrate stopped") {
		t.Fatalf("error %v: want calibrate stopped: context canceled", err)
	}
	if calls != 1 {
		t.Errorf("fn called %d times, again after the cancel", calls)
	}
}

func waitGoroutines(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > want {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines left, %d before the run", runtime.NumGoroutine(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// keep copies outputs the engine still owns (its tensors, which the next
// frame overwrites) into the slot, and leaves outputs already in the
// slot's buffers where they are.
func TestSlotKeepCopiesTheEnginesOutputsOnly(t *testing.T) {
	engine := model.Result{Labels: []uint8{1, 2, 3}, Score: []float32{.1, .2, .3}, Mask: []uint8{0, 1, 0}, Logits: []float32{4, 5}}
	var s Slot
	s.Res = engine
	s.keep()
	engine.Labels[0], engine.Score[0], engine.Mask[0], engine.Logits[0] = 9, 9, 9, 9 // the next frame
	r := &s.Res
	if r.Labels[0] != 1 || r.Score[0] != .1 || r.Mask[0] != 0 || r.Logits[0] != 4 {
		t.Fatalf("kept outputs changed with the engine's: %+v", *r)
	}
	labels, score := &r.Labels[0], &r.Score[0]
	r.Labels[1], r.Score[1] = 7, .7 // the engine wrote into the slot's buffers
	s.keep()
	if &r.Labels[0] != labels || &r.Score[0] != score || r.Labels[1] != 7 || r.Score[1] != .7 {
		t.Fatalf("outputs in the slot's own buffers moved or changed: %+v", *r)
	}
	engine.Labels, engine.Score = []uint8{5, 6}, []float32{.5, .6} // the engine's again, another size
	r.Labels, r.Score = engine.Labels, engine.Score
	s.keep()
	engine.Labels[0], engine.Score[0] = 9, 9
	if !slices.Equal(r.Labels, []uint8{5, 6}) || !slices.Equal(r.Score, []float32{.5, .6}) {
		t.Fatalf("outputs of another size: %+v", *r)
	}
}
