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
}

// Pipeline runs frames from a transport through the engine to the sinks.
type Pipeline struct {
	eng   Engine
	sinks Sinks
	opts  Options
	slot  *Slot[Frame]
	stats Stats
	lazy  atomic.Bool // opts.Lazy, changed live by SetLazy
	// objCfg is opts.Objects, changed live by SetObjects.
	objCfg atomic.Pointer[config.Objects]
	jpegQ  atomic.Int32 // opts.JPEGQuality, changed live by SetJPEGQuality

	rgb imageio.RGB
	res model.Result
	// The outlier objects; touched only by the frame loop.
	objects  Objects
	tracker  *Tracker
	trackCfg config.Objects // what tracker was made with
	// Touched only by the diagnostics goroutine.
	lastWarn    time.Time
	warnDrop    uint64 // drops counted at the last warning
	prevDropped uint64 // drops counted at the last diagnostics
}

// NewPipeline wires an engine to sinks.
func NewPipeline(eng Engine, sinks Sinks, opts Options) *Pipeline {
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
	p := &Pipeline{eng: eng, sinks: sinks, opts: opts, slot: NewSlot[Frame]()}
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

// Offer hands the pipeline a frame. It never blocks: if inference is busy,
// the frame waiting in the slot is dropped and counted.
func (p *Pipeline) Offer(f Frame) {
	if f.Received.IsZero() {
		f.Received = time.Now()
	}
	p.stats.received()
	p.slot.Offer(f)
}

// Reject counts a message the transport received but could not decode
// (malformed serialisation) as a bad frame, with the reason, as the
// pipeline does for frames it cannot convert.
func (p *Pipeline) Reject(err error) {
	p.stats.received()
	p.reject(err)
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
		f, err := p.slot.Take(ctx)
		if err != nil {
			return nil // context ended: clean shutdown
		}
		p.process(f)
	}
}

// process handles one frame. Nothing in it may panic the node: bad frames
// are counted and skipped, engine errors counted and logged.
func (p *Pipeline) process(f Frame) {
	if p.lazy.Load() && !p.anySubscribers() {
		return
	}
	if err := msgs.FrameToRGB(f.message(), &p.rgb); err != nil {
		p.reject(err)
		return
	}
	if err := p.eng.Run(p.rgb, &p.res); err != nil {
		var bf *msgs.BadFrameError
		if errors.As(err, &bf) {
			p.reject(err)
			return
		}
		p.stats.failed()
		p.opts.Logger.Error("inference failed", "err", err)
		return
	}
	h := f.header()
	r := &p.res
	if s := p.sinks.Labels; subscribed(s) {
		s.Publish(msgs.Mono8Image(h, r.Width, r.Height, r.Labels))
	}
	if s := p.sinks.LabelsCompressed; subscribed(s) {
		p.publishCompressed(s, func() (*msgs.CompressedImage, error) { return msgs.PNGMono8Image(h, r.Width, r.Height, r.Labels) })
	}
	if s := p.sinks.Score; subscribed(s) {
		s.Publish(msgs.Float32Image(h, r.Width, r.Height, r.Score))
	}
	if s := p.sinks.Mask; subscribed(s) {
		s.Publish(msgs.Mono8Image(h, r.Width, r.Height, r.Mask))
	}
	if s := p.sinks.MaskCompressed; subscribed(s) {
		p.publishCompressed(s, func() (*msgs.CompressedImage, error) { return msgs.PNGMono8Image(h, r.Width, r.Height, r.Mask) })
	}
	objects := p.sinks.Objects
	wantObjects := subscribed(objects)
	wantOverlay := subscribed(p.sinks.Overlay) || subscribed(p.sinks.OverlayCompressed)
	var tracks []Track
	if wantObjects || wantOverlay && objects != nil {
		tracks = p.findObjects(r)
	}
	if wantObjects {
		objects.Publish(Detections(h, tracks))
	}
	if wantOverlay {
		m := msgs.RGB8Image(h, r.Width, r.Height, r.Overlay)
		for _, t := range tracks {
			drawBox(m.Data, r.Width, t.Box)
		}
		if s := p.sinks.Overlay; subscribed(s) {
			s.Publish(m)
		}
		if s := p.sinks.OverlayCompressed; subscribed(s) {
			p.publishCompressed(s, func() (*msgs.CompressedImage, error) {
				return msgs.JPEGRGB8Image(h, r.Width, r.Height, m.Data, int(p.jpegQ.Load()))
			})
		}
	}
	p.stats.published(time.Since(f.Received), float64(r.OutlierPixels)/float64(r.Width*r.Height))
}

