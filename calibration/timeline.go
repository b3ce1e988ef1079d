package calibration

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"osr/internal/atomicfile"
)

// Timeline is the outlier share per frame of a drive without labels.
type Timeline struct {
	Model     string    `json:"model"`
	Bag       string    `json:"bag"`
	Threshold float32   `json:"threshold"`
	Frames    int       `json:"frames"`
	Mean      float64   `json:"mean_outlier_share"`
	P95       float64   `json:"p95_outlier_share"`
	Max       float64   `json:"max_outlier_share"`
	MaxAt     float64   `json:"max_at_seconds"`
	Times     []float64 `json:"-"` // seconds from the first frame
	Shares    []float64 `json:"-"`
	start     time.Time
}

func (t *Timeline) add(stamp time.Time, share float64) {
	if t.start.IsZero() {
		t.start = stamp
	}
	sec := stamp.Sub(t.start).Seconds()
	t.Times = append(t.Times, sec)
	t.Shares = append(t.Shares, share)
	t.Frames++
	t.Mean += (share - t.Mean) / float64(t.Frames)
	if share > t.Max {
		t.Max, t.MaxAt = share, sec
	}
}

// Write saves timeline.json, timeline.csv and timeline.png.
func (t *Timeline) Write(dir string) error {
	if t.Frames == 0 {
		return errors.New("timeline: no frames")
	}
	s := slices.Clone(t.Shares)
	slices.Sort(s)
	t.P95 = s[min(len(s)-1, len(s)*95/100)]
	js, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return err
	}
	var csv strings.Builder
	csv.WriteString("seconds,outlier_share\n")
	pts := make(plotter.XYs, len(t.Times))
	for i := range t.Times {
		fmt.Fprintf(&csv, "%.3f,%.6f\n", t.Times[i], t.Shares[i])
		pts[i] = plotter.XY{X: t.Times[i], Y: 100 * t.Shares[i]}
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Outlier pixels over time: %s, %s", t.Model, t.Bag)
	p.X.Label.Text, p.Y.Label.Text = "time (s)", "outlier pixels (%)"
	p.Y.Min = 0
	p.Add(plotter.NewGrid())
	line, err := plotter.NewLine(pts)
	if err != nil {
		return err
	}
	p.Add(line)
	w, err := p.WriterTo(8*vg.Inch, 3*vg.Inch, "png")
	if err != nil {
		return err
	}
	var png bytes.Buffer
	if _, err := w.WriteTo(&png); err != nil {
		return err
	}
	return errors.Join(
		atomicfile.Write(filepath.Join(dir, "timeline.json"), append(js, '\n')),
		atomicfile.Write(filepath.Join(dir, "timeline.csv"), []byte(csv.String())),
		atomicfile.Write(filepath.Join(dir, "timeline.png"), png.Bytes()),
	)
}
