//go:build ros2

package ros2

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"osr/config"
	"osr/internal/imageio"
	"osr/model"
	"osr/msgs"
	"osr/node"
)

// These tests run the transport in-process against a second Cyclone DDS
// participant that plays the ROS 2 graph: a camera, subscribers and the
// discovery reader, all speaking CDR through msgs.

// syncBuf is a log destination the test can read while the node writes.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type running struct {
	tr   *Transport
	log  *syncBuf
	stop func() error
}

// startNode runs the transport and a pipeline with the bundled model.
func startNode(t *testing.T, mod func(*config.Config)) *running {
	t.Helper()
	cfg := config.Default()
	cfg.Node.Transport = "ros2"
	cfg.Node.DiagnosticsPeriod = 0.2
	if mod != nil {
		mod(&cfg)
	}
	opts := model.DefaultOptions()
	opts.IntraOpThreads = 1
	eng, err := model.Open("../../models/camvid-so", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	logs := &syncBuf{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	tr, err := New(Options{Node: cfg.Node, ROS2: cfg.ROS2, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	p := node.NewPipeline(eng, tr.Sinks(), node.Options{Name: tr.NodePath(), DiagnosticsPeriod: 200 * time.Millisecond, Logger: log})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 2)
	go func() { done <- p.Run(ctx) }()
	go func() { done <- tr.Run(ctx, p) }()
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		var first error
		for range 2 {
			select {
			case err := <-done:
				if err != nil && first == nil {
					first = err
				}
			case <-time.After(5 * time.Second):
				t.Fatal("node did not stop within 5 s of cancel")
			}
		}
		return first
	}
	t.Cleanup(func() { stop() })
	r := &running{tr: tr, log: logs, stop: stop}
	waitFor(t, 10*time.Second, "node joined", func() bool { return strings.Contains(logs.String(), "joined the DDS domain") })
	return r
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// peer is the rest of the ROS 2 graph.
type peer struct {
	t  *testing.T
	pp *participant
}

func newPeer(t *testing.T, domain uint32) *peer {
	t.Helper()
	pp, err := newParticipant(domain, "", "enclave=/;")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pp.close)
	return &peer{t: t, pp: pp}
}

func (p *peer) reader(topic, rosType string, reliable, transientLocal bool) entity {
	p.t.Helper()
	return p.readerDepth(topic, rosType, reliable, transientLocal, 5)
}

// readerDepth is reader with a history of depth samples, for a test that
// must not lose any while it is busy elsewhere.
func (p *peer) readerDepth(topic, rosType string, reliable, transientLocal bool, depth int) entity {
	p.t.Helper()
	e := Endpoint{Topic: topic, ROSType: rosType, Reliable: reliable, TransientLocal: transientLocal, Depth: depth}
	e.Type, _ = msgs.DDSTypeName(rosType)
	r, _, err := p.pp.reader(e)
	if err != nil {
		p.t.Fatal(err)
	}
	return r
}

func (p *peer) writer(topic, rosType string, reliable bool) entity {
	p.t.Helper()
	e := Endpoint{Topic: topic, ROSType: rosType, Reliable: reliable, Depth: 1}
	e.Type, _ = msgs.DDSTypeName(rosType)
	w, err := p.pp.writer(e)
	if err != nil {
		p.t.Fatal(err)
	}
	return w
}

// next waits for a sample on r.
func next(t *testing.T, r entity, d time.Duration) []byte {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		data, ok, err := take(r)
		if err != nil {
			t.Fatal(err)
		}
		if ok && data != nil {
			return data
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no sample within %v", d)
	return nil
}

func demoImage(t *testing.T, stamp time.Time) *msgs.Image {
	t.Helper()
	im, err := imageio.ReadFile("../../demo/camvid/0001TP_008640.jpg")
	if err != nil {
		t.Fatal(err)
	}
	return &msgs.Image{Header: msgs.Header{Stamp: stamp, FrameId: "camvid_cam"}, Width: uint32(im.Width), Height: uint32(im.Height),
		Encoding: msgs.RGB8, Step: uint32(3 * im.Width), Data: im.Pix}
}

func TestNodeServesROS2Graph(t *testing.T) {
	domain := loopbackDomain(t)
	n := startNode(t, nil)
	plan := n.tr.Plan()
	if plan.Domain != domain || plan.Image.Topic != "rt/image" || plan.Labels.Topic != "rt/osr/labels" || plan.Image.Reliable {
		t.Fatalf("plan %+v", plan)
	}
	p := newPeer(t, domain)
	cam := p.writer("rt/image", msgs.ROS2Image, true)
	labels := p.reader("rt/osr/labels", msgs.ROS2Image, true, false)
	mask := p.reader("rt/osr/outlier_mask", msgs.ROS2Image, true, false)
	overlay := p.reader("rt/osr/overlay", msgs.ROS2Image, false, false) // best-effort subscribers match too
	diag := p.reader("rt/diagnostics", msgs.ROS2DiagnosticArray, true, false)
	waitFor(t, 5*time.Second, "matching", func() bool {
		return matched(cam) == 1 && publishers(labels) == 1 && publishers(mask) == 1 && publishers(overlay) == 1
	})
	// Nobody reads the score: the node must not build it.
	if n.tr.cams[0].score.HasSubscribers() || !n.tr.cams[0].labels.HasSubscribers() {
		t.Fatal("HasSubscribers does not follow matching")
	}

	// label_info is transient-local: a subscriber that joins late gets it.
	li, err := msgs.DecodeLabelInfoCDR(next(t, p.reader("rt/osr/label_info", msgs.ROS2LabelInfo, true, true), 3*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if len(li.ClassMap) != 11 || li.ClassMap[0].ClassName != "sky" || li.ClassMap[10] != (msgs.VisionClass{ClassID: 10, ClassName: "unknown"}) || li.Threshold <= 0 {
		t.Fatalf("label info %+v", li)
	}

	// ros_discovery_info maps this participant's endpoints to the node (the
	// camera reader; /rosout, the four images, their three compressed
	// forms, the objects, diagnostics and label info),
	// and the participant carries the enclave in its user data.
	info, err := msgs.DecodeParticipantEntitiesInfoCDR(next(t, p.reader("ros_discovery_info", msgs.ROS2ParticipantEntitiesInfo, true, true), 3*time.Second), msgs.GidSize)
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Nodes) != 1 || info.Nodes[0].Name != "osr" || info.Nodes[0].Namespace != "/" || len(info.Nodes[0].Readers) != 1 || len(info.Nodes[0].Writers) != 11 {
		t.Fatalf("discovery info %+v", info)
	}
	ud, err := participantUserData(p.pp)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := ud[info.Gid]; !ok || got != "enclave=/;" {
		t.Fatalf("participant %x: user data %q (found %v), want enclave=/;", info.Gid[:16], got, ok)
	}

	// A frame comes back on every subscribed output with its header.
	stamp := time.Unix(1700000000, 123456789)
	in := demoImage(t, stamp)
	start := time.Now()
	if err := write(cam, msgs.EncodeImageCDR(in)); err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]entity{"labels": labels, "outlier_mask": mask, "overlay": overlay} {
		m, err := msgs.DecodeImageCDR(next(t, r, 10*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if !m.Header.Stamp.Equal(stamp) || m.Header.FrameId != "camvid_cam" || m.Width != 480 || m.Height != 360 {
			t.Errorf("%s: header %v %q size %dx%d", name, m.Header.Stamp, m.Header.FrameId, m.Width, m.Height)
		}
		want := map[string]string{"labels": msgs.Mono8, "outlier_mask": msgs.Mono8, "overlay": msgs.RGB8}[name]
		if m.Encoding != want || len(m.Data) != int(m.Step*m.Height) {
			t.Errorf("%s: encoding %s, %d bytes for step %d", name, m.Encoding, len(m.Data), m.Step)
		}
	}
	t.Logf("frame in to three outputs back: %v (in-process, 480x360)", time.Since(start))

	// A message that is not a sensor_msgs/Image is counted and skipped.
	if err := write(cam, []byte{0, 1, 0, 0, 0xff, 0xff}); err != nil {
		t.Fatal(err)
	}
	var bad bool
	waitFor(t, 5*time.Second, "bad frame in diagnostics", func() bool {
		d, err := msgs.DecodeDiagnosticArrayCDR(next(t, diag, 3*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		for _, kv := range d.Status[0].Values {
			if kv.Key == "bad_frames" && kv.Value == "1" {
				bad = true
			}
		}
		return bad
	})
	if err := write(cam, msgs.EncodeImageCDR(demoImage(t, stamp.Add(time.Second)))); err != nil {
		t.Fatal(err)
	}
	if m, err := msgs.DecodeImageCDR(next(t, labels, 10*time.Second)); err != nil || !m.Header.Stamp.Equal(stamp.Add(time.Second)) {
		t.Fatalf("no output after a bad frame: %v", err)
	}

	// A subscriber asking for more than an output offers is reported.
	p.reader("rt/osr/outlier_score", msgs.ROS2Image, true, true)
	waitFor(t, 5*time.Second, "the durability warning", func() bool {
		return strings.Contains(n.log.String(), `asks for QoS this output does not offer" topic=/osr/outlier_score policy=durability`)
	})

	// Shutdown deletes the participant: the camera loses its subscriber.
	if err := n.stop(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "camera unmatched after shutdown", func() bool { return matched(cam) == 0 })
}

func TestCompressedInputByTopicName(t *testing.T) {
	domain := loopbackDomain(t)
	n := startNode(t, func(c *config.Config) { c.Node.ImageTopic = "/camera/image_raw/compressed" })
	if plan := n.tr.Plan(); plan.Input != "compressed" || plan.Image.Type != "sensor_msgs::msg::dds_::CompressedImage_" {
		t.Fatalf("plan %+v", plan.Image)
	}
	p := newPeer(t, domain)
	cam := p.writer("rt/camera/image_raw/compressed", msgs.ROS2CompressedImage, false)
	labels := p.reader("rt/osr/labels", msgs.ROS2Image, true, false)
	waitFor(t, 5*time.Second, "matching", func() bool { return matched(cam) == 1 && publishers(labels) == 1 })
	jpeg, err := os.ReadFile("../../demo/camvid/0001TP_008640.jpg")
	if err != nil {
		t.Fatal(err)
	}
	stamp := time.Unix(42, 7)
	c := &msgs.CompressedImage{Header: msgs.Header{Stamp: stamp, FrameId: "cam"}, Format: "jpeg", Data: jpeg}
	// Best effort: resend until the node answers.
	var m *msgs.Image
	deadline := time.Now().Add(10 * time.Second)
	for m == nil && time.Now().Before(deadline) {
		if err := write(cam, msgs.EncodeCompressedImageCDR(c)); err != nil {
			t.Fatal(err)
		}
		if data, ok, _ := takeWithin(labels, time.Second); ok {
			if m, err = msgs.DecodeImageCDR(data); err != nil {
				t.Fatal(err)
			}
		}
	}
	if m == nil || !m.Header.Stamp.Equal(stamp) || m.Width != 480 {
		t.Fatalf("labels for a compressed frame: %+v", m)
	}
}

// A reliable camera reader never matches a best-effort camera: the node
// says so in its log instead of silently receiving nothing.
func TestReliableReaderRejectsBestEffortCamera(t *testing.T) {
	domain := loopbackDomain(t)
	n := startNode(t, func(c *config.Config) { c.ROS2.ImageReliability = "reliable" })
	p := newPeer(t, domain)
	cam := p.writer("rt/image", msgs.ROS2Image, false)
	waitFor(t, 5*time.Second, "the QoS warning", func() bool {
		return strings.Contains(n.log.String(), "does not match this node's QoS") && strings.Contains(n.log.String(), "policy=reliability")
	})
	if matched(cam) != 0 {
		t.Fatal("a best-effort writer matched a reliable reader")
	}
	if !strings.Contains(n.log.String(), "ros2.image_reliability: best_effort") {
		t.Errorf("no hint in the log:\n%s", n.log.String())
	}
}

func takeWithin(r entity, d time.Duration) ([]byte, bool, error) {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		data, ok, err := take(r)
		if err != nil || ok && data != nil {
			return data, ok, err
		}
		time.Sleep(5 * time.Millisecond)
	}
	return nil, false, nil
}

// node.input auto: the camera reader follows the type the topic's
// publishers use, as the ROS 1 node asks the master, and the node's
// discovery info follows its new reader.
func TestAutoInputFollowsPublisherType(t *testing.T) {
	domain := loopbackDomain(t)
	n := startNode(t, nil)
	p := newPeer(t, domain)
	cam := p.writer("rt/image", msgs.ROS2CompressedImage, false)
	labels := p.reader("rt/osr/labels", msgs.ROS2Image, true, false)
	disc := p.reader("ros_discovery_info", msgs.ROS2ParticipantEntitiesInfo, true, true)
	first, err := msgs.DecodeParticipantEntitiesInfoCDR(next(t, disc, 3*time.Second), msgs.GidSize)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the switch to compressed", func() bool {
		return strings.Contains(n.log.String(), "now carries compressed images") && matched(cam) == 1
	})
	jpeg, err := os.ReadFile("../../demo/camvid/0001TP_008640.jpg")
	if err != nil {
		t.Fatal(err)
	}
	c := &msgs.CompressedImage{Header: msgs.Header{Stamp: time.Unix(77, 0), FrameId: "cam"}, Format: "jpeg", Data: jpeg}
	var m *msgs.Image
	for deadline := time.Now().Add(10 * time.Second); m == nil && time.Now().Before(deadline); {
		if err := write(cam, msgs.EncodeCompressedImageCDR(c)); err != nil {
			t.Fatal(err)
		}
		if data, ok, _ := takeWithin(labels, time.Second); ok {
			if m, err = msgs.DecodeImageCDR(data); err != nil {
				t.Fatal(err)
			}
		}
	}
	if m == nil || !m.Header.Stamp.Equal(time.Unix(77, 0)) {
		t.Fatalf("no labels for a compressed frame after the switch: %+v\n%s", m, n.log.String())
	}
	second, err := msgs.DecodeParticipantEntitiesInfoCDR(next(t, disc, 3*time.Second), msgs.GidSize)
	if err != nil {
		t.Fatal(err)
	}
	if second.Nodes[0].Readers[0] == first.Nodes[0].Readers[0] || len(second.Nodes[0].Writers) != 11 {
		t.Fatalf("discovery info did not follow the new reader: %x -> %x", first.Nodes[0].Readers[0][:16], second.Nodes[0].Readers[0][:16])
	}
	if strings.Count(n.log.String(), "switching the reader") != 1 {
		t.Fatalf("reader switched more than once:\n%s", n.log.String())
	}
}

// ros2.cyclonedds_config configures Cyclone without the environment, and a
// broken one stops the node with an error that names the setting.
func TestCycloneConfigFromOsrConfig(t *testing.T) {
	domain := loopbackDomain(t)
	t.Setenv("CYCLONEDDS_URI", "")
	t.Setenv("ROS_DOMAIN_ID", "")
	startNode(t, func(c *config.Config) {
		c.ROS2.CycloneConfig, c.ROS2.DomainID = loopbackConfig, int(domain)
	})
	p := newPeer(t, domain) // joins the domain the node created, same process
	labels := p.reader("rt/osr/labels", msgs.ROS2Image, true, false)
	waitFor(t, 5*time.Second, "matching", func() bool { return publishers(labels) == 1 })

	c := config.Default()
	c.ROS2.CycloneConfig, c.ROS2.DomainID = "<CycloneDDS><Domain><General><NoSuchSetting>1</NoSuchSetting></General></Domain></CycloneDDS>", int(domain)+1
	tr, err := New(Options{Node: c.Node, ROS2: c.ROS2, Logger: slog.New(slog.NewTextHandler(&syncBuf{}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	err = tr.Run(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), "ros2.cyclonedds_config") {
		t.Fatalf("a broken Cyclone config gave %v", err)
	}
}

// With ros2.distro unset, the node's ros_discovery_info follows the gid
// layout its peers' use (a Humble peer: 24 bytes), and says so; with
// ros2.distro set, it keeps its own.
func TestDistroFollowsPeers(t *testing.T) {
	t.Setenv("ROS_DISTRO", "jazzy")
	for _, fixed := range []bool{false, true} {
		domain := loopbackDomain(t)
		n := startNode(t, func(c *config.Config) {
			c.ROS2.DomainID = int(domain)
			if fixed {
				c.ROS2.Distro = "jazzy"
			}
		})
		p := newPeer(t, domain)
		disc := p.reader("ros_discovery_info", msgs.ROS2ParticipantEntitiesInfo, true, true)
		e := n.tr.plan.Discovery
		e.Depth = 5 // as the reader's topic
		w, err := p.pp.writer(e)
		if err != nil {
			t.Fatal(err)
		}
		self, err := gid(p.pp.pp)
		if err != nil {
			t.Fatal(err)
		}
		humble, _ := msgs.EncodeParticipantEntitiesInfoCDR(&msgs.ParticipantEntitiesInfo{Gid: self,
			Nodes: []msgs.NodeEntitiesInfo{{Namespace: "/", Name: "humble_node"}}}, msgs.GidSizeHumble)
		if err := write(w, humble); err != nil {
			t.Fatal(err)
		}
		want := msgs.GidSizeHumble
		if fixed {
			want = msgs.GidSize
		}
		deadline := time.Now().Add(5 * time.Second)
		size := 0
		for time.Now().Before(deadline) {
			if data, ok, _ := takeWithin(disc, 500*time.Millisecond); ok && data != nil {
				if s, err := msgs.GidSizeOf(data); err == nil && (len(data) < 20 || !bytes.Equal(data[4:20], self[:16])) {
					size = s
				}
			}
			if size == want && time.Since(deadline) > -3*time.Second {
				break
			}
		}
		if size != want {
			t.Errorf("distro fixed %v: the node sends %d-byte gids after a Humble peer, want %d\n%s", fixed, size, want, n.log.String())
		}
		if followed := strings.Contains(n.log.String(), "following them"); followed == fixed {
			t.Errorf("distro fixed %v: log says following %v:\n%s", fixed, followed, n.log.String())
		}
	}
}
