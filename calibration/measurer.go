package calibration

import (
	"context"
	"fmt"

	"osr/internal/imageio"
	"osr/model"
)

// Slot is one inference handed from the goroutine that runs the model to
// the one that measures it. Slots are reused: fill every field.
type Slot struct {
	Name  string
	Stamp int64
	Image imageio.RGB
	GT    []uint8 // ground truth in the model's classes; nil when there is none
	Res   model.Result

	// The slot's own copies of the outputs, which Submit fills.
	labels, mask []uint8
	score        []float32
	logits       []float32
}

// keep gives the result outputs of its own: an engine may hand out its
// output tensors (the logits always, everything at the model's size), and
// it overwrites them with the next frame while this one is measured.
// Outputs already in the slot's own buffers (the engine upsampled them
// into the slot's Result, which keep gave those buffers) stay where they
// are: a copy onto itself would cost a pass over a megabyte per frame.
func (s *Slot) keep() {
	r := &s.Res
	r.Labels = own(&s.labels, r.Labels)
	r.Score = own(&s.score, r.Score)
	r.Mask = own(&s.mask, r.Mask)
	if r.Logits != nil {
		r.Logits = own(&s.logits, r.Logits)
	}
}

// own puts v in *buf, unless it is *buf's content already, and returns
// *buf.
func own[T any](buf *[]T, v []T) []T {
	if b := *buf; len(v) > 0 && len(b) == len(v) && &b[0] == &v[0] {
		return b
	}
	*buf = append((*buf)[:0], v...)
	return *buf
}

// Measurer runs measure on its own goroutine over the slots submitted to
// it, in order, with two slots in flight, so that the metrics of one frame
// overlap the inference of the next. The first error from measure stops
// it: Next then fails, and Close returns that error.
type Measurer struct {
	ctx       context.Context
	cancel    context.CancelFunc
	free, ran chan *Slot
	done      chan struct{}
	err       error
}

// NewMeasurer starts a measurer. A cancelled ctx stops it as well.
func NewMeasurer(ctx context.Context, measure func(*Slot) error) *Measurer {
	m := &Measurer{free: make(chan *Slot, 2), ran: make(chan *Slot, 2), done: make(chan struct{})}
	m.ctx, m.cancel = context.WithCancel(ctx)
	m.free <- &Slot{}
	m.free <- &Slot{}
	go func() {
		defer close(m.done)
		for s := range m.ran {
			if m.err == nil && ctx.Err() == nil {
				if err := measure(s); err != nil {
					m.err = fmt.Errorf("%s: %w", s.Name, err)
					m.cancel()
				}
			}
			m.free <- s
		}
	}()
	return m
}

// Next waits for a free slot. It fails once measuring has failed or the
// context is done; the caller then stops and calls Close.
func (m *Measurer) Next() (*Slot, error) {
	select {
	case s := <-m.free:
		return s, nil
	case <-m.ctx.Done():
		return nil, m.ctx.Err()
	}
}

// Release gives back a slot from Next that will not be submitted.
func (m *Measurer) Release(s *Slot) { m.free <- s }

// Submit hands a filled slot (from Next) to the measuring goroutine,
// with its outputs copied out of the engine's reach.
func (m *Measurer) Submit(s *Slot) {
	s.keep()
	m.ran <- s
}

// Done is closed when measuring has failed or the context is done.
func (m *Measurer) Done() <-chan struct{} { return m.ctx.Done() }

// Close waits for the submitted slots to be measured and returns the
// first error measure returned.
func (m *Measurer) Close() error {
	close(m.ran)
	<-m.done
	m.cancel()
	return m.err
}
