package node

import (
	"os"
	"path/filepath"
	"testing"
)

func TestReadParamsFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "params.yaml")
	os.WriteFile(f, []byte(`
/**:
  ros__parameters:
    threshold: 0.5
    use_sim_time: true
/robot1/osr:
  ros__parameters:
    threshold: 0.9
    device: cuda
robot2:
  osr:
    ros__parameters:
      threshold: 0.1
/*/other:
  ros__parameters:
    lazy: true
`), 0o644)
	got, err := ReadParamsFile(f, "/robot1/osr")
	if err != nil {
		t.Fatal(err)
	}
	if got["threshold"] != 0.9 || got["device"] != "cuda" || got["use_sim_time"] != true || len(got) != 3 {
		t.Fatalf("/robot1/osr got %v", got)
	}
	got, err = ReadParamsFile(f, "/robot2/osr")
	if err != nil {
		t.Fatal(err)
	}
	if got["threshold"] != 0.1 || got["device"] != nil {
		t.Fatalf("/robot2/osr got %v", got)
	}
	got, err = ReadParamsFile(f, "/osr")
	if err != nil {
		t.Fatal(err)
	}
	if got["threshold"] != 0.5 || len(got) != 2 {
		t.Fatalf("/osr got %v", got)
	}

	os.WriteFile(f, []byte("/osr: [1, 2]\n"), 0o644)
	if _, err := ReadParamsFile(f, "/osr"); err == nil {
		t.Fatal("a list where node names belong was accepted")
	}
	if _, err := ReadParamsFile(filepath.Join(t.TempDir(), "none.yaml"), "/osr"); err == nil {
		t.Fatal("a missing file was accepted")
	}
}
