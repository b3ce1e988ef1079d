package calibration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadReportNamesBadInput(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadReport(dir); err == nil || !strings.Contains(err.Error(), "report.json") {
		t.Errorf("directory without report.json: %v", err)
	}
	bad := filepath.Join(dir, "report.json")
	os.WriteFile(bad, []byte("{not json"), 0o644)
	if _, err := LoadReport(dir); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("broken report.json: %v", err)
	}
	if err := WriteComparison(filepath.Join(dir, "cmp"), []string{"a", "b"}, []*Report{{}}); err == nil {
		t.Error("two names for one report accepted")
	}
	if _, err := os.Stat(filepath.Join(dir, "cmp")); !os.IsNotExist(err) {
		t.Errorf("a refused comparison left its directory behind: %v", err)
	}
}
