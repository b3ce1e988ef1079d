package train

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"osr/calibration"
	"osr/dataset"
	"osr/internal/atomicfile"
	"osr/internal/imageio"
	"osr/train/nn"
)

// ImageWideConfig is one run of the image-wide experiment (the paper's
// Algorithm 1 and Table 1): a classifier on Fashion-MNIST, with MSP
// alone (msp), with a jointly trained Real NVP whose samples are outliers
// (so), or with a jointly trained GAN's samples as outliers (gan, Lee et
// al. 2018: the baseline of the paper's Table 1), tested against MNIST and
// natural-image crops.
type ImageWideConfig struct {
	Data    string   // Fashion-MNIST IDX files (default: Debian's dataset-fashion-mnist)
	MNIST   string   // MNIST IDX files ("": the GoMNIST module's)
	Natural []string // images to cut the natural-image outlier crops from
	Mode    string   // msp, so or gan
	Widths  []int    // classifier channels per stage
	Batch   int      // inlier images per step (so and gan modes add as many samples)
	// Replicas is the batch-norm groups per step (see Config.Replicas).
	Replicas int
	Steps    int        // optimiser steps
	LR       float64    // classifier Adam peak rate, cosine-annealed
	Flow     RNVPConfig // the flow (28x28: levels 2)
	FlowLR   float64
	// FlowWarmup is the number of NLL-only flow steps on inlier images
	// before joint training, so that the first samples are blurry inliers
	// rather than Gaussian noise (a random flow's samples teach the
	// classifier only "noise is an outlier").
	FlowWarmup int
	// FlowTemperature scales the flow's latent draws (1: the paper's
	// N(0, I)).
	FlowTemperature float64
	// FlowSegWeight weighs the classifier loss (through the samples) in
	// the flow's loss, against its NLL on the images the samples replaced.
	FlowSegWeight float64
	Lambda        float64   // weight of KL(U‖P) on flow or GAN samples
	GAN           GANConfig // the gan mode's generator and discriminator
	Seed          uint64
	Limit         int // use at most this many training and test images (tests)
}

// DefaultImageWide is the CPU-sized image-wide run of docs/results.md's
// seed sweep: a narrow classifier (so that six seeds fit), a flow warmed
// up on Fashion-MNIST first, and the classifier loss weighed down in the
// flow's loss (at weight 1, the paper's balance, its samples collapse to
// empty frames).
func DefaultImageWide() ImageWideConfig {
	return ImageWideConfig{Data: dataset.FashionMNISTDir, Mode: "msp", Widths: []int{16, 32, 64}, Batch: 32,
		Replicas: DefaultReplicas, Steps: 800, LR: 1e-3, Flow: RNVPConfig{Channels: 1, Levels: 2, Blocks: 1, Features: 8},
		FlowLR: 1e-3, FlowWarmup: 300, FlowTemperature: 1, FlowSegWeight: 0.1, Lambda: 0.5, GAN: DefaultGAN(), Seed: 1}
}

// ImageWideRow is one outlier set's image-level metrics for one score:
// msp (1 - max softmax) or entropy (of the softmax, over log K).
type ImageWideRow struct {
	Outliers string  `json:"outliers"`
	Score    string  `json:"score"`
	Images   int     `json:"images"`
	TNR95    float64 `json:"tnr_at_tpr95"`
	AUROC    float64 `json:"auroc"`
	DetAcc   float64 `json:"detection_accuracy"`
}

// ImageWideReport is a finished run.
type ImageWideReport struct {
	Mode     string         `json:"mode"`
	Steps    int            `json:"steps"`
	Accuracy float64        `json:"fashion_mnist_test_accuracy"`
	Rows     []ImageWideRow `json:"rows"`
	Seconds  float64        `json:"seconds"`
	Config   ImageWideConfig
}

var fashionMean, fashionStd = float32(0.286), float32(0.353)

