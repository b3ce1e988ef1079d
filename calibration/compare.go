package calibration

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"osr/internal/atomicfile"
)

// LoadReport reads a report.json that osr eval wrote; path is the file
// or its directory.
func LoadReport(path string) (*Report, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		path = filepath.Join(path, "report.json")
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	var r Report
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("report %s: %w", path, err)
	}
	return &r, nil
}

// WriteComparison draws the reports' curves together (dir/pr.png and
// dir/roc.png, one line per report, named by names) and tabulates their
// figures in dir/compare.md. Every report needs its curve: reports that
// osr wrote before it kept curves in report.json have none.
func WriteComparison(dir string, names []string, reps []*Report) error {
	if len(reps) == 0 || len(names) != len(reps) {
		return errors.New("compare: want one name per report, and at least one report")
	}
	splits := map[string]bool{}
	for i, r := range reps {
		if len(r.Curve) == 0 {
			return fmt.Errorf("compare: report %q has no curve (written by an older osr, or no split had both inliers and outliers): re-run osr eval", names[i])
		}
		splits[r.Dataset+"/"+r.Split] = true
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("compare: %w", err)
	}
	var b strings.Builder
	title := reps[0].Dataset + "/" + reps[0].Split
	if len(splits) > 1 {
		title = "several splits"
	}
	fmt.Fprintf(&b, "# Comparison on %s\n\n", title)
	b.WriteString("| model | score | T | AP (%) | FPR95 (%) | AUROC (%) | AP per image (%) | mIoU (%) | inlier TPR at the threshold (%) |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|\n")
	legends := make([]string, len(names))
	var notes []string
	for i, r := range reps {
		fmt.Fprintf(&b, "| %s | %s | %g | %s | %s | %s | %s | %.2f | %.2f |\n", names[i], r.Score, r.Temperature,
			fmtOpt(r.AP, true), fmtOpt(r.FPR95, true), fmtOpt(r.AUROC, true), fmtOpt(r.APPerImage, true), 100*r.MIoU, 100*r.InlierTPR)
		legends[i] = names[i] + ": "
		if len(splits) > 1 {
			notes = append(notes, fmt.Sprintf("%s is on %s/%s.", names[i], r.Dataset, r.Split))
		}
	}
	for _, n := range notes {
		fmt.Fprintf(&b, "\nNote: %s\n", n)
	}
	b.WriteString("\n![precision-recall](pr.png) ![ROC](roc.png)\n")
	if err := writeCurves(dir, title, legends, reps); err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(dir, "compare.md"), []byte(b.String()))
}
