package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"osr/config"
	"osr/internal/imageio"
	"osr/model"
	"osr/msgs"
)

// Engine is what the pipeline needs of an inference engine; model.Engine
// (ONNX Runtime) is one.
type Engine interface {
	Run(im model.Image, out *model.Result) error
	Provider() string
	Device() string
	Spec() model.Spec
	Scoring() model.Scoring
}

// Sink publishes one output. Publish must not block; HasSubscribers lets
// the pipeline skip building messages nobody reads (transports that cannot
// tell return true).
type Sink interface {
	Publish(msg any)
	HasSubscribers() bool
}

// Sinks are the pipeline's outputs. Any may be nil.
type Sinks struct {
	Labels, Score, Mask, Overlay, Diagnostics Sink
	// Objects carries the outlier objects (*msgs.Detection2DArray).
	Objects Sink
	// The compressed images (*msgs.CompressedImage) of <topic>/compressed:
	// PNG labels and mask, JPEG overlay.
	LabelsCompressed, MaskCompressed, OverlayCompressed Sink
}

// Frame is one camera message as a transport received it: Raw or
// Compressed is set.
type Frame struct {
	Raw        *msgs.Image
	Compressed *msgs.CompressedImage
	Received   time.Time
}

// message is the frame's camera message; nil when it has none.
func (f Frame) message() any {
	if f.Raw != nil {
		return f.Raw
	}
	if f.Compressed != nil {
		return f.Compressed
	}
	return nil
}

func (f Frame) header() msgs.Header {
	if f.Raw != nil {
		return f.Raw.Header
	}
	if f.Compressed != nil {
		return f.Compressed.Header
	}
	return msgs.Header{}
}

// Options tune the pipeline.
type Options struct {
	Name              string        // node name, for diagnostics
	HardwareID        string        // diagnostics hardware_id; default the engine's device
	DiagnosticsPeriod time.Duration // default 1 s
	Lazy              bool          // skip inference while no output has subscribers
	DropWarnInterval  time.Duration // rate limit of the "falling behind" warning; default 10 s
	Logger            *slog.Logger
	Now               func() time.Time // clock for diagnostics stamps (sim time); default time.Now
	// Objects sets the outlier objects and their temporal filter; zero
	// means config.Default's.
	Objects config.Objects
	// JPEGQuality of the compressed overlay; 0 means config.Default's.
	JPEGQuality int
	// BatchWindow is how long the pipeline waits, once one camera's frame
	// is in, for the other cameras' frames, to run them as one batch; it
	// stops as soon as every camera has a frame. 0: no waiting.
	BatchWindow time.Duration
}

// Camera is one camera's outputs; Name ("" for the one-camera node)
// names it in diagnostics.
type Camera struct {
	Name  string
	Sinks Sinks
}

// BatchEngine is an Engine that runs several frames in one inference
// (model.Engine with Options.MaxBatch); the pipeline batches frames that
// arrive together when the engine is one.
type BatchEngine interface {
	Engine
	RunBatch(ims []model.Image, outs []*model.Result) error
	MaxBatch() int
}

// Pipeline runs frames from a transport's cameras through the engine to
// each camera's sinks. Each camera has its own one-frame slot, so a slow or
// flooding camera never holds up another; frames waiting together run as
// one batch.
type Pipeline struct {
	eng  Engine
	cams []*camera
	diag Sink
	opts Options
	wake chan struct{} // a frame is in some camera's slot
	lazy atomic.Bool   // opts.Lazy, changed live by SetLazy
	// objCfg is opts.Objects, changed live by SetObjects.
	objCfg atomic.Pointer[config.Objects]
	jpegQ  atomic.Int32 // opts.JPEGQuality, changed live by SetJPEGQuality
	// Inferences run and frames they took, for the engine's diagnostics.
	runs, batched atomic.Uint64

	// Scratch of the frame loop.
	ims   []model.Image
	outs  []*model.Result
	taken []taken
	next  int // the camera take tries first
	// Touched only by the diagnostics goroutine.
	prevRuns, prevBatched uint64
}

// camera is one camera's slot, statistics and per-frame state.
type camera struct {
	name  string
	sinks Sinks
	slot  *Slot[Frame]
	stats Stats

	// Touched only by the frame loop.
	rgb      imageio.RGB
	res      model.Result
	objects  Objects
	tracker  *Tracker
	trackCfg config.Objects // what tracker was made with
	// Touched only by the diagnostics goroutine.
	lastWarn    time.Time
	warnDrop    uint64 // drops counted at the last warning
	prevDropped uint64 // drops counted at the last diagnostics
}

