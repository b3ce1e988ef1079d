//go:build ros2

package ros2

import (
	"bytes"
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

// Dropped counts the messages a newer one replaced before they were sent.
func (s *sink) Dropped() uint64 { return s.slot.Dropped() }

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

	cams        []*cameraSinks
	diagnostics *sink
	// closed is set before the participant goes, so that a parameter
	// change after that writes nothing.
	closed atomic.Bool
	rosout atomic.Int32 // the /rosout writer while running
	// ROS time: with use_sim_time the last /clock (zero until one comes),
	// else wall time.
	simTime   bool
	clockNano atomic.Int64
	// The ros_discovery_info layout: gid size, which follows the peers'
	// unless ros2.distro is set, and what was last announced.
	gidSize   atomic.Int32
	annMu     sync.Mutex
	annPP     *participant
	annW      entity
	annR, ann []msgs.Gid
	camGids   []msgs.Gid // the camera readers', zero while one is closed
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
	t := &Transport{opts: opts, plan: plan, log: opts.Logger, simTime: opts.ROS2.UseSimTime,
		diagnostics: newSink(plan.Diagnostics, true), camGids: make([]msgs.Gid, len(plan.Cameras))}
	for _, c := range plan.Cameras {
		t.cams = append(t.cams, newCameraSinks(c))
	}
	if !opts.NoRosout {
		t.log = slog.New(&rosout{inner: opts.Logger.Handler(), t: t, w: &t.rosout})
	}
	t.gidSize.Store(int32(plan.GidSize))
	return t, nil
}

// Logger is the node's logger: the given one, and /rosout while running.
func (t *Transport) Logger() *slog.Logger { return t.log }

// Sinks are the pipeline's outputs on this transport: the first camera's
// and the diagnostics.
func (t *Transport) Sinks() node.Sinks {
	s := t.cams[0].sinks()
	s.Diagnostics = t.diagnostics
	return s
}

// Now is ROS time: wall time, or with use_sim_time the last /clock
// (time zero until the first), as rclcpp's clock.
func (t *Transport) Now() time.Time {
	if t.simTime {
		return time.Unix(0, t.clockNano.Load())
	}
	return time.Now()
}

// NodePath is the node's absolute name.
func (t *Transport) NodePath() string { return t.plan.Names.NodePath() }

// Plan is what New resolved.
func (t *Transport) Plan() Plan { return t.plan }