// RunImageWide trains and evaluates one image-wide model, writing
// report.json and report.md into out.
func RunImageWide(ctx context.Context, cfg ImageWideConfig, out string, progress io.Writer) (*ImageWideReport, error) {
	start := time.Now()
	if progress == nil {
		progress = io.Discard
	}
	if cfg.Mode != "msp" && cfg.Mode != "so" && cfg.Mode != "gan" {
		return nil, fmt.Errorf("image-wide mode %q: want msp, so or gan", cfg.Mode)
	}
	if cfg.Mode == "gan" {
		if !(cfg.Lambda > 0) {
			return nil, fmt.Errorf("image-wide gan mode: lambda %g: the classifier's KL weight must be positive (the generator learns from that term)", cfg.Lambda)
		}
		if err := cfg.GAN.check(); err != nil {
			return nil, fmt.Errorf("image-wide %w", err)
		}
	}
	if err := checkFlowTemperature(cfg.FlowTemperature); err != nil {
		return nil, fmt.Errorf("image-wide flow sampling %w", err)
	}
	if cfg.FlowSegWeight < 0 || cfg.FlowLR <= 0 || cfg.FlowWarmup < 0 {
		return nil, fmt.Errorf("image-wide flow: seg weight %g, learning rate %g, warm-up %d: none may be negative, the rate must be positive",
			cfg.FlowSegWeight, cfg.FlowLR, cfg.FlowWarmup)
	}
	if cfg.Batch < 1 || cfg.Replicas < 1 {
		return nil, fmt.Errorf("image-wide batch %d, replicas %d: both must be >= 1", cfg.Batch, cfg.Replicas)
	}
	train, err := dataset.ReadIDX(filepath.Join(cfg.Data, "train-images-idx3-ubyte.gz"), filepath.Join(cfg.Data, "train-labels-idx1-ubyte.gz"))
	if err != nil {
		return nil, fmt.Errorf("fashion-mnist (apt install dataset-fashion-mnist): %w", err)
	}
	test, err := dataset.ReadIDX(filepath.Join(cfg.Data, "t10k-images-idx3-ubyte.gz"), filepath.Join(cfg.Data, "t10k-labels-idx1-ubyte.gz"))
	if err != nil {
		return nil, err
	}
	mnistDir := cfg.MNIST
	if mnistDir == "" {
		if mnistDir, err = dataset.MNISTDir(); err != nil {
			return nil, fmt.Errorf("MNIST (point --mnist at a folder with %s and t10k-labels-idx1-ubyte.gz): %w", dataset.MNISTTestImages, err)
		}
	}
	mnist, err := dataset.ReadIDX(filepath.Join(mnistDir, "t10k-images-idx3-ubyte.gz"), filepath.Join(mnistDir, "t10k-labels-idx1-ubyte.gz"))
	if err != nil {
		return nil, err
	}
	natural, err := naturalCrops(cfg.Natural, 2000, 28, cfg.Seed)
	if err != nil {
		return nil, err
	}
	if cfg.Limit > 0 {
		for _, m := range []*dataset.Images{train, test, mnist, natural} {
			m.N = min(m.N, cfg.Limit)
		}
	}
	net, err := NewClassifier(10, 1, cfg.Widths, cfg.Seed)
	if err != nil {
		return nil, err
	}
	n := cfg.Batch
	outliers := cfg.Mode != "msp"
	if outliers {
		n *= 2
	}
	st, err := newSegStep(net, nil, n, 28, 28, cfg.Replicas, outliers)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	st.opt = nn.NewAdam([]nn.Group{{Params: net.Store.Params, LR: cfg.LR}}, cfg.Steps, cfg.LR*1e-3)
	st.Lambda = float32(cfg.Lambda)
	var fs *flowStep
	var flowOpt *nn.Adam
	if cfg.Mode == "so" {
		f, err := NewRNVP(cfg.Flow, cfg.Seed+1)
		if err != nil {
			return nil, err
		}
		if fs, err = newFlowStep(f, cfg.Batch, 28, cfg.FlowSegWeight, cfg.FlowTemperature, false); err != nil {
			return nil, err
		}
		defer fs.Close()
		flowOpt = nn.NewAdam([]nn.Group{{Params: f.Store.Params, LR: cfg.FlowLR}}, 0, 0)
	}
	var gs *ganStep
	if cfg.Mode == "gan" {
		m, err := NewGAN(cfg.GAN, cfg.Seed+1)
		if err != nil {
			return nil, fmt.Errorf("image-wide %w", err)
		}
		if gs, err = newGANStep(m, cfg.Batch); err != nil {
			return nil, err
		}
		defer gs.Close()
	}
	r := rand.New(rand.NewPCG(cfg.Seed, 3))
	if fs != nil && cfg.FlowWarmup > 0 {
		if err := warmUpFlow(ctx, fs, flowOpt, train, cfg.FlowWarmup, r, progress); err != nil {
			return nil, err
		}
	}
	bar := progressbar.NewOptions(cfg.Steps, progressbar.OptionSetWriter(progress),
		progressbar.OptionSetDescription("train "+cfg.Mode), progressbar.OptionShowCount(), progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("step"), progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(500*time.Millisecond))
	deq := dequantSteps([]float32{fashionStd})
	const plane = 28 * 28
	for step := range cfg.Steps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for i := range n {
			k := r.IntN(train.N)
			normalizeGray(train.Image(k), st.Input[i*plane:(i+1)*plane])
			st.Labels[i] = train.Labels[k]
		}
		if fs != nil {
			x, err := fs.Sample(r)
			if err != nil {
				return nil, err
			}
			// Samples take the odd places, so that each replica's batch
			// norms see inliers and outliers alike, as one batch would.
			keep := fs.patch.Float32s()
			for j := range cfg.Batch {
				paste(st.Input, 2*j+1, 28, 28, x[j*plane:(j+1)*plane], keep[j*plane:(j+1)*plane], 28, 0, 0, r, deq)
				st.Labels[2*j+1] = nn.LabelOutlier
			}
		}
		if gs != nil {
			if err := gs.PasteInto(st, r); err != nil {
				return nil, fmt.Errorf("step %d: %w", step+1, err)
			}
		}
		loss, err := st.Run()
		if err != nil {
			return nil, fmt.Errorf("step %d: %w", step+1, err)
		}
		desc := fmt.Sprintf("train %s loss %.3f", cfg.Mode, loss)
		if fs != nil {
			ce, kl := st.Terms()
			desc += fmt.Sprintf(" (ce %.3f kl %.3f)", ce, kl)
			up, g := fs.upstream.Float32s(), st.ImageGrad()
			for j := range cfg.Batch {
				copy(up[j*plane:(j+1)*plane], g[(2*j+1)*plane:(2*j+2)*plane])
			}
			nll, err := fs.Update(flowOpt)
			if err != nil {
				return nil, fmt.Errorf("step %d: %w", step+1, err)
			}
			desc += fmt.Sprintf(" flow nll %.3f", nll)
		}
		if gs != nil {
			ce, kl := st.Terms()
			d, g, err := gs.Update(st, cfg.GAN.Beta/cfg.Lambda)
			if err != nil {
				return nil, fmt.Errorf("step %d: %w", step+1, err)
			}
			desc += fmt.Sprintf(" (ce %.3f kl %.3f) gan d %.3f g %.3f", ce, kl, d, g)
		}
		bar.Describe(desc)
		bar.Add(1)
	}
	bar.Finish()
	fmt.Fprintln(progress)
	if outliers {
		// The last batch: inliers and samples alternate.
		im := batchPreview(st.Input, min(n, 32), 1, 28, 28, []float32{fashionMean}, []float32{fashionStd}, nil, 8)
		if err := os.MkdirAll(out, 0o755); err != nil {
			return nil, err
		}
		if err := imageio.WriteRGB(filepath.Join(out, "samples.png"), im); err != nil {
			return nil, fmt.Errorf("samples: %w", err)
		}
	}

	rep := &ImageWideReport{Mode: cfg.Mode, Steps: cfg.Steps, Config: cfg}
	in, acc, err := classify(net, test)
	if err != nil {
		return nil, err
	}
	rep.Accuracy = acc
	for _, set := range []struct {
		name string
		m    *dataset.Images
	}{{"MNIST (test)", mnist}, {"natural-image crops", natural}} {
		out, _, err := classify(net, set.m)
		if err != nil {
			return nil, err
		}
		for k, kind := range scoreKinds {
			row, err := rankImages(in[k], out[k])
			if err != nil {
				return nil, err
			}
			row.Outliers, row.Score, row.Images = set.name, kind, set.m.N
			rep.Rows = append(rep.Rows, row)
		}
	}
	rep.Seconds = time.Since(start).Seconds()
	return rep, writeImageWide(out, rep)
}