// NewPipeline wires an engine to one camera's sinks.
func NewPipeline(eng Engine, sinks Sinks, opts Options) *Pipeline {
	return NewCameraPipeline(eng, []Camera{{Sinks: sinks}}, sinks.Diagnostics, opts)
}

// NewCameraPipeline wires an engine to several cameras' sinks, with one
// diagnostics sink for all.
func NewCameraPipeline(eng Engine, cams []Camera, diagnostics Sink, opts Options) *Pipeline {
	if opts.DiagnosticsPeriod <= 0 {
		opts.DiagnosticsPeriod = time.Second
	}
	if opts.DropWarnInterval <= 0 {
		opts.DropWarnInterval = 10 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.HardwareID == "" {
		opts.HardwareID = eng.Device()
	}
	if opts.Objects == (config.Objects{}) {
		opts.Objects = config.Default().Objects
	}
	p := &Pipeline{eng: eng, diag: diagnostics, opts: opts, wake: make(chan struct{}, 1)}
	for _, c := range cams {
		p.cams = append(p.cams, &camera{name: c.Name, sinks: c.Sinks, slot: NewSlot[Frame]()})
	}
	p.lazy.Store(opts.Lazy)
	p.SetObjects(opts.Objects)
	if opts.JPEGQuality == 0 {
		opts.JPEGQuality = config.Default().Overlay.JPEGQuality
	}
	p.SetJPEGQuality(opts.JPEGQuality)
	return p
}

// SetJPEGQuality sets the compressed overlay's JPEG quality (1..100).
func (p *Pipeline) SetJPEGQuality(q int) { p.jpegQ.Store(int32(q)) }

// SetLazy turns lazy inference on or off from the next frame on.
func (p *Pipeline) SetLazy(lazy bool) { p.lazy.Store(lazy) }

// SetObjects changes the outlier objects' settings from the next frame
// on; a new k, n or overlap restarts the temporal filter.
func (p *Pipeline) SetObjects(o config.Objects) { p.objCfg.Store(&o) }

// Offer hands the (first) camera's frame to the pipeline; see OfferFrom.
func (p *Pipeline) Offer(f Frame) { p.OfferFrom(0, f) }

// OfferFrom hands camera cam's frame to the pipeline. It never blocks: if
// the camera's previous frame is still waiting, that one is dropped and
// counted.
func (p *Pipeline) OfferFrom(cam int, f Frame) {
	if f.Received.IsZero() {
		f.Received = time.Now()
	}
	c := p.cams[cam]
	c.stats.received()
	c.slot.Offer(f)
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Reject counts a message the (first) camera's transport could not
// decode; see RejectFrom.
func (p *Pipeline) Reject(err error) { p.RejectFrom(0, err) }

// RejectFrom counts a message camera cam's transport received but could
// not decode (malformed serialisation) as a bad frame, with the reason, as
// the pipeline does for frames it cannot convert.
func (p *Pipeline) RejectFrom(cam int, err error) {
	c := p.cams[cam]
	c.stats.received()
	p.reject(c, err)
}

// LabelInfo describes the labels this pipeline publishes.
func (p *Pipeline) LabelInfo() msgs.LabelInfo {
	s, sc := p.eng.Spec(), p.eng.Scoring()
	li := msgs.LabelInfo{Model: s.Name, Classes: s.Classes, Palette: s.Palette, Score: sc.Kind, Threshold: sc.Threshold, Temperature: sc.Temperature}
	if sc.UnknownID >= 0 {
		u := sc.UnknownID
		li.UnknownID = &u
	}
	return li
}

// Run processes frames and publishes diagnostics until ctx ends.
func (p *Pipeline) Run(ctx context.Context) error {
	tick := time.NewTicker(p.opts.DiagnosticsPeriod)
	defer tick.Stop()
	go func() {
		last := time.Now()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-tick.C:
				p.publishDiagnostics(now.Sub(last))
				last = now
			}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return nil // clean shutdown
		case <-p.wake:
		}
		size := p.batchSize()
		for ctx.Err() == nil {
			if size > 1 && p.anyWaiting() {
				p.gather(ctx)
			}
			batch := p.take(size)
			if len(batch) == 0 {
				break
			}
			p.processBatch(batch)
		}
	}
}

// batchSize is the most frames one inference takes.
func (p *Pipeline) batchSize() int {
	if be, ok := p.eng.(BatchEngine); ok {
		return max(1, be.MaxBatch())
	}
	return 1
}

