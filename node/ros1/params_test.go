package ros1

import (
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"osr/config"
	"osr/internal/rostest"
	"osr/node"
)

// A change that one refused value holds back is applied once the values
// it depends on are: rosparam load of objects_k 3 with objects_n 5 (k must
// not exceed n) and an out-of-range overlay_alpha sets k and n, and refuses
// only the alpha.
func TestParamWatchAppliesDependentChangesBesideARefusedOne(t *testing.T) {
	rostest.Require(t)
	m := rostest.StartMaster(t, 0)
	cfg := config.Default()
	cfg.ROS1.MasterURI = m.URI
	s := node.NewSettings(cfg)
	tr, err := New(Options{Node: cfg.Node, ROS1: cfg.ROS1, Settings: s, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	w := tr.newParamWatch(map[string]any{})
	file := filepath.Join(t.TempDir(), "params.yaml")
	if err := os.WriteFile(file, []byte("objects_k: 3\nobjects_n: 5\noverlay_alpha: 2.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("rosparam", "load", file, tr.NodePath())
	cmd.Env = m.Env()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("rosparam load: %v\n%s", err, out)
	}
	w.poll()
	c := s.Config()
	if c.Objects.K != 3 || c.Objects.N != 5 {
		t.Errorf("objects k %d, n %d after the server's k 3, n 5; want 3 and 5", c.Objects.K, c.Objects.N)
	}
	if c.Overlay.Alpha != cfg.Overlay.Alpha {
		t.Errorf("overlay_alpha %g, want the refused 2 to keep %g", c.Overlay.Alpha, cfg.Overlay.Alpha)
	}
}