// warmUpFlow trains the flow alone on inlier images (dequantised, NLL
// only: the segmenter's upstream gradient stays zero).
func warmUpFlow(ctx context.Context, fs *flowStep, opt *nn.Adam, train *dataset.Images, steps int, r *rand.Rand, progress io.Writer) error {
	bar := progressbar.NewOptions(steps, progressbar.OptionSetWriter(progress),
		progressbar.OptionSetDescription("flow warm-up"), progressbar.OptionShowCount(), progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("step"), progressbar.OptionThrottle(500*time.Millisecond))
	clear(fs.upstream.Float32s())
	patch := fs.patch.Float32s()
	const plane = 28 * 28
	for step := range steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		for j := range len(patch) / plane {
			dst := patch[j*plane : (j+1)*plane]
			normalizeGray(train.Image(r.IntN(train.N)), dst)
			for i := range dst {
				dst[i] += (r.Float32() - 0.5) / 255 / fashionStd
			}
		}
		nll, err := fs.Update(opt)
		if err != nil {
			return fmt.Errorf("flow warm-up step %d: %w", step+1, err)
		}
		bar.Describe(fmt.Sprintf("flow warm-up nll %.3f", nll))
		bar.Add(1)
	}
	bar.Finish()
	fmt.Fprintln(progress)
	return nil
}