// take takes up to n waiting frames, one per camera, starting after the
// camera served last, so that without batches the cameras take turns and
// each frame is taken from its slot only when the engine is free for it
// (a newer frame that arrives meanwhile replaces it there).
func (p *Pipeline) take(n int) []taken {
	p.taken = p.taken[:0]
	start := p.next
	for i := 0; i < len(p.cams) && len(p.taken) < n; i++ {
		k := (start + i) % len(p.cams)
		if f, ok := p.cams[k].slot.TryTake(); ok {
			p.taken = append(p.taken, taken{p.cams[k], f})
			p.next = (k + 1) % len(p.cams)
		}
	}
	return p.taken
}

// gather waits up to the batch window for every camera to have a frame.
func (p *Pipeline) gather(ctx context.Context) {
	if len(p.cams) == 1 || p.opts.BatchWindow <= 0 {
		return
	}
	timer := time.NewTimer(p.opts.BatchWindow)
	defer timer.Stop()
	for !p.allWaiting() {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
			return
		case <-p.wake:
		}
	}
}

func (p *Pipeline) anyWaiting() bool {
	for _, c := range p.cams {
		if c.slot.Pending() {
			return true
		}
	}
	return false
}

func (p *Pipeline) allWaiting() bool {
	for _, c := range p.cams {
		if !c.slot.Pending() {
			return false
		}
	}
	return true
}

// taken is a camera's frame taken from its slot.
type taken struct {
	cam *camera
	f   Frame
}

// process handles one frame of the first camera.
func (p *Pipeline) process(f Frame) { p.processBatch([]taken{{p.cams[0], f}}) }

// processBatch handles frames of different cameras: converted, run through
// the engine together (in batches of at most the engine's MaxBatch) and
// published. Nothing in it may panic the node: bad frames are counted and
// skipped, engine errors counted and logged.
func (p *Pipeline) processBatch(batch []taken) {
	lazy := p.lazy.Load()
	ok := batch[:0]
	for _, t := range batch {
		c := t.cam
		if lazy && !c.anySubscribers() {
			continue
		}
		if err := msgs.FrameToRGB(t.f.message(), &c.rgb); err != nil {
			p.reject(c, err)
			continue
		}
		if err := c.rgb.Check(); err != nil {
			p.reject(c, err)
			continue
		}
		ok = append(ok, t)
	}
	size := 1
	be, isBatch := p.eng.(BatchEngine)
	if isBatch {
		size = be.MaxBatch()
	}
	for len(ok) > 0 {
		n := min(size, len(ok))
		p.runBatch(be, ok[:n])
		ok = ok[n:]
	}
}

func (p *Pipeline) runBatch(be BatchEngine, batch []taken) {
	var err error
	if len(batch) == 1 {
		c := batch[0].cam
		err = p.eng.Run(c.rgb, &c.res)
	} else {
		p.ims, p.outs = p.ims[:0], p.outs[:0]
		for _, t := range batch {
			p.ims = append(p.ims, t.cam.rgb)
			p.outs = append(p.outs, &t.cam.res)
		}
		err = be.RunBatch(p.ims, p.outs)
	}
	if err != nil {
		var bf *msgs.BadFrameError
		for _, t := range batch {
			if errors.As(err, &bf) {
				p.reject(t.cam, err)
			} else {
				t.cam.stats.failed()
			}
		}
		if bf == nil {
			p.opts.Logger.Error("inference failed", "err", err, "frames", len(batch))
		}
		return
	}
	p.runs.Add(1)
	p.batched.Add(uint64(len(batch)))
	for _, t := range batch {
		p.publish(t.cam, t.f)
	}
}