// Run joins the DDS domain, feeds camera frames to p and publishes its
// outputs until ctx ends, then deletes the participant, which tells peers
// that the node's endpoints are gone.
func (t *Transport) Run(ctx context.Context, p *node.Pipeline) error {
	for _, n := range t.plan.DiscoveryNotes {
		t.log.Warn(n)
	}
	pp, err := newParticipant(t.plan.Domain, t.plan.CycloneConfig, "enclave=/;")
	if err != nil {
		return err
	}
	defer pp.close()
	defer t.closed.Store(true)

	var writers []msgs.Gid
	if !t.opts.NoRosout {
		w, err := pp.writer(t.plan.Rosout)
		if err != nil {
			return err
		}
		g, err := gid(w)
		if err != nil {
			return err
		}
		writers = append(writers, g)
		t.rosout.Store(int32(w))
		defer t.rosout.Store(0)
	}
	var sinks []*sink
	for _, c := range t.cams {
		sinks = append(sinks, c.all()...)
	}
	sinks = append(sinks, t.diagnostics)
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
	li := p.LabelInfo().ROS2(msgs.Header{Stamp: t.Now()})
	if err := write(labelInfo, msgs.EncodeLabelInfoCDR(li)); err != nil {
		return fmt.Errorf("label info: %w", err)
	}
	g, err := gid(labelInfo)
	if err != nil {
		return err
	}
	writers = append(writers, g)
	discovery, err := pp.writer(t.plan.Discovery)
	if err != nil {
		return err
	}
	stop, err := pp.guard()
	if err != nil {
		return err
	}
	pubs, err := pp.publicationsReader()
	if err != nil {
		return err
	}
	// Peers' ros_discovery_info, for their gid layout.
	peers, _, err := pp.reader(t.plan.Discovery)
	if err != nil {
		return err
	}
	// The parameter services and /parameter_events.
	var services []*serviceEndpoints
	var svcReaders []msgs.Gid
	svcStop, err := pp.guard()
	if err != nil {
		return err
	}
	ps := paramServer{s: t.opts.Settings}
	if ps.s != nil {
		var svcWriters []msgs.Gid
		if services, svcReaders, svcWriters, err = t.openServices(pp, svcStop); err != nil {
			return err
		}
		writers = append(writers, svcWriters...)
		events, err := pp.writer(t.plan.ParameterEvents)
		if err != nil {
			return err
		}
		g, err := gid(events)
		if err != nil {
			return err
		}
		writers = append(writers, g)
		// Like rclcpp's declarations: every parameter is new at start.
		ev := &msgs.ParameterEvent{Stamp: t.Now(), Node: t.plan.Names.NodePath(), New: ps.all()}
		if err := write(events, msgs.EncodeParameterEventCDR(ev)); err != nil {
			return fmt.Errorf("parameter events: %w", err)
		}
		ps.s.Watch(func(changed []string) {
			if t.closed.Load() {
				return
			}
			ev := &msgs.ParameterEvent{Stamp: t.Now(), Node: t.plan.Names.NodePath(), Changed: ps.parameters(changed)}
			if err := write(events, msgs.EncodeParameterEventCDR(ev)); err != nil {
				t.log.Warn("parameter event not sent", "err", err)
			}
			li := p.LabelInfo().ROS2(msgs.Header{Stamp: t.Now()})
			if err := write(labelInfo, msgs.EncodeLabelInfoCDR(li)); err != nil {
				t.log.Warn("label info not re-published", "err", err)
			}
		})
	}
	var clock *waiter
	var clockReader entity
	if t.simTime {
		if clockReader, _, err = pp.reader(t.plan.Clock); err != nil {
			return err
		}
		if clock, err = pp.waiter(clockReader, svcStop); err != nil {
			return err
		}
		g, err := gid(clockReader)
		if err != nil {
			return err
		}
		svcReaders = append(svcReaders, g)
	}
	var cams []*camera
	for i, cp := range t.plan.Cameras {
		// Each camera its own guard: receive clears it after waking.
		camStop, err := pp.guard()
		if err != nil {
			return err
		}
		c := &camera{t: t, idx: i, cp: cp, pp: pp, stop: camStop, discovery: discovery, writers: writers, readers: svcReaders}
		if err := c.open(cp.Input); err != nil {
			return err
		}
		defer c.close()
		cams = append(cams, c)
		t.log.Info("joined the DDS domain as a ROS 2 node", "domain", t.plan.Domain, "node", t.plan.Names.NodePath(), "camera", cp.Name,
			"image", cp.Image.Name, "input", cp.Input, "image_reliable", cp.Image.Reliable,
			"outputs", []string{cp.Labels.Name, cp.Score.Name, cp.Mask.Name, cp.Overlay.Name})
	}

	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(ctx)
	defer func() {
		cancel()
		trigger(stop)
		trigger(svcStop)
		for _, c := range cams {
			trigger(c.stop)
		}
		wg.Wait() // nothing may touch an entity once the participant is gone
	}()
	if clock != nil {
		wg.Add(1)
		go func() { defer wg.Done(); t.followClock(ctx, clock, clockReader) }()
	}
	var one sync.Mutex
	for _, s := range services {
		wg.Add(1)
		go func() { defer wg.Done(); t.serve(ctx, s, ps, &one) }()
	}
	for _, s := range sinks {
		wg.Add(1)
		go func() { defer wg.Done(); s.run(ctx, t.log) }()
	}
	wg.Add(1)
	go func() { defer wg.Done(); t.watch(ctx, cams, pubs, peers, sinks, labelInfo) }()

	// One receiving goroutine per camera; the first error ends them all.
	errc := make(chan error, len(cams))
	for _, c := range cams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errc <- c.receive(ctx, p)
		}()
	}
	// Run ends with ctx, or with the first camera's error.
	select {
	case <-ctx.Done():
		return nil
	case err := <-errc:
		return err
	}
}

