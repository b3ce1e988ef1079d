package calibration

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"

	"osr/config"
	"osr/dataset"
	"osr/internal/atomicfile"
	"osr/model"
	"osr/node"
)

// Filter is a temporal filter setting: k of the last n frames.
type Filter struct{ K, N int }

func (f Filter) String() string { return fmt.Sprintf("k=%d, n=%d", f.K, f.N) }

// ObjectsOptions configure EvaluateObjects.
type ObjectsOptions struct {
	Split string
	// Objects are the node's object settings; each filter replaces K and N.
	Objects config.Objects
	Filters []Filter
	// Match is the box IoU at which a reported object is the pasted one.
	Match    float64
	Progress io.Writer // one dot per 10 frames; nil: quiet
}

// ObjectsRow is one filter's figures over the sequence.
type ObjectsRow struct {
	K int `json:"k"`
	N int `json:"n"`
	// PastedFrames are the frames from the k-th of each object's run on;
	// Kept those of them where a reported box matches the pasted one.
	PastedFrames int     `json:"pasted_frames"`
	Kept         int     `json:"kept"`
	KeptShare    float64 `json:"kept_share"`
	// Found are the PastedFrames where the unfiltered finder matches the
	// pasted object, KeptOfFound those of them the filter keeps: what the
	// filter costs, apart from what the model misses.
	Found       int `json:"found"`
	KeptOfFound int `json:"kept_of_found"`
	// RunsKept counts the pasted objects reported (matched) at least once.
	RunsKept int `json:"runs_kept"`
	// Reports counts reported boxes; FalseReports those that do not
	// overlap the frame's pasted box.
	Reports      int `json:"reports"`
	FalseReports int `json:"wrongreports"`
	// FalseObjects are the tracks reported at least once whose boxes
	// never overlap a pasted box; SingleFrame those seen in one frame only
	// (flicker).
	FalseObjects int `json:"wrongobjects"`
	SingleFrame  int `json:"single_frame_wrongobjects"`
	// FalsePerFrame is the false reports of each frame, for the figure.
	FalsePerFrame []int `json:"-"`
	reported      []reportedBox
}

// reportedBox is one box a filter reported, for objects.csv.
type reportedBox struct {
	image string
	track uint64
	box   node.Box
	iou   float64 // with the pasted box
}

// ObjectsReport is what osr eval objects writes.
type ObjectsReport struct {
	Model   string `json:"model"`
	Dataset string `json:"dataset"`
	Split   string `json:"split"`
	Frames  int    `json:"frames"`
	Runs    int    `json:"runs"`
	// Touched and Matched count the frames where an unfiltered object
	// overlaps the pasted box at all, and by the match IoU: how well the
	// model's mask finds the pasted objects, before any filter.
	Touched   int            `json:"touched"`
	Matched   int            `json:"matched"`
	Objects   config.Objects `json:"objects"`
	Match     float64        `json:"match_iou"`
	Threshold float32        `json:"threshold"`
	Rows      []ObjectsRow   `json:"rows"`
	frames    []stripFrame
}

// EvaluateObjects plays a pasted split (osr dataset paste --track) in
// order through the node's object finder and one temporal filter per
// setting, as the node does frame by frame, and counts what each filter
// reports against the pasted objects of pasted (ReadPasted).
func EvaluateObjects(ctx context.Context, eng Engine, ds *dataset.Dataset, pasted map[string]dataset.Pasted, opts ObjectsOptions) (*ObjectsReport, error) {
	if len(opts.Filters) == 0 {
		return nil, errors.New("objects: no filter settings")
	}
	for _, f := range opts.Filters {
		if err := (node.TrackerOptions{K: f.K, N: f.N, IoU: opts.Objects.Overlap}).Validate(); err != nil {
			return nil, err
		}
	}
	samples, err := ds.Samples(opts.Split)
	if err != nil {
		return nil, err
	}
	rep := &ObjectsReport{Model: eng.Spec().Name, Dataset: ds.Name, Split: opts.Split, Objects: opts.Objects,
		Match: opts.Match, Threshold: eng.Scoring().Threshold}
	type trackStat struct{ reports, overlaps, hits int }
	trackers := make([]*node.Tracker, len(opts.Filters))
	stats := make([]map[uint64]*trackStat, len(opts.Filters))
	for i, f := range opts.Filters {
		trackers[i] = node.NewTracker(node.TrackerOptions{K: f.K, N: f.N, IoU: opts.Objects.Overlap})
		stats[i] = map[uint64]*trackStat{}
		rep.Rows = append(rep.Rows, ObjectsRow{K: f.K, N: f.N})
	}
	runsKept := make([]map[int]bool, len(opts.Filters))
	for i := range runsKept {
		runsKept[i] = map[int]bool{}
	}
	var finder node.Objects
	var res model.Result
	runs := map[int]bool{}
	for fi, s := range samples {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p, ok := pasted[s.Name]
		if !ok {
			return nil, fmt.Errorf("objects: %s is not in the split's pasted.csv", s.Name)
		}
		runs[p.Run] = true
		im, _, err := dataset.Load(s)
		if err != nil {
			return nil, err
		}
		if err := eng.Run(im, &res); err != nil {
			return nil, fmt.Errorf("%s: %w", s.Name, err)
		}
		objs := finder.Find(res.Mask, res.Score, res.Width, res.Height, node.ObjectOptionsFrom(opts.Objects))
		truth := node.Box{X0: p.Box[0], Y0: p.Box[1], X1: p.Box[2], Y1: p.Box[3]}
		rep.frames = append(rep.frames, stripFrame{s, p.Run, truth})
		found, touched := false, false
		for _, o := range objs {
			iou := o.IoU(truth)
			found, touched = found || iou >= opts.Match, touched || iou > 0
		}
		if found {
			rep.Matched++
		}
		if touched {
			rep.Touched++
		}
		for i, tr := range trackers {
			row := &rep.Rows[i]
			kept, wrong := false, 0
			for _, t := range tr.Update(objs) {
				st := stats[i][t.ID]
				if st == nil {
					st = &trackStat{}
					stats[i][t.ID] = st
				}
				st.reports++
				st.hits = max(st.hits, t.Hits)
				iou := t.IoU(truth)
				if iou > 0 {
					st.overlaps++
				} else {
					wrong++
				}
				kept = kept || iou >= opts.Match
				row.reported = append(row.reported, reportedBox{s.Name, t.ID, t.Box, iou})
			}
			row.FalseReports += wrong
			row.FalsePerFrame = append(row.FalsePerFrame, wrong)
			if kept {
				runsKept[i][p.Run] = true
			}
			if truth.Area() > 0 && p.Frame >= row.K-1 {
				row.PastedFrames++
				if kept {
					row.Kept++
				}
				if found {
					row.Found++
					if kept {
						row.KeptOfFound++
					}
				}
			}
		}
		if opts.Progress != nil && fi%10 == 9 {
			fmt.Fprint(opts.Progress, ".")
		}
	}
	if opts.Progress != nil {
		fmt.Fprintln(opts.Progress)
	}
	rep.Frames, rep.Runs = len(samples), len(runs)
	for i := range rep.Rows {
		row := &rep.Rows[i]
		row.RunsKept = len(runsKept[i])
		for _, st := range stats[i] {
			row.Reports += st.reports
			if st.overlaps == 0 {
				row.FalseObjects++
				if st.hits == 1 {
					row.SingleFrame++
				}
			}
		}
		if row.PastedFrames > 0 {
			row.KeptShare = float64(row.Kept) / float64(row.PastedFrames)
		}
	}
	return rep, nil
}

