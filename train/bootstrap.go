package train

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"osr/dataset"
	"osr/internal/atomicfile"
	"osr/model"
	"osr/train/nn"
)

// SmallNetOptions configure TrainSmallNet.
type SmallNetOptions struct {
	Data     string // dataset directory with dataset.yaml
	Out      string // model package directory to write
	Protocol bool   // hold out the dataset's ood_protocol outlier ids
	Epochs   int
	Batch    int
	LR       float64
	Seed     uint64
	Workers  int
	Limit    int    // use at most this many training images (0 = all), for tests
	Command  string // the command line, recorded in model.yaml
	Widths   []int  // conv widths (default DefaultSmallNet's)
	Strides  []int
	// InstanceNorm normalises each image by its own channel statistics.
	InstanceNorm bool
	Progress     io.Writer
}

// SmallNetReport is what training measured.
type SmallNetReport struct {
	TrainImages int
	FirstLoss   float64 // mean loss of the first epoch
	FinalLoss   float64
	ValMIoU     float64
	ValPixelAcc float64
	Threshold   float32
	Seconds     float64
}

type sample struct {
	input  [2][]float32 // plain and mirrored network input
	labels [2][]uint8   // on the input grid, compact inlier ids or nn.Ignore
}

// TrainSmallNet trains SmallNet on a dataset's train split, exports it
// as a model package in opts.Out, and calibrates the outlier threshold on
// the val split's inlier pixels.
func TrainSmallNet(ctx context.Context, opts SmallNetOptions) (*SmallNetReport, error) {
	start := time.Now()
	if opts.Progress == nil {
		opts.Progress = io.Discard
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	ds, err := dataset.Open(opts.Data)
	if err != nil {
		return nil, err
	}
	var outliers []int
	if opts.Protocol {
		if ds.Protocol == nil {
			return nil, fmt.Errorf("dataset %s: %w", ds.Name, dataset.ErrNoProtocol)
		}
		outliers = ds.Protocol.OutlierIDs
	}
	classes, lut := compactLabels(ds, outliers)
	cfg := DefaultSmallNet(len(classes))
	if len(opts.Widths) > 0 {
		cfg.Widths, cfg.Strides = opts.Widths, opts.Strides
	}
	cfg.InstanceNorm = opts.InstanceNorm
	if ds.ImageSize[0] > 0 {
		cfg.Width, cfg.Height = ds.ImageSize[0], ds.ImageSize[1]
	}
	net, err := NewSmallNet(cfg, opts.Seed)
	if err != nil {
		return nil, err
	}
	samples, err := loadSamples(ctx, ds, "train", net, lut, outliers, opts)
	if err != nil {
		return nil, err
	}
	if len(samples) == 0 {
		return nil, fmt.Errorf("dataset %s: no training images left after holding out ids %v", ds.Name, outliers)
	}
	labels := make([][]uint8, len(samples))
	for i, sm := range samples {
		labels[i] = sm.labels[0]
	}
	weights := classWeights(labels, len(classes))
	stepsPerEpoch := (len(samples) + opts.Batch - 1) / opts.Batch
	adam := nn.NewAdam([]nn.Group{{Params: net.Params(), LR: opts.LR}}, opts.Epochs*stepsPerEpoch, opts.LR*0.01)
	workers := make([]*worker, opts.Workers)
	for i := range workers {
		workers[i] = newWorker(net)
	}
	r := rand.New(rand.NewPCG(opts.Seed, 1))
	bar := progressbar.NewOptions(opts.Epochs*stepsPerEpoch,
		progressbar.OptionSetWriter(opts.Progress), progressbar.OptionSetDescription("train smallnet"),
		progressbar.OptionShowCount(), progressbar.OptionSetItsString("step"), progressbar.OptionShowIts(),
		progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(500*time.Millisecond))
	var firstLoss, lastLoss float64
	for epoch := 0; epoch < opts.Epochs; epoch++ {
		order := r.Perm(len(samples))
		var epochLoss float64
		var epochN int
		for b := 0; b < len(order); b += opts.Batch {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("training stopped at epoch %d: %w", epoch+1, err)
			}
			batch := order[b:min(b+opts.Batch, len(order))]
			loss := trainBatch(net, workers, samples, batch, weights, r)
			adam.Step(1 / float32(len(batch)))
			epochLoss += loss * float64(len(batch))
			epochN += len(batch)
			bar.Describe(fmt.Sprintf("epoch %d/%d loss %.3f", epoch+1, opts.Epochs, loss))
			bar.Add(1)
		}
		lastLoss = epochLoss / float64(epochN)
		if epoch == 0 {
			firstLoss = lastLoss
		}
	}
	bar.Finish()
	fmt.Fprintln(opts.Progress)
	rep := &SmallNetReport{TrainImages: len(samples), FirstLoss: firstLoss, FinalLoss: lastLoss}
	if err := exportSmallNet(ctx, net, ds, classes, opts, rep); err != nil {
		return nil, err
	}
	rep.Seconds = time.Since(start).Seconds()
	return rep, nil
}