// camera is the camera reader. With node.input auto it is replaced by one
// of the other type when the topic's publishers switch between raw and
// compressed images; the switch happens in the receiving goroutine, which
// alone uses the reader.
type camera struct {
	t         *Transport
	idx       int        // the pipeline's camera
	cp        CameraPlan // its plan
	pp        *participant
	stop      entity // guard condition that ends receive
	discovery entity // ros_discovery_info writer
	writers   []msgs.Gid
	readers   []msgs.Gid // besides the camera's: the services'

	input      string
	want       atomic.Pointer[string] // input kind the publishers use, set by watch
	reader, tp entity
	matched    atomic.Int32 // reader entity, for watch's status checks
	wt         *waiter
}

// open creates the reader for input and announces the node's endpoints.
func (c *camera) open(input string) error {
	ep := c.cp.ImageEndpoint(input)
	rd, tp, err := c.pp.reader(ep)
	if err != nil {
		return err
	}
	wt, err := c.pp.waiter(rd, c.stop)
	if err != nil {
		deleteEntity(tp)
		return err
	}
	c.input, c.reader, c.tp, c.wt = input, rd, tp, wt
	c.matched.Store(int32(rd))
	g, err := gid(rd)
	if err != nil {
		return err
	}
	return c.t.announceCamera(c.idx, g, c.pp, c.discovery, c.readers, c.writers)
}

func (c *camera) close() {
	c.matched.Store(0)
	c.t.annMu.Lock()
	c.t.camGids[c.idx] = msgs.Gid{}
	c.t.annMu.Unlock()
	if c.wt != nil {
		c.wt.close()
	}
	deleteEntity(c.tp) // deletes the reader too
	c.reader, c.tp, c.wt = 0, 0, nil
}

// receive takes camera samples until ctx ends. A sample that does not
// decode is counted as a bad frame and skipped.
func (c *camera) receive(ctx context.Context, p *node.Pipeline) error {
	for ctx.Err() == nil {
		if w := c.want.Load(); w != nil && *w != c.input {
			c.t.log.Info("camera topic now carries "+*w+" images: switching the reader", "topic", c.cp.Image.Name)
			c.close()
			if err := c.open(*w); err != nil {
				return err
			}
		}
		c.wt.wait(int64(time.Second))
		// Clear a wake-up for a switch; a shutdown one needs no clearing:
		// ctx ended before it, and the loop checks ctx before waiting.
		untrigger(c.stop)
		for ctx.Err() == nil {
			data, ok, err := take(c.reader)
			if err != nil {
				return fmt.Errorf("camera %s: %w", c.cp.Image.Name, err)
			}
			if !ok {
				break
			}
			if data == nil {
				continue // a state change, not a frame
			}
			f, err := decodeFrame(c.input, data)
			if err != nil {
				p.RejectFrom(c.idx, &msgs.BadFrameError{Reason: err.Error()})
				continue
			}
			f.Received = time.Now()
			p.OfferFrom(c.idx, f)
		}
	}
	return nil
}

// announceLocked publishes the participant's ros_discovery_info, which
// ROS 2 tools read to map DDS endpoints to nodes (see announceCamera).
func (t *Transport) announceLocked() error {
	self, err := gid(t.annPP.pp)
	if err != nil {
		return err
	}
	w := t.annW
	data, err := msgs.EncodeParticipantEntitiesInfoCDR(t.plan.EntitiesInfo(self, t.annR, t.ann), int(t.gidSize.Load()))
	if err != nil {
		return err
	}
	if err := write(w, data); err != nil {
		return fmt.Errorf("ros_discovery_info: %w", err)
	}
	return nil
}

