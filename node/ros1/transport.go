package ros1

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
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
	// Params are the private parameters on the server at start
	// (ServerParams): changes from there on are set live.
	Params map[string]any
	// ParamArgs name the parameters given on the command line
	// (_name:=value); they are written to the server, as roscpp does.
	ParamArgs []string
}

// topics are the resolved names the transport uses.
type topics struct {
	image, labels, score, mask, overlay, labelInfo, diagnostics string
	objects                                                     string
	labelsC, maskC, overlayC                                    string // <topic>/compressed
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
	labelsC, maskC, overlayC     sink // <topic>/compressed
	diagnostics                  diagSink
	objects                      objectsSink    // ~outlier_objects
	level                        *slog.LevelVar // of the logger ros.osr

	mu        sync.Mutex
	rn        *goroslib.Node
	info      *goroslib.Publisher // the latched label info while registered
	labelInfo string              // its YAML
}

// New resolves names and addresses; Run connects.
func New(opts Options) (*Transport, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	r := opts.Remaps
	names := node.Names{Namespace: namespace(opts.Node.Namespace, os.Getenv("ROS_NAMESPACE"), r["__ns"]), Node: opts.Node.Name, Remaps: r}
	if v, ok := r["__name"]; ok {
		names.Node = v
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
	t := &Transport{opts: opts, names: names, master: u.Host, host: host, level: new(slog.LevelVar)}
	if !opts.Logger.Enabled(context.Background(), slog.LevelInfo) {
		t.level.Set(slog.LevelWarn)
	} else if opts.Logger.Enabled(context.Background(), slog.LevelDebug) {
		t.level.Set(slog.LevelDebug)
	}
	t.log = slog.New(&rosoutHandler{next: opts.Logger.Handler(), level: t.level, node: t.node})
	t.topics = topics{
		image: names.Resolve(n.ImageTopic), labels: names.Resolve(n.LabelsTopic), score: names.Resolve(n.ScoreTopic),
		mask: names.Resolve(n.MaskTopic), overlay: names.Resolve(n.OverlayTopic), labelInfo: names.Resolve(n.LabelInfoTopic),
		diagnostics: names.Resolve(n.DiagnosticsTopic), objects: names.Resolve(n.ObjectsTopic),
	}
	t.topics.labelsC, t.topics.maskC, t.topics.overlayC = t.topics.labels+"/compressed", t.topics.mask+"/compressed", t.topics.overlay+"/compressed"
	return t, nil
}

// namespace is the node's namespace as ROS 1 decides it: __ns:= wins over
// ROS_NAMESPACE (what roslaunch sets for a node in a <group ns=...>), which
// wins over osr's config. Relative namespaces are taken from the root.
func namespace(config, env, arg string) string {
	ns := config
	if env != "" {
		ns = env
	}
	if arg != "" {
		ns = arg
	}
	return "/" + strings.Trim(ns, "/")
}

// Logger logs to the transport's logger and to /rosout while registered,
// at the level that ~set_logger_level sets.
func (t *Transport) Logger() *slog.Logger { return t.log }

// node is the current registration, nil between registrations.
func (t *Transport) node() *goroslib.Node {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.rn
}

// Sinks are the pipeline's outputs on this transport.
func (t *Transport) Sinks() node.Sinks {
	return node.Sinks{Labels: &t.labels, Score: &t.score, Mask: &t.mask, Overlay: &t.overlay, Diagnostics: &t.diagnostics, Objects: &t.objects,
		LabelsCompressed: &t.labelsC, MaskCompressed: &t.maskC, OverlayCompressed: &t.overlayC}
}

// Now is the ROS clock: /clock when use_sim_time is set, else wall time.
func (t *Transport) Now() time.Time {
	rn := t.node()
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
// re-registers as soon as the master is back. When the master asks the
// node to shut down (rosnode kill, another node taking its name), Run
// returns, so that the process ends and roslaunch can respawn it.
func (t *Transport) Run(ctx context.Context, p *node.Pipeline) error {
	labelInfo, err := p.LabelInfo().YAML()
	if err != nil {
		return err
	}
	t.mu.Lock()
	t.labelInfo = labelInfo
	t.mu.Unlock()
	t.objects.setClass(p.LabelInfo())
	var params *paramWatch
	if s := t.opts.Settings; s != nil {
		params = t.newParamWatch(maps.Clone(t.opts.Params))
		s.Watch(func([]string) { t.publishLabelInfo(p) })
	}
	period := time.Duration(t.opts.ROS1.Watchdog * float64(time.Second))
	waiting := false
	for ctx.Err() == nil {
		c, err := t.connect(p)
		var se *shutdownError
		if errors.As(err, &se) {
			t.log.Warn("the ROS master shut the node down", "node", t.names.NodePath(), "request", se.request)
			return nil
		}
		if err != nil {
			if !waiting {
				t.log.Warn("waiting for the ROS master", "master", t.master, "err", err)
				waiting = true
			}
			sleep(ctx, period/2)
			continue
		}
		waiting = false
		if params != nil {
			if err := params.write(c.rn, t.opts.ParamArgs); err != nil {
				t.log.Warn("could not put the command line's parameters on the parameter server", "err", err)
			}
		}
		t.log.Info("registered with the ROS master", "master", t.master, "node", t.names.NodePath(),
			"image", t.topics.image, "input", c.input, "outputs", []string{t.topics.labels, t.topics.score, t.topics.mask, t.topics.overlay, t.topics.objects})
		reason, shutdown := t.watch(ctx, c, period, params)
		if shutdown {
			t.log.Warn("the ROS master shut the node down", "node", t.names.NodePath(), "request", reason)
			c.close(true)
			return nil
		}
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
	srvs  []*goroslib.ServiceProvider
	info  *goroslib.Publisher // label info
	input string              // raw or compressed
	runID string
	t     *Transport
	// shutdown receives the master's shutdown request, once.
	shutdown chan string
}

// shutdownPrefix starts the log line by which goroslib (v2.1.5) reports
// a shutdown request on its slave API; it has no other signal for it.
const shutdownPrefix = "got shutdown request from "

func (t *Transport) connect(p *node.Pipeline) (*conn, error) {
	// goroslib takes the namespace from ROS_NAMESPACE when it is set, over
	// NodeConf; make it the one resolved here (__ns:= wins, and roslaunch's
	// or a user's "robot1/" would be refused).
	if err := os.Setenv("ROS_NAMESPACE", t.names.Namespace); err != nil {
		return nil, err
	}
	shutdown := make(chan string, 1)
	rn, err := goroslib.NewNode(goroslib.NodeConf{
		MasterAddress: t.master, Namespace: t.names.Namespace, Name: t.names.Node, Host: t.host,
		// goroslib's own lines go to /rosout only; osr's come through
		// Logger. The callback is how a shutdown request shows.
		LogDestinations: goroslib.LogDestinationRosout | goroslib.LogDestinationCallback,
		OnLog: func(_ goroslib.LogLevel, msg string) {
			if req, ok := strings.CutPrefix(msg, shutdownPrefix); ok {
				select {
				case shutdown <- req:
				default:
				}
			}
		},
		// Master calls and connection handshakes: short, so that a master
		// that vanished without closing its sockets is noticed quickly.
		ReadTimeout: 3 * time.Second,
	})
	if err != nil {
		return nil, err
	}
	c := &conn{rn: rn, t: t, shutdown: shutdown}
	if err := c.open(p); err != nil {
		c.close(false)
		// A shutdown request while registering (another node took the
		// name) ends the node too, or it would take the name back.
		select {
		case req := <-shutdown:
			return nil, &shutdownError{req}
		default:
			return nil, err
		}
	}
	t.mu.Lock()
	t.rn, t.info = rn, c.info
	c.info.Write(&msgs.String{Data: t.labelInfo})
	t.mu.Unlock()
	t.refreshSubscribers(rn)
	return c, nil
}

// shutdownError is a shutdown request from the master.
type shutdownError struct{ request string }

func (e *shutdownError) Error() string { return "shutdown request from " + e.request }

// open creates the publishers, the subscriber and the logger services.
func (c *conn) open(p *node.Pipeline) error {
	t, rn := c.t, c.rn
	var err error
	c.runID, err = rn.ParamGetString("/run_id")
	if err != nil {
		return err
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
		pub(&t.labelsC, t.topics.labelsC, &msgs.CompressedImage{}, false),
		pub(&t.maskC, t.topics.maskC, &msgs.CompressedImage{}, false),
		pub(&t.overlayC, t.topics.overlayC, &msgs.CompressedImage{}, false),
		pub(&t.objects.sink, t.topics.objects, &msgs.ROS1Detection2DArray{}, false),
		pub(&t.diagnostics.sink, t.topics.diagnostics, &msgs.DiagnosticArray{}, false),
		pub(nil, t.topics.labelInfo, &msgs.String{}, true),
	); err != nil {
		return err
	}
	c.info = c.pubs[len(c.pubs)-1]
	if c.srvs, err = loggerServices(rn, t.names, t.level, t.log); err != nil {
		return err
	}
	c.input = t.inputKind(rn)
	var cb any = func(m *msgs.Image) { p.Offer(node.Frame{Raw: m}) }
	if c.input == "compressed" {
		cb = func(m *msgs.CompressedImage) { p.Offer(node.Frame{Compressed: m}) }
	}
	c.sub, err = goroslib.NewSubscriber(goroslib.SubscriberConf{Node: rn, Topic: t.topics.image, Callback: cb})
	if err != nil {
		return fmt.Errorf("subscriber %s: %w", t.topics.image, err)
	}
	return nil
}

// publishLabelInfo re-publishes the latched label info after a live
// parameter change (the threshold is in it).
func (t *Transport) publishLabelInfo(p *node.Pipeline) {
	y, err := p.LabelInfo().YAML()
	if err != nil {
		t.log.Warn("label info", "err", err)
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.labelInfo = y
	if t.info != nil {
		t.info.Write(&msgs.String{Data: y})
	}
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

// watch checks the master every period until ctx ends, the master asks
// the node to shut down (shutdown is then true), or the master is gone or
// restarted (a new /run_id); it keeps the subscriber flags and the input
// kind current. It returns why it stopped.
func (t *Transport) watch(ctx context.Context, c *conn, period time.Duration, params *paramWatch) (reason string, shutdown bool) {
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return "shutdown", false
		case req := <-c.shutdown:
			return req, true
		case <-tick.C:
		}
		id, err := c.rn.ParamGetString("/run_id")
		if err != nil {
			return "master unreachable: " + err.Error(), false
		}
		if id != c.runID {
			return "master restarted", false
		}
		t.refreshSubscribers(c.rn)
		if params != nil {
			params.poll()
		}
		if t.opts.Node.Input == "auto" {
			if kind := t.inputKind(c.rn); kind != c.input {
				return fmt.Sprintf("%s now carries %s images", t.topics.image, kind), false
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
	t.labelsC.subs.Store(has(t.topics.labelsC))
	t.maskC.subs.Store(has(t.topics.maskC))
	t.overlayC.subs.Store(has(t.topics.overlayC))
	t.objects.subs.Store(has(t.topics.objects))
}

// close unregisters. Unregistering with a master that is gone waits for
// timeouts, so unless wait is set it runs in the background and
// reconnection is quick.
func (c *conn) close(wait bool) {
	t := c.t
	for _, s := range []*sink{&t.labels, &t.score, &t.mask, &t.overlay, &t.labelsC, &t.maskC, &t.overlayC, &t.objects.sink, &t.diagnostics.sink} {
		s.pub.Store(nil)
	}
	t.mu.Lock()
	if t.rn == c.rn {
		t.rn, t.info = nil, nil
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
		for _, s := range c.srvs {
			s.Close()
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
