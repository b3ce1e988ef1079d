package node

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"osr/config"
)

func TestSettingsGetAndSetLive(t *testing.T) {
	s := NewSettings(config.Default())
	var applied []config.Config
	s.OnApply(func(c config.Config) error { applied = append(applied, c); return nil })
	var seen [][]string
	s.Watch(func(changed []string) { seen = append(seen, changed) })

	if v, err := s.Get("threshold"); err != nil || v != -1.0 {
		t.Fatalf("threshold = %v, %v; want the default -1", v, err)
	}
	// An integer for a double is taken, as ros2 param set sends 1 as an integer.
	if err := s.Set(map[string]any{"threshold": 0.99, "open_set": false, "temperature": int64(2)}); err != nil {
		t.Fatal(err)
	}
	c := s.Config()
	if c.Scoring.Threshold != 0.99 || c.Scoring.OpenSet || c.Scoring.Temperature != 2 {
		t.Fatalf("config after set: %+v", c.Scoring)
	}
	if len(applied) != 1 || applied[0].Scoring.Threshold != 0.99 {
		t.Fatalf("applier saw %d changes", len(applied))
	}
	if len(seen) != 1 || !slices.Equal(seen[0], []string{"open_set", "temperature", "threshold"}) {
		t.Fatalf("watchers saw %v", seen)
	}
	// Setting the same value again changes nothing and applies nothing.
	if err := s.Set(map[string]any{"threshold": 0.99}); err != nil || len(applied) != 1 || len(seen) != 1 {
		t.Fatalf("an unchanged value was applied again (err %v)", err)
	}
}

func TestSettingsRefuseAllOrNone(t *testing.T) {
	cases := []struct {
		values map[string]any
		want   string
	}{
		{map[string]any{"threshold": 7.0}, "threshold: 7 is out of range [-1, 1]"},
		{map[string]any{"threshold": 0.5, "score": "bogus"}, `score: must be one of ["msp" "entropy"]`},
		{map[string]any{"threshold": "high"}, "threshold: want a double"},
		{map[string]any{"lazy": 1}, "lazy: want a bool"},
		{map[string]any{"gpu_id": 1.5}, "gpu_id: want an integer"},
		{map[string]any{"device": "cuda"}, "device is read-only while the node runs"},
		{map[string]any{"frobnicate": 1}, `no parameter "frobnicate"`},
		{map[string]any{"image_depth": 3}, `no parameter "image_depth"`}, // ROS 2 only
	}
	for _, c := range cases {
		s := NewSettings(config.Default())
		calls := 0
		s.OnApply(func(config.Config) error { calls++; return nil })
		err := s.Set(c.values)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Set(%v) = %v, want an error with %q", c.values, err, c.want)
		}
		if calls != 0 || s.Config().Scoring.Threshold != -1 {
			t.Errorf("Set(%v) changed something although refused", c.values)
		}
	}
}

func TestSettingsApplyFailureKeepsOldValues(t *testing.T) {
	s := NewSettings(config.Default())
	s.OnApply(func(config.Config) error { return errors.New("session failed") })
	if err := s.Set(map[string]any{"threshold": 0.4}); err == nil || !strings.Contains(err.Error(), "session failed") {
		t.Fatalf("Set = %v, want the applier's error", err)
	}
	if s.Config().Scoring.Threshold != -1 {
		t.Fatal("a failed apply kept the new value")
	}
}

// At start every parameter may be set, read-only ones included, and the
// ROS 2 QoS ones on ROS 2.
func TestSettingsInit(t *testing.T) {
	cfg := config.Default()
	cfg.Node.Transport = "ros2"
	s := NewSettings(cfg)
	if err := s.Init(map[string]any{"device": "cuda", "image_depth": 3, "resize": "letterbox"}); err != nil {
		t.Fatal(err)
	}
	c := s.Config()
	if c.Runtime.Device != "cuda" || c.ROS2.ImageDepth != 3 || c.Preprocess.Resize != "letterbox" {
		t.Fatalf("config after Init: %+v %+v %+v", c.Runtime, c.ROS2, c.Preprocess)
	}
	if err := s.Init(map[string]any{"device": "tpu"}); err == nil || !strings.Contains(err.Error(), "device: must be one of") {
		t.Fatalf("Init accepted device tpu: %v", err)
	}
}

func TestParseParamValue(t *testing.T) {
	table := map[string]Param{}
	for _, p := range ParamTable() {
		table[p.Name] = p
	}
	cases := []struct {
		name, text string
		want       any
	}{
		{"threshold", "0.99", 0.99},
		{"threshold", "1", 1.0},
		{"open_set", "false", false},
		{"gpu_id", "2", int64(2)},
		{"device", "cuda", "cuda"},
		{"device", `"cpu"`, "cpu"},
		{"model", "123", "123"},
		{"score", "", ""},
	}
	for _, c := range cases {
		got, err := ParseParamValue(table[c.name], c.text)
		if err != nil || got != c.want {
			t.Errorf("%s:=%s gives %v (%T), %v; want %v", c.name, c.text, got, got, err, c.want)
		}
	}
	for _, c := range [][2]string{{"threshold", "high"}, {"lazy", "2"}, {"gpu_id", "1.5"}, {"threshold", "[1"}} {
		if v, err := ParseParamValue(table[c[0]], c[1]); err == nil {
			t.Errorf("%s:=%s accepted as %v", c[0], c[1], v)
		}
	}
}

// Every parameter reads and writes its own config key.
func TestParamTableKeys(t *testing.T) {
	for _, p := range ParamTable() {
		cfg := config.Default()
		before := p.value(&cfg)
		var v any
		switch p.Type {
		case ParamBool:
			v = !before.(bool)
		case ParamInteger:
			v = int64(7)
		case ParamDouble:
			v = 0.25
		case ParamString:
			v = "x"
		}
		if err := p.set(&cfg, v); err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
		if p.value(&cfg) != v {
			t.Errorf("%s: set %v, read %v", p.Name, v, p.value(&cfg))
		}
		if p.Description == "" || p.Key == "" {
			t.Errorf("%s: no description or key", p.Name)
		}
	}
}