// watch logs matching changes and QoS mismatches once a second: a reliable
// camera reader never matches a best-effort camera, and DDS says so only
// through these statuses. With node.input auto it also tells the camera
// which type the topic's publishers use.
func (t *Transport) watch(ctx context.Context, cams []*camera, pubs, peers entity, sinks []*sink, labelInfo entity) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	lastPubs := make([]int, len(cams))
	for i := range lastPubs {
		lastPubs[i] = -1
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		t.followPeers(peers)
		for i, c := range cams {
			t.watchCamera(c, pubs, &lastPubs[i])
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

// watchCamera tells camera c which type its publishers use, and logs
// its publishers and QoS mismatches.
func (t *Transport) watchCamera(c *camera, pubs entity, lastPubs *int) {
	img := c.cp.Image
	if c.cp.InputAuto {
		types, err := publishedTypes(pubs, img.Topic)
		if err != nil {
			t.log.Warn("cannot read discovered publications", "err", err)
		} else if in := inputOf(types); in != "" {
			if w := c.want.Load(); w == nil || *w != in {
				c.want.Store(&in)
				trigger(c.stop) // receive switches now, not after its wait
			}
		}
	}
	camera := entity(c.matched.Load())
	if camera <= 0 {
		return
	}
	if n := publishers(camera); n != *lastPubs {
		t.log.Info("camera publishers", "topic", img.Name, "matched", n)
		*lastPubs = n
	}
	if n, policy := incompatible(camera, true); n > 0 {
		t.log.Warn("a camera publisher does not match this node's QoS", "topic", img.Name, "policy", policy,
			"publishers", n, "hint", hint(policy, img.Reliable))
	}
}

// followPeers reads the peers' ros_discovery_info and, unless ros2.distro
// is set, switches to the gid size they use: Humble's tools cannot list a
// graph with a node that sends Jazzy's 16-byte gids, and the other way round.
func (t *Transport) followPeers(peers entity) {
	for {
		data, ok, err := take(peers)
		if err != nil || !ok {
			return
		}
		if data == nil || t.opts.ROS2.Distro != "" {
			continue
		}
		size, err := msgs.GidSizeOf(data)
		if err != nil || int32(size) == t.gidSize.Load() {
			continue
		}
		t.annMu.Lock()
		if t.annPP == nil {
			t.annMu.Unlock()
			return
		}
		self, _ := gid(t.annPP.pp)
		if bytes.Equal(data[4:4+16], self[:16]) {
			t.annMu.Unlock()
			continue // our own
		}
		t.gidSize.Store(int32(size))
		distro := "iron or later"
		if size == msgs.GidSizeHumble {
			distro = "humble"
		}
		t.log.Info("peers' ros_discovery_info use another gid layout: following them (set ros2.distro to fix it)",
			"gid_bytes", size, "distro", distro, "was", t.plan.Distro)
		if err := t.announceLocked(); err != nil {
			t.log.Warn("ros_discovery_info", "err", err)
		}
		t.annMu.Unlock()
	}
}

// followClock keeps the time of the newest /clock sample until ctx ends.
func (t *Transport) followClock(ctx context.Context, w *waiter, r entity) {
	defer w.close()
	logged := false
	for ctx.Err() == nil {
		w.wait(int64(time.Second))
		for {
			data, ok, err := take(r)
			if err != nil || !ok {
				break
			}
			if data == nil {
				continue
			}
			ts, err := msgs.DecodeClockCDR(data)
			if err != nil {
				t.log.Warn("bad /clock sample", "err", err)
				continue
			}
			t.clockNano.Store(ts.UnixNano())
			if !logged {
				t.log.Info("use_sim_time: following /clock", "time", ts.UTC().Format(time.RFC3339Nano))
				logged = true
			}
		}
	}
}

func hint(policy string, reliable bool) string {
	if policy == "reliability" && reliable {
		return "best-effort cameras need ros2.image_reliability: best_effort"
	}
	return ""
}

// encode serialises an output message for its DDS writer.
func encode(m any) ([]byte, error) {
	switch m := m.(type) {
	case *msgs.Image:
		return msgs.EncodeImageCDR(m), nil
	case *msgs.DiagnosticArray:
		return msgs.EncodeDiagnosticArrayCDR(m), nil
	case *msgs.VisionLabelInfo:
		return msgs.EncodeLabelInfoCDR(m), nil
	case *msgs.CompressedImage:
		return msgs.EncodeCompressedImageCDR(m), nil
	case *msgs.Detection2DArray:
		return msgs.EncodeDetection2DArrayCDR(m), nil
	}
	return nil, fmt.Errorf("no CDR encoding for %T", m)
}

// decodeFrame parses a camera message of the plan's input kind.
func decodeFrame(input string, data []byte) (node.Frame, error) {
	if input == "compressed" {
		m, err := msgs.DecodeCompressedImageCDR(data)
		return node.Frame{Compressed: m}, err
	}
	m, err := msgs.DecodeImageCDR(data)
	return node.Frame{Raw: m}, err
}
