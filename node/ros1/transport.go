package ros1

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bluenviron/goroslib/v2"

	"osr/config"
	"osr/msgs"
	"osr/node"
)

// Options configure the transport.
type Options struct {
	Node   config.Node
	ROS1   config.ROS1
	Remaps map[string]string // from name:=value arguments
	Logger *slog.Logger
	// Settings are the node's parameters (node.ParamTable), for the
	// transport's parameter interface; nil: none.
	Settings *node.Settings
}

// topics are the resolved names the transport uses.
type topics struct {
	image, labels, score, mask, overlay, labelInfo, diagnostics string
}

// sink is a publisher slot that survives reconnection: the pipeline keeps
// the sink while the transport swaps the goroslib publisher under it.
type sink struct {
	pub  atomic.Pointer[goroslib.Publisher]
	subs atomic.Bool
}

func (s *sink) Publish(m any) {
	if p := s.pub.Load(); p != nil {
		p.Write(m)
	}
}

func (s *sink) HasSubscribers() bool { return s.subs.Load() }

// diagSink always publishes: /diagnostics is aggregated by other nodes.
type diagSink struct{ sink }

func (d *diagSink) HasSubscribers() bool { return true }

// Transport connects a pipeline to a ROS 1 master.
type Transport struct {
	opts   Options
	names  node.Names
	topics topics
	master string // host:port
	host   string
	log    *slog.Logger

	labels, score, mask, overlay sink
	diagnostics                  diagSink

	mu sync.Mutex
	rn *goroslib.Node
}

// New resolves names and addresses; Run connects.
func New(opts Options) (*Transport, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	r := opts.Remaps
	names := node.Names{Namespace: opts.Node.Namespace, Node: opts.Node.Name, Remaps: r}
	if v, ok := r["__name"]; ok {
		names.Node = v
	}
	if v, ok := r["__ns"]; ok {
		names.Namespace = "/" + strings.Trim(v, "/")
	}
	master := opts.ROS1.MasterURI
	if v, ok := r["__master"]; ok {
		master = v
	}
	if master == "" {
		master = os.Getenv("ROS_MASTER_URI")
	}
	if master == "" {
		master = "http://127.0.0.1:11311"
	}
	u, err := url.Parse(master)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("ROS master URI %q: want http://host:port", master)
	}
	host := opts.ROS1.Host
	for _, k := range []string{"__ip", "__hostname"} {
		if v, ok := r[k]; ok && host == "" {
			host = v
		}
	}
	for _, k := range []string{"ROS_IP", "ROS_HOSTNAME"} {
		if host == "" {
			host = os.Getenv(k)
		}
	}
	n := opts.Node
	t := &Transport{opts: opts, names: names, master: u.Host, host: host, log: opts.Logger}
	t.topics = topics{
		image: names.Resolve(n.ImageTopic), labels: names.Resolve(n.LabelsTopic), score: names.Resolve(n.ScoreTopic),
		mask: names.Resolve(n.MaskTopic), overlay: names.Resolve(n.OverlayTopic), labelInfo: names.Resolve(n.LabelInfoTopic),
		diagnostics: names.Resolve(n.DiagnosticsTopic),
	}
	return t, nil
}

// Sinks are the pipeline's outputs on this transport.
func (t *Transport) Sinks() node.Sinks {
	return node.Sinks{Labels: &t.labels, Score: &t.score, Mask: &t.mask, Overlay: &t.overlay, Diagnostics: &t.diagnostics}
}

// Now is the ROS clock: /clock when use_sim_time is set, else wall time.
func (t *Transport) Now() time.Time {
	t.mu.Lock()
	rn := t.rn
	t.mu.Unlock()
	if rn == nil {
		return time.Now()
	}
	return rn.TimeNow()
}

// NodePath is the node's absolute name.
func (t *Transport) NodePath() string { return t.names.NodePath() }

// ImageTopic is the resolved camera topic.
func (t *Transport) ImageTopic() string { return t.topics.image }

// Run connects to the master, feeds frames to p and keeps the connection
// alive until ctx ends: when the master goes away or restarts, it
// re-registers as soon as the master is back.
func (t *Transport) Run(ctx context.Context, p *node.Pipeline) error {
	labelInfo, err := p.LabelInfo().YAML()
	if err != nil {
		return err
	}
	period := time.Duration(t.opts.ROS1.Watchdog * float64(time.Second))
	waiting := false
	for ctx.Err() == nil {
		c, err := t.connect(p, labelInfo)
		if err != nil {
			if !waiting {
				t.log.Warn("waiting for the ROS master", "master", t.master, "err", err)
				waiting = true
			}
			sleep(ctx, period/2)
			continue
		}
		waiting = false
		t.log.Info("registered with the ROS master", "master", t.master, "node", t.names.NodePath(),
			"image", t.topics.image, "input", c.input, "outputs", []string{t.topics.labels, t.topics.score, t.topics.mask, t.topics.overlay})
		reason := t.watch(ctx, c, period)
		if ctx.Err() != nil {
			c.close(true) // unregister before exiting
			break
		}
		c.close(false)
		t.log.Warn("lost the ROS master, reconnecting", "reason", reason)
	}
	return nil
}

// conn is one registration with the master.
type conn struct {
	rn    *goroslib.Node
	pubs  []*goroslib.Publisher
	sub   *goroslib.Subscriber
	input string // raw or compressed
	runID string
	t     *Transport
}

