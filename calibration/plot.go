package calibration

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"osr/internal/atomicfile"
)

// writeCurves draws the precision-recall and ROC curves as PNGs.
func writeCurves(dir string, r *Report) error {
	title := fmt.Sprintf("%s, %s/%s", r.Model, r.Dataset, r.Split)
	pr, roc := make(plotter.XYs, len(r.curve)), make(plotter.XYs, 0, len(r.curve)+1)
	roc = append(roc, plotter.XY{})
	for i, c := range r.curve {
		pr[i] = plotter.XY{X: c.TPR, Y: c.Precision}
		roc = append(roc, plotter.XY{X: c.FPR, Y: c.TPR})
	}
	return errors.Join(
		writePlot(filepath.Join(dir, "pr.png"), "Precision-recall: "+title, "recall (outlier TPR)", "precision", pr, fmt.Sprintf("AP %s %%", fmtOpt(r.AP, true)), true),
		writePlot(filepath.Join(dir, "roc.png"), "ROC: "+title, "inlier FPR", "outlier TPR", roc, fmt.Sprintf("AUROC %s %%", fmtOpt(r.AUROC, true)), false),
	)
}

// writePlot draws one curve; the legend goes top right or bottom right,
// wherever the curve leaves room.
func writePlot(path, title, x, y string, pts plotter.XYs, legend string, legendTop bool) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text, p.Y.Label.Text = x, y
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	p.Add(plotter.NewGrid())
	line, err := plotter.NewLine(pts)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	line.Width = vg.Points(1.5)
	p.Add(line)
	p.Legend.Add(legend, line)
	p.Legend.Top = legendTop
	w, err := p.WriterTo(6*vg.Inch, 4.5*vg.Inch, "png")
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return atomicfile.Write(path, buf.Bytes())
}
