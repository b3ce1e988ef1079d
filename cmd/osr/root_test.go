package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"osr/config"
)

// engineFlagCases holds, for every flag of addEngineFlags, a value the
// config accepts, one it refuses, and where the accepted one must land.
var engineFlagCases = []struct {
	flag, good, bad string
	got             func(config.Config) string
}{
	{"model", "elsewhere", "", func(c config.Config) string { return c.Model }},
	{"device", "cuda", "gpu", func(c config.Config) string { return c.Runtime.Device }},
	{"fallback", "fail", "never", func(c config.Config) string { return c.Runtime.Fallback }},
	{"threads", "3", "2000", func(c config.Config) string { return fmt.Sprint(c.Runtime.IntraOpThreads) }},
	{"score", "entropy", "maxlogit", func(c config.Config) string { return c.Scoring.Kind }},
	{"temperature", "2", "-1", func(c config.Config) string { return fmt.Sprint(c.Scoring.Temperature) }},
	{"threshold", "0.5", "2", func(c config.Config) string { return fmt.Sprint(c.Scoring.Threshold) }},
	{"resize", "letterbox", "bogus", func(c config.Config) string { return c.Preprocess.Resize }},
	{"gpu-id", "1", "-1", func(c config.Config) string { return fmt.Sprint(c.Runtime.GPUID) }},
}

