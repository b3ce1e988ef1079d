package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "osr.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadPrecedence(t *testing.T) {
	p := writeConfig(t, "model: from-file\nruntime:\n  device: cuda\n  intra_op_threads: 3\n")
	t.Setenv("OSR_RUNTIME_INTRA_OP_THREADS", "5")
	t.Setenv("OSR_RUNTIME_SPIN", "true")
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.String("model", "", "")
	fs.String("device", "", "")
	if err := fs.Parse([]string{"--model", "from-flag"}); err != nil {
		t.Fatal(err)
	}
	c, err := Load(p, fs, map[string]string{"model": "model", "device": "runtime.device"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Model != "from-flag" {
		t.Errorf("model = %q: a set flag must win over the file", c.Model)
	}
	if c.Runtime.Device != "cuda" {
		t.Errorf("device = %q: an unset flag must not override the file", c.Runtime.Device)
	}
	if c.Runtime.IntraOpThreads != 5 {
		t.Errorf("intra_op_threads = %d: the environment must win over the file", c.Runtime.IntraOpThreads)
	}
	if !c.Runtime.Spin || Default().Runtime.Spin {
		t.Errorf("spin = %v (default %v): OSR_RUNTIME_SPIN=true must turn the default off on", c.Runtime.Spin, Default().Runtime.Spin)
	}
	if c.Overlay.Alpha != 0.5 || c.Runtime.Fallback != "cpu" {
		t.Errorf("defaults lost: %+v", c)
	}
}

func TestLoadErrorsNameKeyAndFile(t *testing.T) {
	cases := []struct {
		name, body string
		env        map[string]string
		want       []string
	}{
		{"unknown key", "runtime:\n  devise: cuda\n", nil, []string{"osr.yaml:2", `unknown key "runtime.devise"`, "runtime.device"}},
		{"unknown section", "rutnime:\n  device: cuda\n", nil, []string{`unknown key "rutnime"`}},
		{"wrong type", "runtime:\n  intra_op_threads: lots\n", nil, []string{"osr.yaml", "intra_op_threads"}},
		{"list for scalar", "overlay:\n  alpha: [1, 2]\n", nil, []string{"osr.yaml", "alpha"}},
		{"bad enum", "runtime:\n  device: gpu\n", nil, []string{"osr.yaml", "runtime.device (from /", `"gpu"`}},
		{"bad range", "overlay:\n  alpha: 1.5\n", nil, []string{"osr.yaml", "overlay.alpha"}},
		{"bad colour", "overlay:\n  outlier_color: [255, 0]\n", nil, []string{"overlay.outlier_color"}},
		{"bad env", "model: m\n", map[string]string{"OSR_SCORING_KIND": "maxlogit"}, []string{"scoring.kind (from OSR_SCORING_KIND)", "maxlogit"}},
		{"yaml syntax", "runtime: [\n", nil, []string{"osr.yaml"}},
		{"bad transport", "node:\n  transport: zenoh\n", nil, []string{"node.transport", `"zenoh"`}},
		{"bad domain", "ros2:\n  domain_id: 233\n", nil, []string{"ros2.domain_id", "233"}},
		{"bad reliability", "ros2:\n  image_reliability: best-effort\n", nil, []string{"ros2.image_reliability", "best_effort"}},
		{"bad depth", "ros2:\n  output_depth: 0\n", nil, []string{"ros2.output_depth"}},
		{"bad distro", "ros2:\n  distro: foxy\n", nil, []string{"ros2.distro", "foxy"}},
		{"bad ros2 env", "model: m\n", map[string]string{"OSR_ROS2_IMAGE_DEPTH": "0"}, []string{"ros2.image_depth"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			_, err := Load(writeConfig(t, c.body), pflag.NewFlagSet("t", pflag.ContinueOnError), nil)
			if err == nil {
				t.Fatal("Load accepted a bad config")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"), pflag.NewFlagSet("t", pflag.ContinueOnError), nil)
	if err == nil || !strings.Contains(err.Error(), "nope.yaml") {
		t.Fatalf("error %v does not name the missing file", err)
	}
}

func TestShippedConfigIsValid(t *testing.T) {
	c, err := Load("osr.yaml", pflag.NewFlagSet("t", pflag.ContinueOnError), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Model == "" {
		t.Fatal("shipped config names no model")
	}
	if !reflect.DeepEqual(c, Default()) {
		t.Errorf("osr.yaml differs from the defaults:\n file     %+v\n defaults %+v", c, Default())
	}
	// Every key is documented: the file names every leaf of the schema.
	data, err := os.ReadFile("osr.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	inFile := map[string]bool{}
	walkKeys(doc.Content[0], "", func(key string, _ int) bool { inFile[key] = true; return true })
	known := map[string]bool{}
	knownKeys(known, "", reflect.TypeOf(Config{}))
	for k := range known {
		if !inFile[k] {
			t.Errorf("osr.yaml does not document %s", k)
		}
	}
}

func TestROS2Defaults(t *testing.T) {
	r := Default().ROS2
	// ROS 2's sensor-data profile for the camera, the default profile for outputs.
	if r.ImageReliability != "best_effort" || r.ImageDepth != 5 || r.OutputReliability != "reliable" || r.OutputDepth != 10 || r.DomainID != -1 {
		t.Fatalf("%+v", r)
	}
}