// publish sends camera c's result of frame f to its sinks.
func (p *Pipeline) publish(c *camera, f Frame) {
	h := f.header()
	r := &c.res
	sinks := c.sinks
	if s := sinks.Labels; subscribed(s) {
		s.Publish(msgs.Mono8Image(h, r.Width, r.Height, r.Labels))
	}
	if s := sinks.LabelsCompressed; subscribed(s) {
		p.publishCompressed(c, s, func() (*msgs.CompressedImage, error) { return msgs.PNGMono8Image(h, r.Width, r.Height, r.Labels) })
	}
	if s := sinks.Score; subscribed(s) {
		s.Publish(msgs.Float32Image(h, r.Width, r.Height, r.Score))
	}
	if s := sinks.Mask; subscribed(s) {
		s.Publish(msgs.Mono8Image(h, r.Width, r.Height, r.Mask))
	}
	if s := sinks.MaskCompressed; subscribed(s) {
		p.publishCompressed(c, s, func() (*msgs.CompressedImage, error) { return msgs.PNGMono8Image(h, r.Width, r.Height, r.Mask) })
	}
	objects := sinks.Objects
	wantObjects := subscribed(objects)
	wantOverlay := subscribed(sinks.Overlay) || subscribed(sinks.OverlayCompressed)
	var tracks []Track
	if wantObjects || wantOverlay && objects != nil {
		tracks = c.findObjects(*p.objCfg.Load(), r)
	}
	if wantObjects {
		objects.Publish(Detections(h, tracks))
	}
	if wantOverlay {
		m := msgs.RGB8Image(h, r.Width, r.Height, r.Overlay)
		for _, t := range tracks {
			drawBox(m.Data, r.Width, t.Box)
		}
		if s := sinks.Overlay; subscribed(s) {
			s.Publish(m)
		}
		if s := sinks.OverlayCompressed; subscribed(s) {
			p.publishCompressed(c, s, func() (*msgs.CompressedImage, error) {
				return msgs.JPEGRGB8Image(h, r.Width, r.Height, m.Data, int(p.jpegQ.Load()))
			})
		}
	}
	c.stats.published(time.Since(f.Received), float64(r.OutlierPixels)/float64(r.Width*r.Height))
}

func subscribed(s Sink) bool { return s != nil && s.HasSubscribers() }

// publishCompressed publishes m, or logs why it could not be made.
func (p *Pipeline) publishCompressed(c *camera, s Sink, compress func() (*msgs.CompressedImage, error)) {
	m, err := compress()
	if err != nil {
		c.stats.failed()
		p.opts.Logger.Error("compressing an output failed", "err", err)
		return
	}
	s.Publish(m)
}

func (p *Pipeline) reject(c *camera, err error) {
	reason := err.Error()
	c.stats.badFrame(reason)
	if c.name != "" {
		p.opts.Logger.Warn("frame skipped", "camera", c.name, "reason", reason)
		return
	}
	p.opts.Logger.Warn("frame skipped", "reason", reason)
}

func (c *camera) outputs() []Sink {
	s := c.sinks
	return []Sink{s.Labels, s.Score, s.Mask, s.Overlay, s.Objects, s.LabelsCompressed, s.MaskCompressed, s.OverlayCompressed}
}

func (c *camera) anySubscribers() bool {
	for _, s := range c.outputs() {
		if subscribed(s) {
			return true
		}
	}
	return false
}

// outputsDropped counts the output messages that transports with a
// bounded output queue replaced before sending (a subscriber too slow for
// the frame rate).
func (c *camera) outputsDropped() uint64 {
	var n uint64
	for _, s := range c.outputs() {
		if d, ok := s.(interface{ Dropped() uint64 }); ok && s != nil {
			n += d.Dropped()
		}
	}
	return n
}

func (p *Pipeline) publishDiagnostics(period time.Duration) {
	var status []msgs.DiagnosticStatus
	for _, c := range p.cams {
		status = append(status, p.cameraStatus(c, period))
	}
	if len(p.cams) > 1 {
		status = append(status, p.engineStatus())
	}
	if s := p.diag; s != nil {
		s.Publish(&msgs.DiagnosticArray{Header: msgs.Header{Stamp: p.opts.Now()}, Status: status})
	}
}

// cameraStatus takes camera c's figures for the period, warns when it is
// falling behind, and is its diagnostics status. The one-camera node's
// status also carries the engine's values.
func (p *Pipeline) cameraStatus(c *camera, period time.Duration) msgs.DiagnosticStatus {
	dropped := c.slot.Dropped()
	snap := c.stats.take(period, dropped)
	droppedNow := dropped - c.prevDropped
	c.prevDropped = dropped
	if dropped > c.warnDrop && time.Since(c.lastWarn) >= p.opts.DropWarnInterval {
		args := []any{"dropped", dropped - c.warnDrop, "since", p.opts.DropWarnInterval, "input_hz", fmt.Sprintf("%.1f", snap.InRate),
			"output_hz", fmt.Sprintf("%.1f", snap.OutRate)}
		if c.name != "" {
			args = append([]any{"camera", c.name}, args...)
		}
		p.opts.Logger.Warn("falling behind: dropping stale frames", args...)
		c.lastWarn, c.warnDrop = time.Now(), dropped
	}
	st := p.frameStatus(c, snap, droppedNow)
	if c.name == "" {
		st.Values = append(st.Values, p.engineValues()...)
	}
	return st
}