// yamlFor writes key (a.b) = value as a nested YAML document.
func yamlFor(t *testing.T, key, value string) string {
	t.Helper()
	var b strings.Builder
	parts := strings.Split(key, ".")
	for i, p := range parts {
		b.WriteString(strings.Repeat("  ", i) + p + ":")
		if i == len(parts)-1 {
			b.WriteString(" " + strconv.Quote(value))
		}
		b.WriteString("\n")
	}
	path := filepath.Join(t.TempDir(), "osr.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func engineFlags() *pflag.FlagSet {
	cmd := &cobra.Command{}
	addEngineFlags(cmd)
	return cmd.Flags()
}

func TestEngineFlagsReachTheirKeys(t *testing.T) {
	fs := engineFlags()
	covered := map[string]bool{}
	for _, c := range engineFlagCases {
		covered[c.flag] = true
	}
	fs.VisitAll(func(f *pflag.Flag) {
		if _, ok := engineFlagKeys[f.Name]; !ok {
			t.Errorf("engine flag --%s sets no config key", f.Name)
		}
		if !covered[f.Name] {
			t.Errorf("engine flag --%s has no case in engineFlagCases", f.Name)
		}
	})
	for name, key := range engineFlagKeys {
		if fs.Lookup(name) == nil {
			t.Errorf("engineFlagKeys names --%s (%s), which addEngineFlags does not define", name, key)
		}
		if nodeFlagKeys[name] != key {
			t.Errorf("the node maps --%s to %q, not %q", name, nodeFlagKeys[name], key)
		}
	}
	for _, c := range engineFlagCases {
		key := engineFlagKeys[c.flag]
		env := config.EnvVar(key)
		t.Run(c.flag, func(t *testing.T) {
			load := func(file string, args ...string) (config.Config, error) {
				fs := engineFlags()
				if err := fs.Parse(args); err != nil {
					t.Fatal(err)
				}
				return config.Load(file, fs, engineFlagKeys)
			}
			check := func(how string, cfg config.Config, err error) {
				t.Helper()
				if err != nil {
					t.Fatalf("%s %s=%q: %v", how, key, c.good, err)
				}
				if got := c.got(cfg); got != c.good {
					t.Errorf("%s: %s = %q, want %q", how, key, got, c.good)
				}
			}
			refused := func(how, source string, err error) {
				t.Helper()
				if err == nil {
					t.Fatalf("%s accepted %s=%q", how, key, c.bad)
				}
				if !strings.Contains(err.Error(), key) || !strings.Contains(err.Error(), source) {
					t.Errorf("%s: error %q does not name %s and %s", how, err, key, source)
				}
			}

			cfg, err := load("", "--"+c.flag, c.good)
			check("flag", cfg, err)
			file := yamlFor(t, key, c.good)
			cfg, err = load(file)
			check("file", cfg, err)
			t.Setenv(env, c.good)
			cfg, err = load("")
			check("environment", cfg, err)

			_, err = load("", "--"+c.flag, c.bad)
			refused("flag", "--"+c.flag, err)
			// The flag wins over the environment, and is named.
			_, err = load(file, "--"+c.flag, c.bad)
			refused("flag over file and environment", "--"+c.flag, err)
			os.Unsetenv(env)
			file = yamlFor(t, key, c.bad)
			_, err = load(file)
			refused("file", file, err)
			if c.bad != "" { // an empty variable counts as unset
				t.Setenv(env, c.bad)
				_, err = load("")
				refused("environment", env, err)
			}
		})
	}
}

// Every command that runs a model refuses a bad engine flag before it
// touches its inputs, naming the flag.
func TestEngineFlagsRefusedByEveryCommand(t *testing.T) {
	dir := t.TempDir()
	commands := [][]string{
		{"infer", filepath.Join(dir, "frame.png"), "--out", dir},
		{"eval", "--data", dir, "--out", dir},
		{"eval", "objects", "--data", dir, "--out", dir},
		{"calibrate", "--data", dir},
		{"bag", "eval", filepath.Join(dir, "drive.bag"), "--out", dir},
		{"bench"},
		{"bench", "all"},
		{"bench", "cameras"},
		{"node"},
	}
	for _, args := range commands {
		for _, c := range engineFlagCases {
			t.Run(strings.Join(args[:1], " ")+" --"+c.flag, func(t *testing.T) {
				out, err := runOSR(t, append(append([]string{}, args...), "--"+c.flag, c.bad)...)
				if err == nil || !strings.Contains(err.Error(), "--"+c.flag) {
					t.Fatalf("osr %s --%s %q: error %v does not name --%s\n%s", strings.Join(args, " "), c.flag, c.bad, err, c.flag, out)
				}
			})
		}
	}
}

// One rule for -c/--config on every command: a given file is read (and so
// a missing one is named) or the flag is refused.
func TestConfigFlagIsReadOrRefused(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nonexistent.yaml")
	// Arguments that get each command past its own checks to the point
	// where it reads its config; commands not listed take none.
	args := map[string][]string{
		"osr infer":             {filepath.Join(dir, "frame.png"), "--out", dir},
		"osr eval":              {"--data", dir, "--out", dir},
		"osr eval compare":      {"--out", dir, filepath.Join(dir, "report.json")},
		"osr eval objects":      {"--data", dir, "--out", dir},
		"osr calibrate":         {"--data", dir},
		"osr bag eval":          {filepath.Join(dir, "drive.bag"), "--out", dir},
		"osr bag info":          {filepath.Join(dir, "drive.bag")},
		"osr bag from-dataset":  {"--data", dir, "--out", filepath.Join(dir, "x.bag")},
		"osr dataset paste":     {"--data", dir, "--objects", dir, "--out", dir},
		"osr dataset vistas-np": {"--vistas", dir, "--out", filepath.Join(dir, "np")},
		"osr train":             {"--out", dir},
		"osr train imagewide":   {"--out", dir},
		"osr train export":      {"--model", dir, "--size", "480x360", "--out", dir},
		"osr bench train":       {"--steps", "1"},
		"osr bench all":         {},
		"osr bench cameras":     {},
		"osr bench":             {},
		"osr node":              {},
		"osr doctor":            {},
		"osr infer compare":     {dir, dir},
	}
	var walk func(cmd *cobra.Command)
	walk = func(cmd *cobra.Command) {
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
		if !cmd.Runnable() || cmd.Name() == "help" || cmd.Name() == "completion" {
			return
		}
		path := cmd.CommandPath()
		rest, ok := args[path]
		if !ok {
			t.Errorf("%s: add its arguments to this test", path)
			return
		}
		for _, flag := range []string{"--config", "-c"} {
			t.Run(path+" "+flag, func(t *testing.T) {
				argv := append(append(strings.Fields(path)[1:], rest...), flag, missing)
				out, err := runOSR(t, argv...)
				if err == nil {
					t.Fatalf("osr %s: a missing config file was accepted\n%s", strings.Join(argv, " "), out)
				}
				read := strings.Contains(err.Error(), missing)
				refused := strings.Contains(err.Error(), "leave out --config")
				if read == refused {
					t.Fatalf("osr %s: error %q neither names the missing file nor refuses --config", strings.Join(argv, " "), err)
				}
				if refused && cmd.Annotations[readsConfigKey] != "" {
					t.Errorf("%s reads a config but refused it: %v", path, err)
				}
			})
		}
	}
	walk(newRootCmd())
}
