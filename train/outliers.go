package train

import (
	"fmt"
	"math"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"osr/train/nn"
)

// patchSides are the square outlier sizes for crops of w x h: the
// multiples of step whose area is between share[0] and share[1] of the
// crop (the paper pastes sides 64..144 into 512-pixel images, 1.5-8 % of
// the area). At least one size is returned.
func patchSides(w, h, step int, share [2]float64) []int {
	area := float64(w * h)
	var out []int
	for s := step; s <= min(w, h); s += step {
		if a := float64(s*s) / area; a >= share[0] && a <= share[1] {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		out = append(out, max(step, min(w, h)/step*step))
	}
	return out
}

// flowStep is the Real NVP's compiled programs for one patch side: Sample
// draws x = RNVP⁻¹(z) for fresh z, Train then updates the flow from
// NLL(replaced patches)/D + Σ x·g, where g is the segmenter loss gradient
// at the pasted pixels. Train recomputes the inverse from the same z
// rather than keeping the sampling pass's activations.
type flowStep struct {
	side     int
	zs       []*tensor.Dense
	upstream *tensor.Dense // g, [N,3,side,side]
	patch    *tensor.Dense // real patches, [N,3,side,side]
	temp     float32       // z is drawn from N(0, temp²·I)
	sample   *nn.Program
	train    *nn.Program
	nll      float64
}

func newFlowStep(f *RNVP, n, side int, segWeight, temp float64, keepColumns bool) (*flowStep, error) {
	if !(temp > 0) {
		return nil, fmt.Errorf("flow: sampling temperature %g must be positive", temp)
	}
	g := nn.NewGraph(f.Store)
	g.WS.KeepColumns = keepColumns
	fs := &flowStep{side: side, temp: float32(temp)}
	var zs []*G.Node
	for i, s := range f.LatentShapes(n, side, side) {
		z, zv := g.Input(fmt.Sprintf("z%d", i), s...)
		zs = append(zs, z)
		fs.zs = append(fs.zs, zv)
	}
	x := f.Inverse(g, zs)
	c := f.Config.Channels
	up, uv := g.Input("upstream", n, c, side, side)
	patch, pv := g.Input("patch", n, c, side, side)
	pz, logdet := f.Forward(g, patch)
	nll := f.NLL(g, pz, logdet)
	perDim := g.Apply(func() (*G.Node, error) {
		return G.Mul(nll, G.NewConstant(float32(1/float64(n*c*side*side))))
	})
	push := g.Apply(func() (*G.Node, error) {
		return G.Mul(G.Must(G.Sum(G.Must(G.HadamardProd(x, up)))), G.NewConstant(float32(segWeight)))
	})
	loss := g.Apply(func() (*G.Node, error) { return G.Add(perDim, push) })
	if err := g.Err(); err != nil {
		return nil, err
	}
	sample, err := nn.Compile(g, x)
	if err != nil {
		return nil, err
	}
	train, err := nn.CompileLoss(g, loss, nil, perDim)
	if err != nil {
		sample.Close()
		return nil, err
	}
	fs.upstream, fs.patch, fs.sample, fs.train = uv, pv, sample, train
	return fs, nil
}

// Sample draws z ~ N(0, T²·I) from r (T = 1 is the paper's; a lower
// temperature gives smoother samples nearer the flow's modes) and returns
// x = RNVP⁻¹(z).
func (fs *flowStep) Sample(r *rand.Rand) ([]float32, error) {
	for _, z := range fs.zs {
		for i, d := 0, z.Float32s(); i < len(d); i++ {
			d[i] = fs.temp * float32(r.NormFloat64())
		}
	}
	if _, err := fs.sample.Run(); err != nil {
		return nil, err
	}
	return fs.sample.Output(0), nil
}

// Train runs the flow's loss for the z of the last Sample, adding the
// gradients into the flow's parameters; it returns the patch NLL in nats
// per dimension.
func (fs *flowStep) Train() (float64, error) {
	if _, err := fs.train.Run(); err != nil {
		return 0, fmt.Errorf("flow: %w", err)
	}
	fs.nll = float64(fs.train.Output(0)[0])
	if math.IsNaN(fs.nll) || math.IsInf(fs.nll, 0) {
		return fs.nll, fmt.Errorf("flow: patch NLL: %w", nn.ErrNonFinite)
	}
	return fs.nll, nil
}

// Update is Train followed by one step of the flow's optimiser, whose
// gradients it then clears. It returns the patch NLL per dimension.
func (fs *flowStep) Update(opt *nn.Adam) (float64, error) {
	nll, err := fs.Train()
	if err != nil {
		return nll, err
	}
	opt.Step(1)
	for _, g := range opt.Groups {
		for _, p := range g.Params {
			p.ZeroGrad()
		}
	}
	return nll, nil
}

func (fs *flowStep) Close() {
	fs.sample.Close()
	fs.train.Close()
}

// paste puts patch p [C,s,s] (one image's sample) into image i of the
// batch [N,C,h,w] at (x0, y0), keeping what it covers in keep (with
// dequantisation noise, for the flow's NLL).
func paste(in []float32, i, h, w int, p, keep []float32, s, x0, y0 int, r *rand.Rand, deq []float32) {
	takePatch(in, i, h, w, keep, s, x0, y0, r, deq)
	plane, c := h*w, len(deq)
	for ch := range c {
		src := in[(i*c+ch)*plane:]
		for y := range s {
			copy(src[(y0+y)*w+x0:(y0+y)*w+x0+s], p[(ch*s+y)*s:(ch*s+y+1)*s])
		}
	}
}

// takePatch copies image i's square at (x0, y0) into keep [C,s,s], with
// uniform dequantisation noise of one 8-bit step.
func takePatch(in []float32, i, h, w int, keep []float32, s, x0, y0 int, r *rand.Rand, deq []float32) {
	plane, c := h*w, len(deq)
	for ch := range c {
		src := in[(i*c+ch)*plane:]
		for y := range s {
			for x := range s {
				keep[(ch*s+y)*s+x] = src[(y0+y)*w+x0+x] + (r.Float32()-0.5)*deq[ch]
			}
		}
	}
}

// dequantSteps is one 8-bit step of each channel in normalised units. The
// float constant matters: 1 / 255 in integer constants is 0.
func dequantSteps(std []float32) []float32 {
	d := make([]float32, len(std))
	for c, sd := range std {
		d[c] = 1.0 / 255 / sd
	}
	return d
}

// markOutlier labels a pasted square of image i as outlier pixels.
func markOutlier(labels []uint8, i, h, w, s, x0, y0 int) {
	for y := range s {
		for x := range s {
			labels[i*h*w+(y0+y)*w+x0+x] = nn.LabelOutlier
		}
	}
}

// gatherPatch copies image i's gradient at the patch into dst [C,s,s].
func gatherPatch(grad []float32, i, c, h, w, s, x0, y0 int, dst []float32) {
	plane := h * w
	for ch := range c {
		src := grad[(i*c+ch)*plane:]
		for y := range s {
			copy(dst[(ch*s+y)*s:(ch*s+y+1)*s], src[(y0+y)*w+x0:(y0+y)*w+x0+s])
		}
	}
}

// outlierSource makes the pasted outliers of the noise and so modes and,
// in so mode, trains the flow that draws them.
type outlierSource struct {
	cfg     Config
	sides   []int
	flow    *RNVP    // so mode only
	opt     *nn.Adam // the flow's own optimiser
	steps   map[int]*flowStep
	deq     []float32 // one 8-bit step, in normalised units, per channel
	scratch []float32
}

// placement is where one image's outlier went.
type placement struct{ side, x0, y0 int }

func newOutlierSource(cfg Config) (*outlierSource, error) {
	step := 1 << cfg.Flow.Levels
	o := &outlierSource{cfg: cfg, steps: map[int]*flowStep{},
		sides: patchSides(cfg.Crop[0], cfg.Crop[1], step, cfg.PatchArea)}
	o.deq = dequantSteps(cfg.Std[:])
	if cfg.Mode != "so" {
		return o, nil
	}
	f, err := NewRNVP(cfg.Flow, cfg.Seed+1)
	if err != nil {
		return nil, err
	}
	o.flow = f
	// Build one size now: it creates the parameters (a checkpoint restores
	// into them) and fails early on a bad flow config.
	if _, err := o.flowStep(o.sides[0]); err != nil {
		return nil, err
	}
	o.opt = nn.NewAdam([]nn.Group{{Params: f.Store.Params, LR: cfg.FlowTrain.LR}}, 0, 0)
	return o, nil
}

func (o *outlierSource) flowStep(side int) (*flowStep, error) {
	if fs, ok := o.steps[side]; ok {
		return fs, nil
	}
	fs, err := newFlowStep(o.flow, o.cfg.Batch, side, o.cfg.FlowTrain.SegWeight, o.cfg.FlowTrain.Temperature, false)
	if err != nil {
		return nil, fmt.Errorf("flow for %dx%d patches: %w", side, side, err)
	}
	o.steps[side] = fs
	return fs, nil
}

// Paste draws one outlier per image (flow samples in so mode, N(0, 1)
// noise in the normalised input space in noise mode), all of one random
// side, and pastes each at a random place of its crop.
func (o *outlierSource) Paste(r *rand.Rand, st *segStep) ([]placement, error) {
	s := o.sides[r.IntN(len(o.sides))]
	n, per := st.n, 3*s*s
	var x, keep []float32
	if o.flow != nil {
		fs, err := o.flowStep(s)
		if err != nil {
			return nil, err
		}
		if x, err = fs.Sample(r); err != nil {
			return nil, fmt.Errorf("flow sample: %w", err)
		}
		keep = fs.patch.Float32s()
	} else {
		o.scratch = growF32(o.scratch, 2*n*per)
		x, keep = o.scratch[:n*per], o.scratch[n*per:]
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
	}
	placed := make([]placement, n)
	for i := range n {
		p := placement{side: s, x0: r.IntN(st.w - s + 1), y0: r.IntN(st.h - s + 1)}
		paste(st.Input, i, st.h, st.w, x[i*per:(i+1)*per], keep[i*per:(i+1)*per], s, p.x0, p.y0, r, o.deq)
		markOutlier(st.Labels, i, st.h, st.w, s, p.x0, p.y0)
		placed[i] = p
	}
	return placed, nil
}

// Train updates the flow after the segmenter's step: the segmenter loss
// gradient at the pasted pixels flows back into the samples, beside the
// NLL of the patches they replaced. It returns that NLL per dimension.
func (o *outlierSource) Train(st *segStep, placed []placement) (float64, error) {
	return o.upstream(st, placed).Update(o.opt)
}

// upstream hands the segmenter's input gradient at the pasted pixels to
// the flow step that drew them, as the gradient of its samples.
func (o *outlierSource) upstream(st *segStep, placed []placement) *flowStep {
	s := placed[0].side
	fs := o.steps[s]
	up := fs.upstream.Float32s()
	for i, p := range placed {
		gatherPatch(st.ImageGrad(), i, 3, st.h, st.w, s, p.x0, p.y0, up[i*3*s*s:(i+1)*3*s*s])
	}
	return fs
}

// WarmUp is one NLL-only flow step on random patches of the batch in st
// (the segmenter's gradient is left out). It returns the NLL per dimension.
func (o *outlierSource) WarmUp(r *rand.Rand, st *segStep) (float64, error) {
	s := o.sides[r.IntN(len(o.sides))]
	fs, err := o.flowStep(s)
	if err != nil {
		return 0, err
	}
	clear(fs.upstream.Float32s())
	keep, per := fs.patch.Float32s(), 3*s*s
	for i := range st.n {
		takePatch(st.Input, i, st.h, st.w, keep[i*per:(i+1)*per], s, r.IntN(st.w-s+1), r.IntN(st.h-s+1), r, o.deq)
	}
	return fs.Update(o.opt)
}

func (o *outlierSource) Close() {
	for _, fs := range o.steps {
		fs.Close()
	}
}

func growF32(s []float32, n int) []float32 {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]float32, n)
}
