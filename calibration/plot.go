package calibration

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"path/filepath"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"osr/internal/atomicfile"
)

// series is one named curve of a plot.
type series struct {
	legend string
	pts    plotter.XYs
}

// prAndROC are a report's precision-recall and ROC points.
func prAndROC(r *Report) (pr, roc plotter.XYs) {
	pr, roc = make(plotter.XYs, len(r.Curve)), make(plotter.XYs, 0, len(r.Curve)+1)
	roc = append(roc, plotter.XY{})
	for i, c := range r.Curve {
		pr[i] = plotter.XY{X: c.TPR, Y: c.Precision}
		roc = append(roc, plotter.XY{X: c.FPR, Y: c.TPR})
	}
	return pr, roc
}

// writeCurves draws the precision-recall and ROC curves of reps (each
// named in the legend by its entry in names) as dir/pr.png and dir/roc.png.
func writeCurves(dir, title string, names []string, reps []*Report) error {
	var prs, rocs []series
	for i, r := range reps {
		pr, roc := prAndROC(r)
		prs = append(prs, series{names[i] + fmt.Sprintf("AP %s %%", fmtOpt(r.AP, true)), pr})
		rocs = append(rocs, series{names[i] + fmt.Sprintf("AUROC %s %%", fmtOpt(r.AUROC, true)), roc})
	}
	return errors.Join(
		writePlot(filepath.Join(dir, "pr.png"), "Precision-recall: "+title, "recall (outlier TPR)", "precision", prs, true, false),
		writePlot(filepath.Join(dir, "roc.png"), "ROC: "+title, "inlier FPR", "outlier TPR", rocs, false, true),
	)
}

// writePlot draws the curves, each in its own colour and dash, and with
// chance the diagonal a random score follows (ROC), on axes from 0 to 1;
// the legend goes top right or bottom right, wherever the curves leave
// room.
func writePlot(path, title, x, y string, curves []series, legendTop, chance bool) error {
	p := plot.New()
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	p.Add(plotter.NewGrid())
	if chance {
		diag, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		diag.Color, diag.Dashes = color.Gray{Y: 160}, []vg.Length{vg.Points(2), vg.Points(2)}
		p.Add(diag)
	}
	return drawLines(p, path, title, x, y, curves, legendTop)
}

// drawLines adds the curves to p, each in its own colour and dash, and
// saves it as a PNG.
func drawLines(p *plot.Plot, path, title, x, y string, curves []series, legendTop bool) error {
	p.Title.Text = title
	p.X.Label.Text, p.Y.Label.Text = x, y
	// Soft colours, then dark ones: 14 before a colour repeats (with
	// another dash).
	colors := append(slices.Clone(plotutil.SoftColors), plotutil.DarkColors...)
	for i, c := range curves {
		line, err := plotter.NewLine(c.pts)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		line.Width = vg.Points(1.5)
		line.Color, line.Dashes = colors[i%len(colors)], plotutil.Dashes(i)
		p.Add(line)
		p.Legend.Add(c.legend, line)
	}
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
