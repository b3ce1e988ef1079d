package nn

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Workspace is scratch memory shared by the ops of one graph: gorgonia's
// tape machine runs one op at a time, so one buffer per worker goroutine
// serves them all.
type Workspace struct {
	// KeepColumns stores every image's column matrix in the forward pass
	// for the weight gradient, instead of recomputing it there: faster by
	// one im2col per conv, at K² times each conv input in memory. Off by
	// default; `osr bench train` measures both.
	KeepColumns bool
	// Workers caps the goroutines a conv uses (0: one per core); replicas
	// of a batch that run at once take one each.
	Workers int
	// Spare, when set, are cores that graphs running at once share: a
	// conv takes free ones for more of its images than Workers, so that
	// the replica that finishes last in a step does not run its last
	// convolutions on one core while the others idle.
	Spare *Cores

	cols, parts [][]float32
	slots       [][]float32 // scratch of ops that recompute (dense blocks)
	turned      []float32   // a kernel turned for convDX, [C x out·K·K]
}

// workers is how many goroutines an op over n images uses.
func (ws *Workspace) workers(n int) int {
	k := runtime.GOMAXPROCS(0)
	if ws.Workers > 0 {
		k = ws.Workers
	}
	return max(1, min(k, n))
}

// Cores counts the free cores of a machine that several graphs share.
type Cores struct{ free atomic.Int32 }

// Set makes n cores free.
func (c *Cores) Set(n int) { c.free.Store(int32(n)) }

// Give frees n cores.
func (c *Cores) Give(n int) { c.free.Add(int32(n)) }

// take takes up to n free cores and returns how many it took.
func (c *Cores) take(n int) int {
	for {
		f := c.free.Load()
		k := min(f, int32(n))
		if k <= 0 {
			return 0
		}
		if c.free.CompareAndSwap(f, f-k) {
			return int(k)
		}
	}
}

// col is worker w's column buffer of at least n floats.
func (ws *Workspace) col(w, n int) []float32 {
	ws.cols[w] = grow(ws.cols[w], n)
	return ws.cols[w]
}

// sizeParts sizes image i's partial-sum buffer to m floats for images [1, n),
// before the workers start, so that they never append.
func (ws *Workspace) sizeParts(n, m int) {
	for len(ws.parts) < n {
		ws.parts = append(ws.parts, nil)
	}
	for i := 1; i < n; i++ {
		ws.parts[i] = grow(ws.parts[i], m)
	}
}

// forImages runs fn for images [0, n), split over workers(n) goroutines
// and as many spare cores as are free; each image runs im2col and a
// single-threaded GEMM on its worker, with that worker's buffers in ws.
// What an image computes must not depend on how the images are split.
func (ws *Workspace) forImages(n int, fn func(worker, lo, hi int)) {
	k := ws.workers(n)
	if ws.Spare != nil && k < n {
		extra := ws.Spare.take(min(n, runtime.GOMAXPROCS(0)) - k)
		defer ws.Spare.Give(extra)
		k += extra
	}
	// Sized here, before the workers start, so that they never append.
	for len(ws.cols) < k {
		ws.cols = append(ws.cols, nil)
	}
	if k == 1 {
		fn(0, 0, n)
		return
	}
	var wg sync.WaitGroup
	for w := range k {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(w, w*n/k, (w+1)*n/k)
		}()
	}
	wg.Wait()
}

// ConvSpec is a square convolution's kernel size, stride and padding.
type ConvSpec struct{ K, Stride, Pad int }

func (s ConvSpec) out(n int) int { return (n+2*s.Pad-s.K)/s.Stride + 1 }

// pointwise convolutions need no im2col: the input is the column matrix.
func (s ConvSpec) pointwise() bool { return s.K == 1 && s.Stride == 1 && s.Pad == 0 }

// geometry is one convolution's sizes for an input of c x h x w.
type geometry struct {
	ConvSpec
	c, h, w, oh, ow int
}

func newGeometry(s ConvSpec, c, h, w int) geometry {
	return geometry{ConvSpec: s, c: c, h: h, w: w, oh: s.out(h), ow: s.out(w)}
}

func (g geometry) kk() int { return g.c * g.K * g.K }
func (g geometry) p() int  { return g.oh * g.ow }

// tileRows is how many output rows one GEMM takes: enough to keep the
// GEMM efficient, few enough that the tile's column matrix (about 256 KiB)
// is still in cache when the GEMM reads it after im2col wrote it.
func (g geometry) tileRows() int {
	if g.pointwise() {
		return g.oh
	}
	return max(1, min(g.oh, (64<<10)/(g.kk()*g.ow)))
}