// frameStatus is one camera's frame figures as a diagnostics status.
func (p *Pipeline) frameStatus(c *camera, s Snapshot, droppedNow uint64) msgs.DiagnosticStatus {
	level, message := msgs.DiagOK, "running"
	switch {
	case s.Errors > 0 && s.OutRate == 0 && s.InRate > 0:
		level, message = msgs.DiagError, "inference failing"
	case droppedNow > 0:
		level, message = msgs.DiagWarn, fmt.Sprintf("falling behind: %d frames dropped", droppedNow)
	case s.InRate == 0:
		level, message = msgs.DiagWarn, "no input frames"
	}
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d.Microseconds())/1000) }
	kv := []msgs.KeyValue{
		{Key: "input_rate_hz", Value: fmt.Sprintf("%.2f", s.InRate)},
		{Key: "output_rate_hz", Value: fmt.Sprintf("%.2f", s.OutRate)},
		{Key: "latency_mean_ms", Value: ms(s.LatencyMean)},
		{Key: "latency_p50_ms", Value: ms(s.Latency50)},
		{Key: "latency_p95_ms", Value: ms(s.Latency95)},
		{Key: "latency_p99_ms", Value: ms(s.Latency99)},
		{Key: "frames_in", Value: fmt.Sprint(s.TotalIn)},
		{Key: "frames_out", Value: fmt.Sprint(s.TotalOut)},
		{Key: "frames_dropped", Value: fmt.Sprint(s.Dropped)},
		{Key: "outputs_dropped", Value: fmt.Sprint(c.outputsDropped())},
		{Key: "bad_frames", Value: fmt.Sprint(s.Bad)},
		{Key: "last_bad_frame", Value: s.LastBad},
		{Key: "inference_errors", Value: fmt.Sprint(s.Errors)},
		{Key: "outlier_share", Value: fmt.Sprintf("%.4f", s.OutlierShare)},
	}
	// Named as diagnostic_updater names a node's status, so that
	// diagnostic_aggregator groups it.
	name := p.nodeName() + ": open-set segmentation"
	if c.name != "" {
		name = p.nodeName() + ": camera " + c.name
	}
	return msgs.DiagnosticStatus{Level: level, Name: name, Message: message, HardwareId: p.opts.HardwareID, Values: kv}
}

func (p *Pipeline) nodeName() string { return strings.TrimPrefix(p.opts.Name, "/") }

// engineStatus is the several-camera node's engine: what it runs on, how
// many inferences it ran and how many frames each took on average.
func (p *Pipeline) engineStatus() msgs.DiagnosticStatus {
	runs, frames := p.runs.Load(), p.batched.Load()
	dr, df := runs-p.prevRuns, frames-p.prevBatched
	p.prevRuns, p.prevBatched = runs, frames
	mean := 0.0
	if dr > 0 {
		mean = float64(df) / float64(dr)
	}
	maxBatch := 1
	if be, ok := p.eng.(BatchEngine); ok {
		maxBatch = be.MaxBatch()
	}
	kv := append([]msgs.KeyValue{
		{Key: "cameras", Value: fmt.Sprint(len(p.cams))},
		{Key: "inferences", Value: fmt.Sprint(runs)},
		{Key: "frames_inferred", Value: fmt.Sprint(frames)},
		{Key: "batch_mean", Value: fmt.Sprintf("%.2f", mean)},
		{Key: "batch_max", Value: fmt.Sprint(maxBatch)},
		{Key: "batch_window_ms", Value: fmt.Sprintf("%.1f", float64(p.opts.BatchWindow.Microseconds())/1000)},
	}, p.engineValues()...)
	return msgs.DiagnosticStatus{Level: msgs.DiagOK, Name: p.nodeName() + ": engine", Message: "running",
		HardwareId: p.opts.HardwareID, Values: kv}
}

func (p *Pipeline) engineValues() []msgs.KeyValue {
	return []msgs.KeyValue{
		{Key: "execution_provider", Value: p.eng.Provider()},
		{Key: "execution_device", Value: p.eng.Device()},
		{Key: "model", Value: p.eng.Spec().Name},
		// Process figures, so that a long run shows leaks from outside.
		{Key: "rss_mib", Value: fmt.Sprintf("%.1f", residentMiB())},
		{Key: "goroutines", Value: fmt.Sprint(runtime.NumGoroutine())},
	}
}