func normalizeGray(src []uint8, dst []float32) {
	for i, v := range src {
		dst[i] = (float32(v)/255 - fashionMean) / fashionStd
	}
}

// scoreKinds are the outlier scores classify returns, in order.
var scoreKinds = [...]string{"msp", "entropy"}

// rankImages is the Table 1 row for inlier and outlier scores. As Table 1
// (and Liang et al.) count it, inliers are the positives, kept at 95 %
// TPR; TNR is the share of outliers rejected there. AUROC and detection
// accuracy are symmetric.
func rankImages(in, out []float32) (ImageWideRow, error) {
	all := make([]float32, 0, len(in)+len(out))
	for _, v := range in {
		all = append(all, -v)
	}
	for _, v := range out {
		all = append(all, -v)
	}
	isIn := make([]bool, len(all))
	for i := range in {
		isIn[i] = true
	}
	rk, err := calibration.RankPixels(all, isIn)
	if err != nil {
		return ImageWideRow{}, err
	}
	return ImageWideRow{TNR95: rk.TNR95, AUROC: rk.AUROC, DetAcc: rk.DetAcc}, nil
}

// classify runs the classifier in evaluation mode over a set and returns
// each image's outlier scores (per scoreKinds: 1 - max softmax and the
// softmax entropy over log K) and the accuracy.
func classify(net *Classifier, set *dataset.Images) ([len(scoreKinds)][]float32, float64, error) {
	const batch = 500
	var scores [len(scoreKinds)][]float32
	g := nn.NewGraph(net.Store)
	x, xv := g.Input("image", batch, 1, 28, 28)
	logits := net.logits(g, x)
	p, err := nn.Compile(g, logits)
	if err != nil {
		return scores, 0, err
	}
	defer p.Close()
	net.Store.SetTrain(false)
	defer net.Store.SetTrain(true)
	for k := range scores {
		scores[k] = make([]float32, set.N)
	}
	k := net.Classes
	logK := math.Log(float64(k))
	prob := make([]float64, k)
	correct := 0
	in := xv.Float32s()
	for lo := 0; lo < set.N; lo += batch {
		hi := min(lo+batch, set.N)
		clear(in)
		for i := lo; i < hi; i++ {
			normalizeGray(set.Image(i), in[(i-lo)*784:(i-lo+1)*784])
		}
		if _, err := p.Run(); err != nil {
			return scores, 0, err
		}
		z := p.Output(0)
		for i := lo; i < hi; i++ {
			row := z[(i-lo)*k : (i-lo+1)*k]
			best, mx := 0, row[0]
			for c, v := range row {
				if v > mx {
					best, mx = c, v
				}
			}
			var sum, h float64
			for c, v := range row {
				prob[c] = math.Exp(float64(v - mx))
				sum += prob[c]
			}
			for _, e := range prob {
				if q := e / sum; q > 0 {
					h -= q * math.Log(q)
				}
			}
			scores[0][i] = float32(1 - 1/sum)
			scores[1][i] = float32(h / logK)
			if best == int(set.Labels[i]) {
				correct++
			}
		}
	}
	return scores, float64(correct) / float64(set.N), nil
}