// tiles calls fn for each row tile [oy0, oy1) with the tile's column matrix
// of image x filled (x itself for pointwise convolutions).
func (g geometry) tiles(ws *Workspace, wk int, x []float32, fn func(oy0, oy1 int, col []float32)) {
	rows := g.tileRows()
	for oy0 := 0; oy0 < g.oh; oy0 += rows {
		oy1 := min(oy0+rows, g.oh)
		if g.pointwise() {
			fn(oy0, oy1, x)
			continue
		}
		col := ws.col(wk, g.kk()*(oy1-oy0)*g.ow)
		im2colRows(x, g.c, g.h, g.w, g.K, g.Stride, g.Pad, g.ow, oy0, oy1, col)
		fn(oy0, oy1, col)
	}
}

// view is the [rows x n] block at column off of a row-major matrix with
// ld columns.
func view(d []float32, rows, n, ld, off int) blas32.General {
	return blas32.General{Rows: rows, Cols: n, Stride: ld, Data: d[off:]}
}

// Conv is a 2-D convolution of x [N,C,H,W] with w [O,C,K,K] and, when b is
// not nil, a bias [O]: im2col and one OpenBLAS GEMM per image.
func Conv(ws *Workspace, x, w, b *G.Node, s ConvSpec) (*G.Node, error) {
	o := &convOp{op: newOp(fmt.Sprintf("conv%dx%d/%d", s.K, s.K, s.Stride), 4, 4, 4), spec: s, ws: ws}
	in := G.Nodes{x, w}
	if b != nil {
		o.in = append(o.in, 1)
		in = append(in, b)
	}
	return G.ApplyOp(o, in...)
}

type convOp struct {
	op
	spec ConvSpec
	ws   *Workspace
	kept []float32 // every image's column matrix, with KeepColumns
}

func (o *convOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	n, c, h, w, err := shape4(in[0])
	if err != nil {
		return nil, err
	}
	ws := in[1].(tensor.Shape)
	if len(ws) != 4 || ws[1] != c || ws[2] != o.spec.K || ws[3] != o.spec.K {
		return nil, fmt.Errorf("%s: weight %v does not fit input %v", o.name, ws, in[0])
	}
	return tensor.Shape{n, ws[0], o.spec.out(h), o.spec.out(w)}, nil
}

func (o *convOp) geometry(x G.Value) (n int, g geometry) {
	n, c, h, w := dims(x)
	return n, newGeometry(o.spec, c, h, w)
}

func (o *convOp) Do(in ...G.Value) (G.Value, error) {
	n, g := o.geometry(in[0])
	out := in[1].Shape()[0]
	y := o.output(false, n, out, g.oh, g.ow)
	var bias []float32
	if len(in) == 3 {
		bias = f32(in[2])
	}
	if o.ws.KeepColumns && !g.pointwise() {
		o.kept = grow(o.kept, n*g.kk()*g.p())
	}
	o.ws.convForward(g, n, out, f32(in[0]), f32(in[1]), bias, f32(y), o.kept)
	return y, nil
}

// convForward is y [n,out,oh,ow] = w ⊛ x (+ bias). With kept (n column
// matrices long) it stores each image's column matrix there.
func (ws *Workspace) convForward(g geometry, n, out int, x, wt, bias, yd, kept []float32) {
	wm := view(wt, out, g.kk(), g.kk(), 0)
	beta := float32(0)
	if bias != nil {
		beta = 1
	}
	ws.forImages(n, func(wk, lo, hi int) {
		for i := lo; i < hi; i++ {
			yi := yd[i*out*g.p() : (i+1)*out*g.p()]
			for c, bc := range bias {
				fill(yi[c*g.p():(c+1)*g.p()], bc)
			}
			if kept != nil {
				col := kept[i*g.kk()*g.p() : (i+1)*g.kk()*g.p()]
				im2colRows(x[i*g.c*g.h*g.w:], g.c, g.h, g.w, g.K, g.Stride, g.Pad, g.ow, 0, g.oh, col)
				blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, wm, view(col, g.kk(), g.p(), g.p(), 0),
					beta, view(yi, out, g.p(), g.p(), 0))
				continue
			}
			g.tiles(ws, wk, x[i*g.c*g.h*g.w:], func(oy0, oy1 int, col []float32) {
				cols := (oy1 - oy0) * g.ow
				ld, off := cols, 0
				if g.pointwise() {
					ld, off = g.p(), oy0*g.ow
				}
				blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, wm, view(col, g.kk(), cols, ld, off),
					beta, view(yi, out, cols, g.p(), oy0*g.ow))
			})
		}
	})
}

func (o *convOp) DiffWRT(n int) []bool { return trues(n) }

