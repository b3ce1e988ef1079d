package calibration

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"osr/internal/atomicfile"
	"osr/internal/imageio"
)

// Write saves report.md, pr.png, roc.png, the best and worst overlays and,
// last, report.json, each atomically: a report.json on disk means the
// whole report is there (a full or read-only disk leaves none).
func (r *Report) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("report directory: %w", err)
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("report.json: %w", err)
	}
	if err := atomicfile.Write(filepath.Join(dir, "report.md"), []byte(r.Markdown())); err != nil {
		return err
	}
	if len(r.Curve) > 0 {
		if err := writeCurves(dir, fmt.Sprintf("%s, %s/%s", r.Model, r.Dataset, r.Split), []string{""}, []*Report{r}); err != nil {
			return err
		}
	}
	for _, o := range []struct {
		name string
		e    *Example
	}{{"best", r.best}, {"worst", r.worst}} {
		name, e := o.name, o.e
		if e == nil {
			continue
		}
		if err := imageio.WriteRGB(filepath.Join(dir, name+"_"+e.Result.Name+"_overlay.png"),
			imageio.RGB{Width: e.Width, Height: e.Height, Pix: e.Overlay}); err != nil {
			return err
		}
	}
	return atomicfile.Write(filepath.Join(dir, "report.json"), append(js, '\n'))
}

func fmtOpt(v *float64, pct bool) string {
	if v == nil || math.IsNaN(*v) {
		return "n/a"
	}
	if pct {
		return fmt.Sprintf("%.2f", 100**v)
	}
	return fmt.Sprintf("%.4f", *v)
}

// Markdown renders the report as a table a person reads.
func (r *Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s on %s/%s", r.Model, r.Dataset, r.Split)
	if r.Protocol != "" {
		fmt.Fprintf(&b, " (%s)", r.Protocol)
	}
	fmt.Fprintf(&b, "\n\nScore: %s at T = %g, threshold %.4f. %d images, %d outlier and %d inlier pixels.\n\n",
		r.Score, r.Temperature, r.Threshold, r.Images, r.OutlierPixels, r.InlierPixels)
	b.WriteString("| metric | pixel-level (split) | per image (mean) |\n|---|---|---|\n")
	fmt.Fprintf(&b, "| AP (%%) | %s | %s |\n", fmtOpt(r.AP, true), fmtOpt(r.APPerImage, true))
	fmt.Fprintf(&b, "| FPR at 95%% TPR (%%) | %s | %s |\n", fmtOpt(r.FPR95, true), fmtOpt(r.FPR95PerImage, true))
	fmt.Fprintf(&b, "| AUROC (%%) | %s | %s |\n", fmtOpt(r.AUROC, true), fmtOpt(r.AUROCPerImage, true))
	fmt.Fprintf(&b, "| TNR at 95%% TPR (%%) | %s | |\n", fmtOpt(r.TNR95, true))
	fmt.Fprintf(&b, "| detection accuracy (%%) | %s | |\n", fmtOpt(r.DetAcc, true))
	fmt.Fprintf(&b, "| mIoU, inlier classes (%%) | %.2f | |\n", 100*r.MIoU)
	fmt.Fprintf(&b, "| open mIoU (%%) | %.2f | |\n", 100*r.OpenMIoU)
	fmt.Fprintf(&b, "| inlier TPR at the threshold (%%) | %.2f | |\n", 100*r.InlierTPR)
	fmt.Fprintf(&b, "\nPer-image means are over the %d images with outliers.\n\n", r.ImagesWithOutliers)
	fa := r.FalseAlarms
	if fa != nil {
		fmt.Fprintf(&b, "False alarms: at score >= %.4f, which flags %.2f %% of the outlier pixels, %.2f %% of the inlier pixels are flagged; by class below.\n\n",
			fa.Threshold, 100*fa.OutlierTPR, 100*fa.FPR)
	}
	b.WriteString("| class | IoU (%) | mean outlier score | flagged at 95 % outlier TPR (%) | share of those false alarms (%) |\n|---|---|---|---|---|\n")
	names := make([]string, 0, len(r.PerClassIoU))
	for n := range r.PerClassIoU {
		names = append(names, n)
	}
	sort.Strings(names)
	meanScore := func(n string) string {
		if v, ok := r.MeanScore[n]; ok {
			return fmt.Sprintf("%.3f", v)
		}
		return ""
	}
	alarms := func(n string) string {
		if fa == nil {
			return " | "
		}
		c, ok := fa.Classes[n]
		if !ok {
			return " | "
		}
		return fmt.Sprintf("%.2f | %.2f", 100*c.Flagged, 100*c.Share)
	}
	for _, n := range names {
		fmt.Fprintf(&b, "| %s | %.2f | %s | %s |\n", n, 100*r.PerClassIoU[n], meanScore(n), alarms(n))
	}
	if _, ok := r.MeanScore["outliers"]; ok {
		fmt.Fprintf(&b, "| outlier pixels | | %s | | |\n", meanScore("outliers"))
	}
	if len(r.Curve) > 0 {
		b.WriteString("\n![precision-recall](pr.png) ![ROC](roc.png)\n")
	}
	if r.best != nil {
		fmt.Fprintf(&b, "\nBest image %s, worst %s:\n\n![best](best_%s_overlay.png) ![worst](worst_%s_overlay.png)\n",
			r.best.Result.Name, r.worst.Result.Name, r.best.Result.Name, r.worst.Result.Name)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "\nNote: %s\n", n)
	}
	fmt.Fprintf(&b, "\n%.1f s, %.2f Mpixel/s.\n", r.Seconds, r.PixelsPerSecond/1e6)
	return b.String()
}
