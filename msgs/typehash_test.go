package msgs

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"osr/internal/ros2test"
)

// Every type hash osr computes equals the one rosidl wrote into the
// installed ROS 2's share/<pkg>/<msg|srv>/<Name>.json.
func TestTypeHashesMatchInstalledROS2(t *testing.T) {
	in, err := LoadInterfaces()
	if err != nil {
		t.Fatal(err)
	}
	ros2test.Require(t)
	installed := map[string]string{}
	for name := range in {
		// Request, Response and Event types live in their service's file.
		file := name
		for _, part := range []string{"_Request", "_Response", "_Event"} {
			file = strings.TrimSuffix(file, part)
		}
		data, err := os.ReadFile(ros2test.Share(t, file+".json"))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var doc struct {
			TypeHashes []struct {
				TypeName   string `json:"type_name"`
				HashString string `json:"hash_string"`
			} `json:"type_hashes"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, h := range doc.TypeHashes {
			installed[h.TypeName] = h.HashString
		}
	}
	for name := range in {
		got, err := in.Hash(name)
		if err != nil {
			t.Fatal(err)
		}
		if want := installed[name]; got != want {
			t.Errorf("%s: computed %s, installed ROS 2 has %q", name, got, want)
		}
	}
	t.Logf("%d type hashes match %s", len(in), filepath.Join(ros2test.Prefix, "share"))
}

// The hashes that rosidl's generated C code publishes for two common
// types (builtin_interfaces/msg/Time, std_msgs/msg/Header), so that the
// algorithm is checked where ROS 2 is not installed too.
func TestTypeHashKnownValues(t *testing.T) {
	in, err := LoadInterfaces()
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"builtin_interfaces/msg/Time": "RIHS01_b106235e25a4c5ed35098aa0a61a3ee9c9b18d197f398b0e4206cea9acf9c197",
		"std_msgs/msg/Header":         "RIHS01_f49fb3ae2cf070f793645ff749683ac6b06203e41c891e17701b1cb597ce6a01",
	} {
		got, err := in.Hash(name)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s: %s, want %s", name, got, want)
		}
	}
}

func TestParseInterfacesErrors(t *testing.T) {
	for _, text := range []string{
		"a/msg/B\n  float128 x\n",
		"a/msg/B\n  int32[x] y\n",
		"a/msg/B\n  int32[<=0] y\n",
		"  int32 y\n",
		"a/msg/B\n  int32\n",
		"a/msg/B\na/msg/B\n",
	} {
		if _, err := ParseInterfaces(text); err == nil {
			t.Errorf("%q: no error", text)
		}
	}
	in, err := ParseInterfaces("a/msg/B\n  a/msg/C c\n")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.Hash("a/msg/B"); err == nil || !strings.Contains(err.Error(), "a/msg/C") {
		t.Errorf("missing reference: %v", err)
	}
	if _, err := in.Hash("x/msg/Y"); err == nil {
		t.Error("unknown type: no error")
	}
}
