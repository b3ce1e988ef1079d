package node

import (
	"os"
	"strings"
	"testing"
)

// The README's parameter table names every parameter.
func TestREADMEListsEveryParameter(t *testing.T) {
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(data), "### Node parameters")
	if !ok {
		t.Fatal("README has no Node parameters section")
	}
	table, _, _ = strings.Cut(table, "\n\n##")
	for _, p := range ParamTable() {
		if !strings.Contains(table, "`"+p.Name+"`") {
			t.Errorf("README's parameter table lacks %s", p.Name)
		}
	}
}