func (t *Transport) connect(p *node.Pipeline, labelInfo string) (*conn, error) {
	rn, err := goroslib.NewNode(goroslib.NodeConf{
		MasterAddress: t.master, Namespace: t.names.Namespace, Name: t.names.Node, Host: t.host,
		LogDestinations: goroslib.LogDestinationRosout,
		// Master calls and connection handshakes: short, so that a master
		// that vanished without closing its sockets is noticed quickly.
		ReadTimeout: 3 * time.Second,
	})
	if err != nil {
		return nil, err
	}
	c := &conn{rn: rn, t: t}
	c.runID, err = rn.ParamGetString("/run_id")
	if err != nil {
		c.close(false)
		return nil, err
	}
	pub := func(s *sink, topic string, m any, latch bool) error {
		pb, err := goroslib.NewPublisher(goroslib.PublisherConf{Node: rn, Topic: topic, Msg: m, Latch: latch})
		if err != nil {
			return fmt.Errorf("publisher %s: %w", topic, err)
		}
		c.pubs = append(c.pubs, pb)
		if s != nil {
			s.pub.Store(pb)
		}
		return nil
	}
	if err := errors.Join(
		pub(&t.labels, t.topics.labels, &msgs.Image{}, false),
		pub(&t.score, t.topics.score, &msgs.Image{}, false),
		pub(&t.mask, t.topics.mask, &msgs.Image{}, false),
		pub(&t.overlay, t.topics.overlay, &msgs.Image{}, false),
		pub(&t.diagnostics.sink, t.topics.diagnostics, &msgs.DiagnosticArray{}, false),
		pub(nil, t.topics.labelInfo, &msgs.String{}, true),
	); err != nil {
		c.close(false)
		return nil, err
	}
	c.pubs[len(c.pubs)-1].Write(&msgs.String{Data: labelInfo})
	c.input = t.inputKind(rn)
	var cb any = func(m *msgs.Image) { p.Offer(node.Frame{Raw: m}) }
	if c.input == "compressed" {
		cb = func(m *msgs.CompressedImage) { p.Offer(node.Frame{Compressed: m}) }
	}
	c.sub, err = goroslib.NewSubscriber(goroslib.SubscriberConf{Node: rn, Topic: t.topics.image, Callback: cb})
	if err != nil {
		c.close(false)
		return nil, fmt.Errorf("subscriber %s: %w", t.topics.image, err)
	}
	t.mu.Lock()
	t.rn = rn
	t.mu.Unlock()
	t.refreshSubscribers(rn)
	return c, nil
}

// inputKind decides raw or compressed: config, then the type already
// published on the topic, then the topic name.
func (t *Transport) inputKind(rn *goroslib.Node) string {
	switch t.opts.Node.Input {
	case "raw", "compressed":
		return t.opts.Node.Input
	}
	if tops, err := rn.MasterGetTopics(); err == nil {
		if info, ok := tops[t.topics.image]; ok {
			if info.Type == "sensor_msgs/CompressedImage" {
				return "compressed"
			}
			return "raw"
		}
	}
	if strings.HasSuffix(t.topics.image, "/compressed") {
		return "compressed"
	}
	return "raw"
}

// watch checks the master every period until ctx ends or the master is
// gone or restarted (a new /run_id), and keeps the subscriber flags and the
// input kind current. It returns why it stopped.
func (t *Transport) watch(ctx context.Context, c *conn, period time.Duration) string {
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return "shutdown"
		case <-tick.C:
		}
		id, err := c.rn.ParamGetString("/run_id")
		if err != nil {
			return "master unreachable: " + err.Error()
		}
		if id != c.runID {
			return "master restarted"
		}
		t.refreshSubscribers(c.rn)
		if t.opts.Node.Input == "auto" {
			if kind := t.inputKind(c.rn); kind != c.input {
				return fmt.Sprintf("%s now carries %s images", t.topics.image, kind)
			}
		}
	}
}

// refreshSubscribers asks the master which outputs have subscribers other
// than this node.
func (t *Transport) refreshSubscribers(rn *goroslib.Node) {
	tops, err := rn.MasterGetTopics()
	if err != nil {
		return
	}
	self := t.names.NodePath()
	has := func(topic string) bool {
		info, ok := tops[topic]
		if !ok {
			return false
		}
		for s := range info.Subscribers {
			if s != self {
				return true
			}
		}
		return false
	}
	t.labels.subs.Store(has(t.topics.labels))
	t.score.subs.Store(has(t.topics.score))
	t.mask.subs.Store(has(t.topics.mask))
	t.overlay.subs.Store(has(t.topics.overlay))
}

// close unregisters. Unregistering with a master that is gone waits for
// timeouts, so unless wait is set it runs in the background and
// reconnection is quick.
func (c *conn) close(wait bool) {
	t := c.t
	for _, s := range []*sink{&t.labels, &t.score, &t.mask, &t.overlay, &t.diagnostics.sink} {
		s.pub.Store(nil)
	}
	t.mu.Lock()
	if t.rn == c.rn {
		t.rn = nil
	}
	t.mu.Unlock()
	done := make(chan struct{})
	go func() {
		defer close(done)
		if c.sub != nil {
			c.sub.Close()
		}
		for _, p := range c.pubs {
			p.Close()
		}
		c.rn.Close()
	}()
	if wait {
		select {
		case <-done:
		case <-time.After(5 * time.Second):
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