// naturalCrops cuts count grayscale size x size crops at random places of
// the given photos, each first shrunk by 4 (so a crop holds scene
// structure, not a blur of a few pixels).
func naturalCrops(paths []string, count, size int, seed uint64) (*dataset.Images, error) {
	if len(paths) == 0 {
		return nil, fmt.Errorf("no images for the natural-image outlier crops")
	}
	r := rand.New(rand.NewPCG(seed, 4))
	var grays [][]uint8
	var ws, hs []int
	for _, p := range paths {
		im, err := imageio.ReadFile(p)
		if err != nil {
			return nil, err
		}
		w, h := im.Width/4, im.Height/4
		if w < size || h < size {
			return nil, fmt.Errorf("%s: too small for %dx%d crops", p, size, size)
		}
		g := make([]uint8, w*h)
		for y := range h {
			for x := range w {
				var s int
				for dy := range 4 {
					for dx := range 4 {
						o := 3 * ((4*y+dy)*im.Width + 4*x + dx)
						s += (299*int(im.Pix[o]) + 587*int(im.Pix[o+1]) + 114*int(im.Pix[o+2])) / 1000
					}
				}
				g[y*w+x] = uint8(s / 16)
			}
		}
		grays, ws, hs = append(grays, g), append(ws, w), append(hs, h)
	}
	m := &dataset.Images{N: count, C: 1, H: size, W: size, Pix: make([]uint8, count*size*size), Labels: make([]uint8, count)}
	for i := range count {
		k := r.IntN(len(grays))
		x0, y0 := r.IntN(ws[k]-size+1), r.IntN(hs[k]-size+1)
		for y := range size {
			copy(m.Image(i)[y*size:(y+1)*size], grays[k][(y0+y)*ws[k]+x0:])
		}
	}
	return m, nil
}

func writeImageWide(out string, rep *ImageWideReport) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	js, _ := json.MarshalIndent(rep, "", "  ")
	if err := atomicfile.Write(filepath.Join(out, "report.json"), append(js, '\n')); err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(out, "report.md"), []byte(rep.Markdown()))
}

// Markdown is the report as the paper's Table 1 reads: one row per
// outlier set.
func (r *ImageWideReport) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Image-wide open-set recognition: Fashion-MNIST, mode %s\n\n", r.Mode)
	fmt.Fprintf(&b, "%d steps, Fashion-MNIST test accuracy %.2f %%, %.0f s. Scores at T = 1: msp is 1 - max softmax, entropy the softmax entropy.\n\n", r.Steps, 100*r.Accuracy, r.Seconds)
	b.WriteString("| outliers | score | images | TNR at 95 % TPR | AUROC | detection accuracy |\n|---|---|---|---|---|---|\n")
	for _, row := range r.Rows {
		fmt.Fprintf(&b, "| %s | %s | %d | %.2f %% | %.2f %% | %.2f %% |\n", row.Outliers, row.Score, row.Images, 100*row.TNR95, 100*row.AUROC, 100*row.DetAcc)
	}
	return b.String()
}