// Markdown is the report's table.
func (r *ObjectsReport) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s on %s/%s played in order: %d frames, %d pasted objects (runs); objects of at least %d px and %.2g %% of the frame, overlap %.2g, kept at box IoU >= %.2g\n\n",
		r.Model, r.Dataset, r.Split, r.Frames, r.Runs, r.Objects.MinPixels, 100*r.Objects.MinShare, r.Objects.Overlap, r.Match)
	fmt.Fprintf(&b, "Unfiltered, an object overlaps the pasted one in %d of %d frames, by IoU >= %.2g in %d.\n\n", r.Touched, r.Frames, r.Match, r.Matched)
	b.WriteString("| filter | pasted objects reported | pasted frames kept (from the k-th frame of each object on) | of those the unfiltered finder found | reported boxes | false boxes | false objects | of them seen in one frame only |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|\n")
	for _, w := range r.Rows {
		fmt.Fprintf(&b, "| %s | %d / %d | %d / %d (%.1f %%) | %d / %d | %d | %d | %d | %d |\n", Filter{w.K, w.N}, w.RunsKept, r.Runs,
			w.Kept, w.PastedFrames, 100*w.KeptShare, w.KeptOfFound, w.Found, w.Reports, w.FalseReports, w.FalseObjects, w.SingleFrame)
	}
	return b.String()
}

// Write saves objects.json, objects.md, objects.csv (every reported box:
// image, filter, track id, box, IoU with the pasted box), objects.png
// (the false boxes reported so far, frame by frame, per filter) and
// objects_strip.jpg (one pasted object's frames, first and last filter)
// into dir.
func (r *ObjectsReport) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("report directory: %w", err)
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	var curves []series
	for _, w := range r.Rows {
		pts := make(plotter.XYs, len(w.FalsePerFrame))
		sum := 0
		for i, n := range w.FalsePerFrame {
			sum += n
			pts[i] = plotter.XY{X: float64(i + 1), Y: float64(sum)}
		}
		curves = append(curves, series{fmt.Sprintf("%s: kept %.0f %%, %d false objects", Filter{w.K, w.N}, 100*w.KeptShare, w.FalseObjects), pts})
	}
	var csv strings.Builder
	csv.WriteString("image,k,n,track,x0,y0,x1,y1,pasted_iou\n")
	for _, w := range r.Rows {
		for _, b := range w.reported {
			fmt.Fprintf(&csv, "%s,%d,%d,%d,%d,%d,%d,%d,%.4f\n", b.image, w.K, w.N, b.track, b.box.X0, b.box.Y0, b.box.X1, b.box.Y1, b.iou)
		}
	}
	p := plot.New()
	p.Legend.Left = true // the curves rise to the right
	return errors.Join(
		atomicfile.Write(filepath.Join(dir, "objects.json"), append(js, '\n')),
		atomicfile.Write(filepath.Join(dir, "objects.md"), []byte(r.Markdown())),
		atomicfile.Write(filepath.Join(dir, "objects.csv"), []byte(csv.String())),
		r.writeStrip(filepath.Join(dir, "objects_strip.jpg")),
		drawLines(p, filepath.Join(dir, "objects.png"), fmt.Sprintf("False boxes reported: %s/%s in order", r.Dataset, r.Split),
			"frame", "false boxes reported so far", curves, true),
	)
}
