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

// topics are a camera's resolved names.
type topics struct {
	image, labels, score, mask, overlay, objects string
	labelsC, maskC, overlayC                     string // <topic>/compressed
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
	opts                 Options
	names                node.Names
	cams                 []*camera
	labelInfo, diagTopic string // the node's topics
	master               string // host:port
	host                 string
	log                  *slog.Logger
	diagnostics          diagSink
	level                *slog.LevelVar // of the logger ros.osr

	mu       sync.Mutex
	rn       *goroslib.Node
	info     *goroslib.Publisher // the latched label info while registered
	infoYAML string              // its YAML
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
	t.labelInfo, t.diagTopic = names.Resolve(n.LabelInfoTopic), names.Resolve(n.DiagnosticsTopic)
	t.cams = newCameras(t)
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

// Sinks are the pipeline's outputs on this transport: the first camera's
// and the diagnostics.
func (t *Transport) Sinks() node.Sinks {
	s := t.cams[0].sinks()
	s.Diagnostics = &t.diagnostics
	return s
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

// ImageTopic is the resolved topic of the (first) camera.
func (t *Transport) ImageTopic() string { return t.cams[0].topics.image }

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
	t.infoYAML = labelInfo
	t.mu.Unlock()
	for _, cam := range t.cams {
		cam.objects.setClass(p.LabelInfo())
	}
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
		for i, cam := range t.cams {
			t.log.Info("registered with the ROS master", "master", t.master, "node", t.names.NodePath(), "camera", cam.name,
				"image", cam.topics.image, "input", c.inputs[i], "outputs", []string{cam.topics.labels, cam.topics.score, cam.topics.mask, cam.topics.overlay, cam.topics.objects})
		}
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
	rn     *goroslib.Node
	pubs   []*goroslib.Publisher
	subs   []*goroslib.Subscriber
	srvs   []*goroslib.ServiceProvider
	info   *goroslib.Publisher // label info
	inputs []string            // per camera: raw or compressed
	runID  string
	t      *Transport
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
	c.info.Write(&msgs.String{Data: t.infoYAML})
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
		pub(&t.diagnostics.sink, t.diagTopic, &msgs.DiagnosticArray{}, false),
		pub(nil, t.labelInfo, &msgs.String{}, true),
	); err != nil {
		return err
	}
	c.info = c.pubs[len(c.pubs)-1]
	if c.srvs, err = loggerServices(rn, t.names, t.level, t.log); err != nil {
		return err
	}
	c.inputs = t.inputKinds(rn)
	for i, cam := range t.cams {
		sub, err := cam.open(c, p, i, pub)
		if err != nil {
			return err
		}
		c.subs = append(c.subs, sub)
	}
	return nil
}

// publishLabelInfo re-publishes the latched label info after a live
// parameter change (the threshold is in it).
func (t *Transport) publishLabelInfo(p *node.Pipeline) {
	li := p.LabelInfo()
	for _, cam := range t.cams { // a live open_set change moves the unknown id
		cam.objects.setClass(li)
	}
	y, err := li.YAML()
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

// inputKinds decides raw or compressed for each camera.
func (t *Transport) inputKinds(rn *goroslib.Node) []string {
	tops, err := rn.MasterGetTopics()
	var kinds []string
	for _, c := range t.cams {
		kinds = append(kinds, c.inputKind(tops, err == nil))
	}
	return kinds
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
		for i, kind := range t.inputKinds(c.rn) {
			if kind != c.inputs[i] {
				return fmt.Sprintf("%s now carries %s images", t.cams[i].topics.image, kind), false
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
	for _, c := range t.cams {
		c.refresh(has)
	}
}

// close unregisters. Unregistering with a master that is gone waits for
// timeouts, so unless wait is set it runs in the background and
// reconnection is quick.
func (c *conn) close(wait bool) {
	t := c.t
	t.diagnostics.pub.Store(nil)
	for _, cam := range t.cams {
		for _, s := range cam.outputs() {
			s.pub.Store(nil)
		}
	}
	t.mu.Lock()
	if t.rn == c.rn {
		t.rn, t.info = nil, nil
	}
	t.mu.Unlock()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, s := range c.subs {
			s.Close()
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