// trainBatch spreads a batch over the workers and sums their gradients.
func trainBatch(net *SmallNet, workers []*worker, samples []sample, batch []int, weights []float32, r *rand.Rand) float64 {
	flips := make([]int, len(batch))
	gain := make([]float32, len(batch))
	shift := make([]float32, len(batch))
	for i := range flips {
		flips[i] = r.IntN(2)
		// Photometric jitter on the normalised colour channels: contrast
		// x0.8..1.2 and brightness +-0.2 std, for lighting the train
		// sequences lack.
		gain[i] = 0.8 + 0.4*r.Float32()
		shift[i] = 0.4*r.Float32() - 0.2
	}
	losses := make([]float64, len(batch))
	var wg sync.WaitGroup
	for wi, wk := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := wi; i < len(batch); i += len(workers) {
				s := samples[batch[i]]
				in := wk.acts[0]
				copy(in, s.input[flips[i]])
				rgb := in[:3*len(in)/4] // the fourth channel is the row coordinate
				for j, v := range rgb {
					rgb[j] = v*gain[i] + shift[i]
				}
				losses[i], _ = wk.step(s.labels[flips[i]], weights)
			}
		}()
	}
	wg.Wait()
	for _, p := range net.Params() {
		p.ZeroGrad()
	}
	for _, wk := range workers {
		wk.gradsInto(net)
	}
	sum := 0.0
	for _, l := range losses {
		sum += l
	}
	return sum / float64(len(batch))
}

func loadSamples(ctx context.Context, ds *dataset.Dataset, split string, net *SmallNet, lut [256]uint8, outliers []int, opts SmallNetOptions) ([]sample, error) {
	list, err := ds.Samples(split)
	if err != nil {
		return nil, err
	}
	h, w := net.InputSize()
	p := net.Cfg.Pool
	var out []sample
	for _, s := range list {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		im, lab, err := dataset.Load(s)
		if err != nil {
			return nil, err
		}
		if im.Width != net.Cfg.Width || im.Height != net.Cfg.Height {
			return nil, fmt.Errorf("%s: image is %dx%d, the network takes %dx%d", s.Image, im.Width, im.Height, net.Cfg.Width, net.Cfg.Height)
		}
		if len(outliers) > 0 && dataset.HasAny(lab, outliers) {
			continue
		}
		var sm sample
		for f := 0; f < 2; f++ {
			sm.input[f] = make([]float32, 4*h*w)
			net.Prepare(im.Pix, f == 1, sm.input[f])
			sm.labels[f] = make([]uint8, h*w)
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					v := lut[lab.Pix[(y*p+p/2)*lab.Stride+x*p+p/2]]
					if f == 1 {
						sm.labels[f][y*w+w-1-x] = v
					} else {
						sm.labels[f][y*w+x] = v
					}
				}
			}
		}
		out = append(out, sm)
		if opts.Limit > 0 && len(out) >= opts.Limit {
			break
		}
	}
	return out, nil
}

