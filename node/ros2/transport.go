//go:build ros2

package ros2

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"osr/msgs"
	"osr/node"
)

// Built reports whether this binary has the ROS 2 transport.
const Built = true

// sink is one output writer. Publish hands the message to the writer's
// goroutine through a one-message slot, so that serialisation and a slow
// reliable subscriber never hold up the pipeline; a message not yet sent
// when the next arrives is replaced.
type sink struct {
	ep     Endpoint
	w      atomic.Int32 // entity; 0 while not connected
	always bool         // publish with no subscriber (diagnostics)
	slot   *node.Slot[any]
}

func newSink(ep Endpoint, always bool) *sink {
	return &sink{ep: ep, always: always, slot: node.NewSlot[any]()}
}

func (s *sink) Publish(m any) { s.slot.Offer(m) }

func (s *sink) HasSubscribers() bool {
	if s.always {
		return true
	}
	w := entity(s.w.Load())
	return w > 0 && matched(w) > 0
}

// run writes what Publish hands over until ctx ends.
func (s *sink) run(ctx context.Context, log *slog.Logger) {
	var lastErr time.Time
	for {
		m, err := s.slot.Take(ctx)
		if err != nil {
			return
		}
		w := entity(s.w.Load())
		if w <= 0 {
			continue
		}
		data, err := encode(m)
		if err == nil {
			err = write(w, data)
		}
		if err != nil && time.Since(lastErr) > 10*time.Second {
			log.Warn("output not sent", "topic", s.ep.Name, "err", err)
			lastErr = time.Now()
		}
	}
}

// Transport connects a pipeline to a DDS domain as a ROS 2 node.
type Transport struct {
	opts Options
	plan Plan
	log  *slog.Logger

	labels, score, mask, overlay, diagnostics *sink
}

// New resolves names, domain and QoS; Run joins the domain.
func New(opts Options) (*Transport, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	plan, err := NewPlan(opts)
	if err != nil {
		return nil, err
	}
	return &Transport{
		opts: opts, plan: plan, log: opts.Logger,
		labels: newSink(plan.Labels, false), score: newSink(plan.Score, false), mask: newSink(plan.Mask, false),
		overlay: newSink(plan.Overlay, false), diagnostics: newSink(plan.Diagnostics, true),
	}, nil
}

// Sinks are the pipeline's outputs on this transport.
func (t *Transport) Sinks() node.Sinks {
	return node.Sinks{Labels: t.labels, Score: t.score, Mask: t.mask, Overlay: t.overlay, Diagnostics: t.diagnostics}
}

// Now is wall time: the ROS 2 transport does not follow /clock.
func (t *Transport) Now() time.Time { return time.Now() }

// NodePath is the node's absolute name.
func (t *Transport) NodePath() string { return t.plan.Names.NodePath() }

// Plan is what New resolved.
func (t *Transport) Plan() Plan { return t.plan }

// Run joins the DDS domain, feeds camera frames to p and publishes its
// outputs until ctx ends, then deletes the participant, which tells peers
// that the node's endpoints are gone.
func (t *Transport) Run(ctx context.Context, p *node.Pipeline) error {
	pp, err := newParticipant(t.plan.Domain, t.opts.ROS2.CycloneConfig, "enclave=/;")
	if err != nil {
		return err
	}
	defer pp.close()

	var writers []msgs.Gid
	sinks := []*sink{t.labels, t.score, t.mask, t.overlay, t.diagnostics}
	for _, s := range sinks {
		w, err := pp.writer(s.ep)
		if err != nil {
			return err
		}
		s.w.Store(int32(w))
		defer s.w.Store(0)
		g, err := gid(w)
		if err != nil {
			return err
		}
		writers = append(writers, g)
	}
	labelInfo, err := pp.writer(t.plan.LabelInfo)
	if err != nil {
		return err
	}
	li := p.LabelInfo().ROS2(msgs.Header{Stamp: time.Now()})
	if err := write(labelInfo, msgs.EncodeLabelInfoCDR(li)); err != nil {
		return fmt.Errorf("label info: %w", err)
	}
	camera, err := pp.reader(t.plan.Image)
	if err != nil {
		return err
	}
	var readers []msgs.Gid
	for _, e := range []entity{camera} {
		g, err := gid(e)
		if err != nil {
			return err
		}
		readers = append(readers, g)
	}
	for _, e := range []entity{labelInfo} {
		g, err := gid(e)
		if err != nil {
			return err
		}
		writers = append(writers, g)
	}
	if err := t.announce(pp, readers, writers); err != nil {
		return err
	}
	wt, err := pp.waiter(camera)
	if err != nil {
		return err
	}

	t.log.Info("joined the DDS domain as a ROS 2 node", "domain", t.plan.Domain, "node", t.plan.Names.NodePath(),
		"image", t.plan.Image.Name, "input", t.plan.Input, "image_reliable", t.plan.Image.Reliable,
		"outputs", []string{t.plan.Labels.Name, t.plan.Score.Name, t.plan.Mask.Name, t.plan.Overlay.Name})

	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(ctx)
	defer func() {
		cancel()
		wt.wake()
		wg.Wait() // nothing may touch an entity once the participant is gone
	}()
	for _, s := range sinks {
		wg.Add(1)
		go func() { defer wg.Done(); s.run(ctx, t.log) }()
	}
	wg.Add(1)
	go func() { defer wg.Done(); t.watch(ctx, camera, append([]*sink{}, sinks...), labelInfo) }()

	errc := make(chan error, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		errc <- t.receive(ctx, camera, wt, p)
	}()
	select {
	case <-ctx.Done():
		wt.wake()
		return <-errc
	case err := <-errc:
		return err
	}
}