func (o *convOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(&convDataGrad{op: newOp(o.name+"/dx", 4, 4, 4, 4), spec: o.spec, ws: o.ws}, in[0], in[1], grad)
	if err != nil {
		return nil, err
	}
	dw, err := G.ApplyOp(&convFilterGrad{op: newOp(o.name+"/dw", 4, 4, 4), spec: o.spec, ws: o.ws, fwd: o}, in[0], grad)
	if err != nil {
		return nil, err
	}
	out := G.Nodes{dx, dw}
	if len(in) == 3 {
		db, err := G.ApplyOp(&biasGrad{op: newOp(o.name+"/db", 1, 4)}, grad)
		if err != nil {
			return nil, err
		}
		out = append(out, db)
	}
	return out, nil
}

// convDataGrad is dL/dx = col2im(Wᵀ·dy). It takes x only for its shape.
// A stride-1 convolution's is itself a convolution: dy, padded by K-1-pad,
// with the kernel turned by 180° and its in and out channels swapped. That
// is one GEMM over out·K² taps per tile instead of a GEMM over out
// channels (16 in a dense layer) into a column matrix K² times the input,
// which col2im then adds up.
type convDataGrad struct {
	op
	spec ConvSpec
	ws   *Workspace
}

func (o *convDataGrad) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	return in[0].(tensor.Shape).Clone(), nil
}

func (o *convDataGrad) Do(in ...G.Value) (G.Value, error) {
	n, c, h, w := dims(in[0])
	g := newGeometry(o.spec, c, h, w)
	dx := o.output(false, n, c, h, w)
	o.ws.convDX(g, n, in[1].Shape()[0], f32(in[1]), f32(in[2]), f32(dx))
	return dx, nil
}

// convDX is dx for n images: a convolution of dy with the turned kernel
// for stride 1, else col2im(wᵀ·dy).
func (ws *Workspace) convDX(g geometry, n, out int, wt, dy, dxd []float32) {
	if g.turnable() {
		ws.turnedDX(g, n, out, wt, dy, dxd)
		return
	}
	ws.col2imDX(g, n, out, wt, dy, dxd)
}

// turnable is whether dx can be computed as a convolution of dy.
func (g geometry) turnable() bool { return g.Stride == 1 && !g.pointwise() && g.Pad <= g.K-1 }

// turnedDX is dx for stride 1: a convolution of dy, padded by K-1-pad,
// with the turned kernel.
func (ws *Workspace) turnedDX(g geometry, n, out int, wt, dy, dx []float32) {
	k := g.K
	t := newGeometry(ConvSpec{K: k, Stride: 1, Pad: k - 1 - g.Pad}, out, g.oh, g.ow)
	ws.turned = turnKernel(wt, out, g.c, k, ws.turned)
	tm := view(ws.turned, g.c, t.kk(), t.kk(), 0)
	plane := g.c * g.h * g.w
	ws.forImages(n, func(wk, lo, hi int) {
		for i := lo; i < hi; i++ {
			t.apply(ws, wk, tm, dy[i*out*g.p():], 0, dx[i*plane:(i+1)*plane])
		}
	})
}

// turnKernel writes w [out x c x k x k] turned by 180° with in and out
// swapped, [c x out x k x k], into dst.
func turnKernel(w []float32, out, c, k int, dst []float32) []float32 {
	dst = grow(dst, len(w))
	kk := k * k
	for o := range out {
		for ci := range c {
			src, d := w[(o*c+ci)*kk:][:kk], dst[(ci*out+o)*kk:][:kk]
			for j, v := range src {
				d[kk-1-j] = v
			}
		}
	}
	return dst
}

// apply is one image's convolution y = W·im2col(x) (+ beta·y), tile by
// tile, on worker wk; wm is the [out x kk] weight matrix.
func (g geometry) apply(ws *Workspace, wk int, wm blas32.General, x []float32, beta float32, y []float32) {
	g.tiles(ws, wk, x, func(oy0, oy1 int, col []float32) {
		cols := (oy1 - oy0) * g.ow
		ld, off := cols, 0
		if g.pointwise() {
			ld, off = g.p(), oy0*g.ow
		}
		blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, wm, view(col, g.kk(), cols, ld, off),
			beta, view(y, wm.Rows, cols, g.p(), oy0*g.ow))
	})
}

