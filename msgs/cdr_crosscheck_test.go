package msgs

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/foxglove/mcap/go/mcap"
)

// TestCDRMatchesFoxgloveSerializer compares osr's CDR bytes with those of
// @foxglove/rosmsg2-serialization (npm, installed by npm install as a dev
// dependency), an independent implementation, for every message type and
// string and sequence lengths that exercise every padding. The same
// messages, stored in an MCAP file by @mcap/core, decode through osr's
// decoders back to the same bytes.
func TestCDRMatchesFoxgloveSerializer(t *testing.T) {
	root, _ := filepath.Abs("..")
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not installed: bash scripts/setup.sh installs it")
	}
	for _, pkg := range []string{"@foxglove/rosmsg2-serialization", "@mcap/core"} {
		if _, err := os.Stat(filepath.Join(root, "node_modules", pkg)); err != nil {
			t.Skipf("%s not installed: run npm install --ignore-scripts", pkg)
		}
	}
	cases := crossCases()
	var reqs []map[string]any
	for _, c := range cases {
		reqs = append(reqs, map[string]any{"type": c.typ, "msg": c.json})
	}
	in, err := json.Marshal(reqs)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "foxglove.mcap")
	cmd := exec.Command("node", "testdata/cdr/serialize.js", "--mcap", file)
	cmd.Dir = root
	cmd.Stdin = bytes.NewReader(in)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node serializer: %v", err)
	}
	lines := strings.Fields(string(out))
	if len(lines) != len(cases) {
		t.Fatalf("serializer returned %d messages for %d", len(lines), len(cases))
	}
	types := map[string]bool{}
	for i, line := range lines {
		got, _ := hex.DecodeString(line)
		if !bytes.Equal(got, cases[i].osr) {
			t.Errorf("message %d (%s):\n foxglove %x\n osr      %x", i, cases[i].typ, got, cases[i].osr)
		}
		types[cases[i].typ] = true
	}
	if len(types) != 8 {
		t.Errorf("covered %d message types, want 8", len(types))
	}

	// The MCAP file: every message, through osr's decoder and encoder.
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := mcap.NewReader(f)
	if err != nil {
		t.Fatalf("@mcap/core's file: %v", err)
	}
	it, err := r.Messages(mcap.UsingIndex(false))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		schema, _, msg, err := it.NextInto(nil)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("@mcap/core's file, message %d: %v", n, err)
		}
		c := cases[msg.Sequence]
		if want := strings.Split(c.typ, "#")[0]; schema.Name != want || schema.Encoding != "ros2msg" {
			t.Errorf("message %d: schema %s (%s), want %s (ros2msg)", msg.Sequence, schema.Name, schema.Encoding, want)
		}
		back, err := c.recode(msg.Data)
		if err != nil {
			t.Errorf("message %d (%s) from @mcap/core's file: %v", msg.Sequence, c.typ, err)
		} else if !bytes.Equal(back, msg.Data) {
			t.Errorf("message %d (%s): decoded and encoded again\n file %x\n osr  %x", msg.Sequence, c.typ, msg.Data, back)
		}
		n++
	}
	if n != len(cases) {
		t.Errorf("MCAP file holds %d messages, want %d", n, len(cases))
	}
}