func subscribed(s Sink) bool { return s != nil && s.HasSubscribers() }

// publishCompressed publishes m, or logs why it could not be made.
func (p *Pipeline) publishCompressed(s Sink, compress func() (*msgs.CompressedImage, error)) {
	m, err := compress()
	if err != nil {
		p.stats.failed()
		p.opts.Logger.Error("compressing an output failed", "err", err)
		return
	}
	s.Publish(m)
}

func (p *Pipeline) reject(err error) {
	reason := err.Error()
	p.stats.badFrame(reason)
	p.opts.Logger.Warn("frame skipped", "reason", reason)
}

func (p *Pipeline) anySubscribers() bool {
	for _, s := range []Sink{p.sinks.Labels, p.sinks.Score, p.sinks.Mask, p.sinks.Overlay, p.sinks.Objects,
		p.sinks.LabelsCompressed, p.sinks.MaskCompressed, p.sinks.OverlayCompressed} {
		if subscribed(s) {
			return true
		}
	}
	return false
}

// outputsDropped counts the output messages that transports with a
// bounded output queue replaced before sending (a subscriber too slow for
// the frame rate).
func (p *Pipeline) outputsDropped() uint64 {
	var n uint64
	for _, s := range []Sink{p.sinks.Labels, p.sinks.Score, p.sinks.Mask, p.sinks.Overlay, p.sinks.Objects,
		p.sinks.LabelsCompressed, p.sinks.MaskCompressed, p.sinks.OverlayCompressed} {
		if d, ok := s.(interface{ Dropped() uint64 }); ok && s != nil {
			n += d.Dropped()
		}
	}
	return n
}

func (p *Pipeline) publishDiagnostics(period time.Duration) {
	dropped := p.slot.Dropped()
	snap := p.stats.take(period, dropped)
	droppedNow := dropped - p.prevDropped
	p.prevDropped = dropped
	if dropped > p.warnDrop && time.Since(p.lastWarn) >= p.opts.DropWarnInterval {
		p.opts.Logger.Warn("falling behind: dropping stale frames",
			"dropped", dropped-p.warnDrop, "since", p.opts.DropWarnInterval, "input_hz", fmt.Sprintf("%.1f", snap.InRate),
			"output_hz", fmt.Sprintf("%.1f", snap.OutRate))
		p.lastWarn, p.warnDrop = time.Now(), dropped
	}
	if s := p.sinks.Diagnostics; s != nil {
		s.Publish(p.diagnosticArray(snap, droppedNow))
	}
}

func (p *Pipeline) diagnosticArray(s Snapshot, droppedNow uint64) *msgs.DiagnosticArray {
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
		{Key: "outputs_dropped", Value: fmt.Sprint(p.outputsDropped())},
		{Key: "bad_frames", Value: fmt.Sprint(s.Bad)},
		{Key: "last_bad_frame", Value: s.LastBad},
		{Key: "inference_errors", Value: fmt.Sprint(s.Errors)},
		{Key: "outlier_share", Value: fmt.Sprintf("%.4f", s.OutlierShare)},
		{Key: "execution_provider", Value: p.eng.Provider()},
		{Key: "execution_device", Value: p.eng.Device()},
		{Key: "model", Value: p.eng.Spec().Name},
		// Process figures, so that a long run shows leaks from outside.
		{Key: "rss_mib", Value: fmt.Sprintf("%.1f", residentMiB())},
		{Key: "goroutines", Value: fmt.Sprint(runtime.NumGoroutine())},
	}
	now := p.opts.Now()
	return &msgs.DiagnosticArray{
		Header: msgs.Header{Stamp: now},
		Status: []msgs.DiagnosticStatus{{
			// Named as diagnostic_updater names a node's status, so that
			// diagnostic_aggregator groups it.
			Level: level, Name: strings.TrimPrefix(p.opts.Name, "/") + ": open-set segmentation", Message: message,
			HardwareId: p.opts.HardwareID, Values: kv,
		}},
	}
}