// col2imDX is dx = col2im(wᵀ·dy) for n images, any stride.
func (ws *Workspace) col2imDX(g geometry, n, out int, wt, dy, dxd []float32) {
	c, h, w := g.c, g.h, g.w
	wm := view(wt, out, g.kk(), g.kk(), 0)
	ws.forImages(n, func(wk, lo, hi int) {
		for i := lo; i < hi; i++ {
			dxi := dxd[i*c*h*w : (i+1)*c*h*w]
			dyi := dy[i*out*g.p():]
			if g.pointwise() {
				blas32.Gemm(blas.Trans, blas.NoTrans, 1, wm, view(dyi, out, g.p(), g.p(), 0),
					0, view(dxi, g.kk(), g.p(), g.p(), 0))
				continue
			}
			clear(dxi)
			rows := g.tileRows()
			for oy0 := 0; oy0 < g.oh; oy0 += rows {
				oy1 := min(oy0+rows, g.oh)
				cols := (oy1 - oy0) * g.ow
				dcol := ws.col(wk, g.kk()*cols)
				blas32.Gemm(blas.Trans, blas.NoTrans, 1, wm, view(dyi, out, cols, g.p(), oy0*g.ow),
					0, view(dcol, g.kk(), cols, cols, 0))
				col2imRows(dcol, c, h, w, g.K, g.Stride, g.Pad, g.ow, oy0, oy1, dxi)
			}
		}
	})
}

// convFilterGrad is dL/dW = Σ_images dy·im2col(x)ᵀ. It recomputes im2col
// instead of keeping every image's column matrix from the forward pass:
// that matrix is K² times the input, the largest buffer a conv net has.
type convFilterGrad struct {
	op
	spec ConvSpec
	ws   *Workspace
	fwd  *convOp
}

func (o *convFilterGrad) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	_, c, _, _, err := shape4(in[0])
	if err != nil {
		return nil, err
	}
	_, out, _, _, err := shape4(in[1])
	return tensor.Shape{out, c, o.spec.K, o.spec.K}, err
}

func (o *convFilterGrad) Do(in ...G.Value) (G.Value, error) {
	n, c, h, w := dims(in[0])
	g := newGeometry(o.spec, c, h, w)
	out := in[1].Shape()[1]
	dw := o.output(false, out, c, o.spec.K, o.spec.K)
	o.ws.convDW(g, n, out, f32(in[0]), f32(in[1]), o.fwd.kept, f32(dw))
	return dw, nil
}

// convDW is dw = Σ_images dy·im2col(x)ᵀ, from the column matrices in kept
// when the forward pass stored them. Each image's term is a sum of its own
// (image 0's in d itself), added up in image order after, so that dw is
// the same however the images are split over workers.
func (ws *Workspace) convDW(g geometry, n, out int, x, dy, kept, d []float32) {
	c, h, w := g.c, g.h, g.w
	ws.sizeParts(n, len(d))
	ws.forImages(n, func(wk, lo, hi int) {
		for i := lo; i < hi; i++ {
			part := d
			if i > 0 {
				part = ws.parts[i]
			}
			clear(part)
			pm := view(part, out, g.kk(), g.kk(), 0)
			dyi := dy[i*out*g.p():]
			if kept != nil {
				blas32.Gemm(blas.NoTrans, blas.Trans, 1, view(dyi, out, g.p(), g.p(), 0),
					view(kept[i*g.kk()*g.p():], g.kk(), g.p(), g.p(), 0), 1, pm)
				continue
			}
			g.tiles(ws, wk, x[i*c*h*w:], func(oy0, oy1 int, col []float32) {
				cols := (oy1 - oy0) * g.ow
				ld, off := cols, 0
				if g.pointwise() {
					ld, off = g.p(), oy0*g.ow
				}
				blas32.Gemm(blas.NoTrans, blas.Trans, 1, view(dyi, out, cols, g.p(), oy0*g.ow),
					view(col, g.kk(), cols, ld, off), 1, pm)
			})
		}
	})
	for i := 1; i < n; i++ {
		for j, v := range ws.parts[i][:len(d)] {
			d[j] += v
		}
	}
}

// biasGrad sums dy [N,C,H,W] over everything but channels.
type biasGrad struct{ op }

func (o *biasGrad) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	_, c, _, _, err := shape4(in[0])
	return tensor.Shape{c}, err
}

func (o *biasGrad) Do(in ...G.Value) (G.Value, error) {
	n, c, h, w := dims(in[0])
	db := o.output(true, c)
	channelSums(f32(in[0]), nil, n, c, h*w, f32(db))
	return db, nil
}

// channelSums adds Σ a (or Σ a·b when b is not nil) per channel into dst.
func channelSums(a, b []float32, n, c, p int, dst []float32) {
	for i := range n {
		for ch := range c {
			off := (i*c + ch) * p
			s := float32(0)
			if b == nil {
				for _, v := range a[off : off+p] {
					s += v
				}
			} else {
				bb := b[off : off+p]
				for j, v := range a[off : off+p] {
					s += v * bb[j]
				}
			}
			dst[ch] += s
		}
	}
}

func fill(s []float32, v float32) {
	for i := range s {
		s[i] = v
	}
}

func trues(n int) []bool {
	b := make([]bool, n)
	for i := range b {
		b[i] = true
	}
	return b
}