// classWeights are sqrt median-frequency weights, clipped to [0.2, 5], so
// that thin classes (poles, signs, pedestrians) are not ignored.
func classWeights(labels [][]uint8, classes int) []float32 {
	counts := make([]float64, classes)
	for _, ls := range labels {
		for _, l := range ls {
			if int(l) < classes {
				counts[l]++
			}
		}
	}
	sorted := append([]float64(nil), counts...)
	sort.Float64s(sorted)
	median := sorted[len(sorted)/2]
	w := make([]float32, classes)
	for i, c := range counts {
		if c == 0 {
			w[i] = 1
			continue
		}
		w[i] = float32(math.Min(5, math.Max(0.2, math.Sqrt(median/c))))
	}
	return w
}

// exportSmallNet writes the model package, then runs it through ONNX
// Runtime on the val split to measure mIoU and to set the threshold that
// keeps 95 % of inlier pixels (the camvid-ood rule: inliers only).
func exportSmallNet(ctx context.Context, net *SmallNet, ds *dataset.Dataset, classes []int, opts SmallNetOptions, rep *SmallNetReport) error {
	if err := os.MkdirAll(opts.Out, 0o755); err != nil {
		return err
	}
	var outliers []int
	if opts.Protocol {
		outliers = ds.Protocol.OutlierIDs
	}
	spec := baseSpec(opts.Out, ds, classes, outliers)
	spec.Description = "Small CPU segmenter (SmallNet) for 480x360 road scenes"
	spec.Input = model.Input{Name: "image", Layout: "NCHW", Width: net.Cfg.Width, Height: net.Cfg.Height,
		Mean: net.Cfg.Mean, Std: net.Cfg.Std}
	spec.Scoring.Kind, spec.Scoring.Temperature, spec.Scoring.Threshold = "entropy", 2, 0.5
	spec.Provenance = model.Provenance{
		Method: "SmallNet (pool 4, " + map[bool]string{true: "per-image instance normalisation, ", false: ""}[net.Cfg.InstanceNorm] + "row-coordinate channel, 3x3 convs " + fmt.Sprint(net.Cfg.Widths) +
			", strides " + fmt.Sprint(net.Cfg.Strides) + ") trained from scratch in Go with class-weighted cross-entropy " +
			"and Adam (cosine schedule); no synthetic outliers yet, so the outlier score is the plain softmax entropy",
		Data:    fmt.Sprintf("%s train split, %d images", ds.Name, rep.TrainImages),
		Command: opts.Command,
		Created: time.Now().UTC().Format(time.RFC3339),
		Config: map[string]any{
			"epochs": opts.Epochs, "batch": opts.Batch, "lr": opts.LR, "seed": opts.Seed,
			"protocol": opts.Protocol, "instance_norm": opts.InstanceNorm, "augment": "horizontal flip, contrast x0.8-1.2, brightness +-0.2 std",
		},
	}
	if opts.Protocol {
		spec.Provenance.Data += fmt.Sprintf(" without any image containing the %s outlier ids %v", ds.Protocol.Name, ds.Protocol.OutlierIDs)
	}
	onnx := net.ExportONNX(spec.Description, map[string]string{"classes": fmt.Sprint(spec.Classes)})
	if err := atomicfile.Write(filepath.Join(opts.Out, model.ONNXFile), onnx); err != nil {
		return err
	}
	if err := model.WriteSpec(opts.Out, spec); err != nil {
		return err
	}
	val, err := evaluateVal(ctx, opts.Out, ds, opts.Protocol, opts.Limit)
	if err != nil {
		return fmt.Errorf("validate exported model: %w", err)
	}
	rep.ValMIoU, rep.ValPixelAcc = val.MIoU, val.PixelAccuracy
	rep.Threshold = recordVal(&spec, val, map[string]any{"train_final_loss": round4(rep.FinalLoss)})
	return model.WriteSpec(opts.Out, spec)
}

func round4(v float64) float64 { return math.Round(v*1e4) / 1e4 }