// announce publishes the participant's ros_discovery_info, which ROS 2
// tools read to map DDS endpoints to nodes.
func (t *Transport) announce(pp *participant, readers, writers []msgs.Gid) error {
	w, err := pp.writer(t.plan.Discovery)
	if err != nil {
		return err
	}
	self, err := gid(pp.pp)
	if err != nil {
		return err
	}
	data, err := msgs.EncodeParticipantEntitiesInfoCDR(t.plan.EntitiesInfo(self, readers, writers), t.plan.GidSize)
	if err != nil {
		return err
	}
	if err := write(w, data); err != nil {
		return fmt.Errorf("ros_discovery_info: %w", err)
	}
	return nil
}

// receive takes camera samples until ctx ends. A sample that does not
// decode is counted as a bad frame and skipped.
func (t *Transport) receive(ctx context.Context, camera entity, wt *waiter, p *node.Pipeline) error {
	for ctx.Err() == nil {
		wt.wait(int64(time.Second))
		for ctx.Err() == nil {
			data, ok, err := take(camera)
			if err != nil {
				return fmt.Errorf("camera %s: %w", t.plan.Image.Name, err)
			}
			if !ok {
				break
			}
			if data == nil {
				continue // a state change, not a frame
			}
			f, err := decodeFrame(t.plan.Input, data)
			if err != nil {
				p.Reject(&msgs.BadFrameError{Reason: err.Error()})
				continue
			}
			f.Received = time.Now()
			p.Offer(f)
		}
	}
	return nil
}

// watch logs matching changes and QoS mismatches once a second: a reliable
// camera reader never matches a best-effort camera, and DDS says so only
// through these statuses.
func (t *Transport) watch(ctx context.Context, camera entity, sinks []*sink, labelInfo entity) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	lastPubs := -1
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if n := publishers(camera); n != lastPubs {
			t.log.Info("camera publishers", "topic", t.plan.Image.Name, "matched", n)
			lastPubs = n
		}
		if n, policy := incompatible(camera, true); n > 0 {
			t.log.Warn("a camera publisher does not match this node's QoS", "topic", t.plan.Image.Name, "policy", policy,
				"publishers", n, "hint", hint(policy, t.plan.Image.Reliable))
		}
		for _, s := range sinks {
			if n, policy := incompatible(entity(s.w.Load()), false); n > 0 {
				t.log.Warn("a subscriber asks for QoS this output does not offer", "topic", s.ep.Name, "policy", policy, "subscribers", n)
			}
		}
		if n, policy := incompatible(labelInfo, false); n > 0 {
			t.log.Warn("a subscriber asks for QoS label info does not offer", "topic", t.plan.LabelInfo.Name, "policy", policy, "subscribers", n)
		}
	}
}

func hint(policy string, reliable bool) string {
	if policy == "reliability" && reliable {
		return "best-effort cameras need ros2.image_reliability: best_effort"
	}
	return ""
}
