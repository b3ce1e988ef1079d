package model

import (
	"errors"
	"fmt"

	ort "github.com/yalue/onnxruntime_go"
)

// batchRun is a session for n frames in one run: the model's fixed batch
// dimension of 1 rewritten to n (onnxgraph.Batched), since osr's exported
// models have no dynamic one. A layout per position keeps cameras of
// different sizes from rebuilding each other's.
type batchRun struct {
	n       int
	session *ort.AdvancedSession
	input   *ort.Tensor[float32]
	labels  *ort.Tensor[uint8]
	score   *ort.Tensor[float32]
	mask    *ort.Tensor[uint8]
	layouts []Layout
}

// newBatches opens the sessions for 2..Options.MaxBatch frames on device
// with scoring sc.
func (e *Engine) newBatches(sc Scoring, device string) (map[int]*batchRun, error) {
	if e.opts.MaxBatch <= 1 {
		return nil, nil
	}
	if e.opts.Logits {
		return nil, errors.New("batches (MaxBatch) and logits cannot be combined")
	}
	runs := map[int]*batchRun{}
	for n := 2; n <= e.opts.MaxBatch; n++ {
		b, err := e.newBatch(sc, device, n)
		if err != nil {
			err = fmt.Errorf("%w (batches need the model's batch dimension; the node's max_batch: 1 runs frames one at a time)", err)
			return nil, errors.Join(err, closeBatches(runs))
		}
		runs[n] = b
	}
	return runs, nil
}

func (e *Engine) newBatch(sc Scoring, device string, n int) (b *batchRun, err error) {
	graph, err := e.scoredGraph(sc, n)
	if err != nil {
		return nil, err
	}
	w, h := int64(e.spec.Input.Width), int64(e.spec.Input.Height)
	b = &batchRun{n: n, layouts: make([]Layout, n)}
	defer func() {
		if err != nil {
			err = errors.Join(err, b.close())
		}
	}()
	if b.input, err = ort.NewEmptyTensor[float32](ort.NewShape(int64(n), 3, h, w)); err != nil {
		return b, err
	}
	if b.labels, err = ort.NewEmptyTensor[uint8](ort.NewShape(int64(n), h, w)); err != nil {
		return b, err
	}
	if b.score, err = ort.NewEmptyTensor[float32](ort.NewShape(int64(n), h, w)); err != nil {
		return b, err
	}
	if b.mask, err = ort.NewEmptyTensor[uint8](ort.NewShape(int64(n), h, w)); err != nil {
		return b, err
	}
	b.session, _, _, err = e.newSession(graph, device, b.input, []string{OutLabels, OutScore, OutMask},
		[]ort.Value{b.labels, b.score, b.mask})
	if err != nil {
		return b, fmt.Errorf("batch of %d: %w", n, err)
	}
	return b, nil
}

func (b *batchRun) close() error {
	var errs []error
	if b.session != nil {
		errs = append(errs, b.session.Destroy())
	}
	if b.input != nil {
		errs = append(errs, b.input.Destroy())
	}
	if b.score != nil {
		errs = append(errs, b.score.Destroy())
	}
	for _, t := range []*ort.Tensor[uint8]{b.labels, b.mask} {
		if t != nil {
			errs = append(errs, t.Destroy())
		}
	}
	return errors.Join(errs...)
}

func closeBatches(runs map[int]*batchRun) error {
	var errs []error
	for _, b := range runs {
		errs = append(errs, b.close())
	}
	return errors.Join(errs...)
}

// MaxBatch is the most frames RunBatch takes.
func (e *Engine) MaxBatch() int { return max(1, e.opts.MaxBatch) }

// RunBatch processes frames in one run of the model, into outs (one per
// frame). Each result is what Run gives for its frame alone; at the
// model's size results share the batch's output tensors until the next
// run. A frame that fails its check is an error naming its position.
func (e *Engine) RunBatch(ims []Image, outs []*Result) error {
	if len(ims) != len(outs) {
		return fmt.Errorf("run batch: %d frames, %d results", len(ims), len(outs))
	}
	switch len(ims) {
	case 0:
		return nil
	case 1:
		return e.Run(ims[0], outs[0])
	}
	for i, im := range ims {
		if err := im.Check(); err != nil {
			return fmt.Errorf("frame %d of the batch: %w", i, err)
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.session == nil {
		return errors.New("engine is closed")
	}
	b := e.batches[len(ims)]
	if b == nil {
		return fmt.Errorf("run batch: %d frames, the engine takes at most %d (Options.MaxBatch)", len(ims), e.MaxBatch())
	}
	px := e.spec.Input.Width * e.spec.Input.Height
	in, labels, score, mask := b.input.GetData(), b.labels.GetData(), b.score.GetData(), b.mask.GetData()
	for i, im := range ims {
		l := &b.layouts[i]
		if !l.Fits(im) {
			*l = NewLayout(im.Width, im.Height, e.spec.Input, e.opts.Letterbox)
		}
		if err := Preprocess(in[i*3*px:(i+1)*3*px], im, l, e.norm, e.pool); err != nil {
			return err
		}
	}
	if err := b.session.Run(); err != nil {
		return fmt.Errorf("onnxruntime run (batch of %d): %w", len(ims), err)
	}
	for i, im := range ims {
		s := i * px
		if err := Postprocess(outs[i], im, &b.layouts[i], e.painter, labels[s:s+px], score[s:s+px], mask[s:s+px], e.pool); err != nil {
			return err
		}
		outs[i].Logits = nil
	}
	return nil
}
