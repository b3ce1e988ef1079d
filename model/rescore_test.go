package model

import "testing"

// A live rescore gives what an engine opened with the new settings gives,
// and a refused one leaves the engine as it was.
func TestRescoreMatchesAFreshEngine(t *testing.T) {
	net := newTestNet(5, 32, 24, 7)
	dir := writePackage(t, net.spec(), net.onnx())
	im := randomImage(32, 24, 3)
	e := openEngine(t, dir, DefaultOptions())
	var before Result
	if err := e.Run(im, &before); err != nil { // a session is in use when it is replaced
		t.Fatal(err)
	}

	opts := DefaultOptions()
	opts.Overrides.Kind, opts.Overrides.Temperature, opts.Overrides.Threshold = "entropy", 2, 0.3
	if err := e.Rescore(opts.Overrides, 0.8); err != nil {
		t.Fatal(err)
	}
	if sc := e.Scoring(); sc.Kind != "entropy" || sc.Temperature != 2 || sc.Threshold != 0.3 {
		t.Fatalf("scoring after rescore = %+v", sc)
	}
	var got Result
	if err := e.Run(im, &got); err != nil {
		t.Fatal(err)
	}
	ref := referenceOutputs(t, net, im, Scoring{Kind: "entropy", Temperature: 2, Threshold: 0.3, UnknownID: -1})
	checkAgainstReference(t, "entropy", 2, got, ref)

	opts.OverlayAlpha = 0.8
	fresh := openEngine(t, dir, opts)
	var want Result
	if err := fresh.Run(im, &want); err != nil {
		t.Fatal(err)
	}
	for i := range want.Overlay {
		if got.Overlay[i] != want.Overlay[i] {
			t.Fatalf("overlay[%d] = %d after rescore, %d from a fresh engine", i, got.Overlay[i], want.Overlay[i])
		}
	}

	bad := opts.Overrides
	bad.Kind = "bogus"
	if err := e.Rescore(bad, 0.5); err == nil {
		t.Fatal("Rescore accepted score kind bogus")
	}
	if sc := e.Scoring(); sc.Kind != "entropy" || sc.Threshold != 0.3 {
		t.Fatalf("a refused rescore changed the scoring to %+v", sc)
	}
	var again Result
	if err := e.Run(im, &again); err != nil {
		t.Fatal(err)
	}
	for i := range again.Mask {
		if again.Mask[i] != want.Mask[i] || again.Overlay[3*i] != want.Overlay[3*i] {
			t.Fatalf("pixel %d differs after a refused rescore", i)
		}
	}
}

// The node reads the engine's provider, device and scoring from its
// diagnostics and parameter goroutines while a live change rescores it;
// go test -race fails here when those reads are not guarded.
func TestRescoreWhileReadingInfo(t *testing.T) {
	net := newTestNet(5, 32, 24, 7)
	e := openEngine(t, writePackage(t, net.spec(), net.onnx()), DefaultOptions())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, k := range []string{"entropy", "msp", "entropy"} {
			o := DefaultOptions().Overrides
			o.Kind = k
			if err := e.Rescore(o, 0.5); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for {
		select {
		case <-done:
			if e.Provider() != ProviderCPU || e.Device() != "cpu" || e.Scoring().Kind != "entropy" {
				t.Fatalf("after rescoring: provider %s, device %s, scoring %+v", e.Provider(), e.Device(), e.Scoring())
			}
			return
		default:
			_, _, _ = e.Provider(), e.Device(), e.Scoring()
		}
	}
}
