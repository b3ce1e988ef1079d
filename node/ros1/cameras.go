package ros1

import (
	"errors"
	"fmt"
	"strings"

	"github.com/bluenviron/goroslib/v2"

	"osr/msgs"
	"osr/node"
)

// camera is one camera's topics, output sinks and subscriber: the node's
// only one, or one of node.cameras with its outputs under ~<name>/.
type camera struct {
	name                         string
	input                        string // node.input or the camera's own
	topics                       topics
	labels, score, mask, overlay sink
	labelsC, maskC, overlayC     sink        // <topic>/compressed
	objects                      objectsSink // ~outlier_objects
}

func newCameras(t *Transport) []*camera {
	var cams []*camera
	for _, cn := range node.CameraNodes(t.opts.Node) {
		n := cn.Node
		r := t.names.Resolve
		c := &camera{name: cn.Name, input: n.Input, topics: topics{
			image: r(n.ImageTopic), labels: r(n.LabelsTopic), score: r(n.ScoreTopic), mask: r(n.MaskTopic), overlay: r(n.OverlayTopic),
			objects: r(n.ObjectsTopic),
		}}
		c.topics.labelsC, c.topics.maskC, c.topics.overlayC = c.topics.labels+"/compressed", c.topics.mask+"/compressed", c.topics.overlay+"/compressed"
		cams = append(cams, c)
	}
	return cams
}

// sinks are the camera's outputs for the pipeline.
func (c *camera) sinks() node.Sinks {
	return node.Sinks{Labels: &c.labels, Score: &c.score, Mask: &c.mask, Overlay: &c.overlay, Objects: &c.objects,
		LabelsCompressed: &c.labelsC, MaskCompressed: &c.maskC, OverlayCompressed: &c.overlayC}
}

func (c *camera) outputs() []*sink {
	return []*sink{&c.labels, &c.score, &c.mask, &c.overlay, &c.labelsC, &c.maskC, &c.overlayC, &c.objects.sink}
}

// Cameras are the pipeline's cameras on this transport, in node.cameras'
// order; diagnostics go to Sinks().Diagnostics.
func (t *Transport) Cameras() []node.Camera {
	var out []node.Camera
	for _, c := range t.cams {
		out = append(out, node.Camera{Name: c.name, Sinks: c.sinks()})
	}
	return out
}

// open creates the camera's publishers and its subscriber, which feeds
// the pipeline's camera i; input is what the topic carries.
func (c *camera) open(cn *conn, p *node.Pipeline, i int, pub func(*sink, string, any, bool) error) (*goroslib.Subscriber, error) {
	t := c.topics
	if err := errors.Join(
		pub(&c.labels, t.labels, &msgs.Image{}, false),
		pub(&c.score, t.score, &msgs.Image{}, false),
		pub(&c.mask, t.mask, &msgs.Image{}, false),
		pub(&c.overlay, t.overlay, &msgs.Image{}, false),
		pub(&c.labelsC, t.labelsC, &msgs.CompressedImage{}, false),
		pub(&c.maskC, t.maskC, &msgs.CompressedImage{}, false),
		pub(&c.overlayC, t.overlayC, &msgs.CompressedImage{}, false),
		pub(&c.objects.sink, t.objects, &msgs.ROS1Detection2DArray{}, false),
	); err != nil {
		return nil, err
	}
	var cb any = func(m *msgs.Image) { p.OfferFrom(i, node.Frame{Raw: m}) }
	if cn.inputs[i] == "compressed" {
		cb = func(m *msgs.CompressedImage) { p.OfferFrom(i, node.Frame{Compressed: m}) }
	}
	sub, err := goroslib.NewSubscriber(goroslib.SubscriberConf{Node: cn.rn, Topic: t.image, Callback: cb})
	if err != nil {
		return nil, fmt.Errorf("subscriber %s: %w", t.image, err)
	}
	return sub, nil
}

// inputKind decides raw or compressed: the camera's config, then the type
// already published on the topic, then the topic name.
func (c *camera) inputKind(tops map[string]*goroslib.InfoTopic, known bool) string {
	switch c.input {
	case "raw", "compressed":
		return c.input
	}
	if known {
		if info, ok := tops[c.topics.image]; ok {
			if info.Type == "sensor_msgs/CompressedImage" {
				return "compressed"
			}
			return "raw"
		}
	}
	if strings.HasSuffix(c.topics.image, "/compressed") {
		return "compressed"
	}
	return "raw"
}

// refresh sets the output sinks' subscriber flags from the master's
// topics.
func (c *camera) refresh(has func(string) bool) {
	t := c.topics
	c.labels.subs.Store(has(t.labels))
	c.score.subs.Store(has(t.score))
	c.mask.subs.Store(has(t.mask))
	c.overlay.subs.Store(has(t.overlay))
	c.labelsC.subs.Store(has(t.labelsC))
	c.maskC.subs.Store(has(t.maskC))
	c.overlayC.subs.Store(has(t.overlayC))
	c.objects.subs.Store(has(t.objects))
}
