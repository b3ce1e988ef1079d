package main

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"osr/config"
	"osr/node"
)

// ROS parameters at start: a params file, then -p / _name:=, with a flag
// winning over a parameter of the same setting and unknown names named in
// one warning.
func TestStartSettings(t *testing.T) {
	file := filepath.Join(t.TempDir(), "params.yaml")
	os.WriteFile(file, []byte("/**:\n  ros__parameters:\n    threshold: 0.5\n    overlay_alpha: 0.2\n    frobnicate: 1\n/robot/seg:\n  ros__parameters:\n    lazy: true\n"), 0o644)
	ra, err := node.ParseROSArgs([]string{"_open_set:=false", "--ros-args", "-r", "__ns:=/robot", "-r", "__node:=seg",
		"--params-file", file, "-p", "overlay_alpha:=0.7", "-p", "temperature:=3", "-p", "use_sim_time:=true"})
	if err != nil {
		t.Fatal(err)
	}
	cmd := newNodeCmd(&app{})
	if err := cmd.Flags().Set("temperature", "2"); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Scoring.Temperature = 2 // as loadConfig gives it with --temperature 2
	var logs bytes.Buffer
	s, err := startSettings(cfg, ra, nil, cmd.Flags(), slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	c := s.Config()
	if c.Scoring.Threshold != 0.5 || c.Overlay.Alpha != 0.7 || !c.Node.Lazy || c.Scoring.OpenSet || c.Scoring.Temperature != 2 {
		t.Fatalf("settings: threshold %g alpha %g lazy %v open_set %v temperature %g",
			c.Scoring.Threshold, c.Overlay.Alpha, c.Node.Lazy, c.Scoring.OpenSet, c.Scoring.Temperature)
	}
	for _, want := range []string{"flag --temperature wins over parameter temperature", "ignoring unknown parameters", "frobnicate", "use_sim_time"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}

	for _, args := range [][]string{{"_threshold:=7"}, {"--ros-args", "-p", "device:=tpu"}, {"_lazy:=maybe"}} {
		ra, err := node.ParseROSArgs(args)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := startSettings(config.Default(), ra, nil, newNodeCmd(&app{}).Flags(), slog.New(slog.NewTextHandler(&logs, nil))); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
}

// On ROS 1 the parameter server's private namespace is the lower tier:
// the command line's _name:=value wins over it.
func TestStartSettingsFromParameterServer(t *testing.T) {
	ra, err := node.ParseROSArgs([]string{"_threshold:=0.99"})
	if err != nil {
		t.Fatal(err)
	}
	server := map[string]any{"threshold": 0.4, "overlay_alpha": 0.25, "lazy": true, "camera/fps": 30}
	var logs bytes.Buffer
	s, err := startSettings(config.Default(), ra, server, newNodeCmd(&app{}).Flags(), slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if c := s.Config(); c.Scoring.Threshold != 0.99 || c.Overlay.Alpha != 0.25 || !c.Node.Lazy {
		t.Errorf("threshold %g alpha %g lazy %v", c.Scoring.Threshold, c.Overlay.Alpha, c.Node.Lazy)
	}
	if !strings.Contains(logs.String(), "ignoring unknown parameters") || !strings.Contains(logs.String(), "camera/fps") {
		t.Errorf("no warning naming camera/fps:\n%s", logs.String())
	}
	if _, err := startSettings(config.Default(), node.ROSArgs{}, map[string]any{"overlay_alpha": "half"}, newNodeCmd(&app{}).Flags(), slog.New(slog.NewTextHandler(&logs, nil))); err == nil || !strings.Contains(err.Error(), "overlay_alpha") {
		t.Errorf("a string for overlay_alpha: %v", err)
	}
}

// --log-level takes the node's logger as rcl names it, namespace and
// name with dots (robot.seg for /robot/seg), and leaves other loggers'.
func TestLogLevelsOfTheNodesLogger(t *testing.T) {
	remaps := map[string]string{"__ns": "/robot", "__node": "seg"}
	for _, c := range []struct {
		arg   string
		debug bool
	}{{"robot.seg:=debug", true}, {"seg:=debug", true}, {"debug", true}, {"other.seg:=debug", false}, {"robot:=debug", false}} {
		a := &app{log: slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))}
		if err := a.applyLogLevels([]string{c.arg}, "/", "osr", remaps); err != nil {
			t.Fatal(err)
		}
		if got := a.log.Enabled(t.Context(), slog.LevelDebug); got != c.debug {
			t.Errorf("--log-level %s: debug enabled %v, want %v", c.arg, got, c.debug)
		}
	}
}
