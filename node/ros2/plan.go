package ros2

import (
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"osr/config"
	"osr/msgs"
	"osr/node"
)

// Options configure the transport.
type Options struct {
	Node   config.Node
	ROS2   config.ROS2
	Remaps map[string]string // from name:=value and --ros-args -r arguments
	Logger *slog.Logger
	// Settings are the node's parameters (node.ParamTable), for the
	// transport's parameter interface; nil: none.
	Settings *node.Settings
	// NoRosout keeps log lines off /rosout (--disable-rosout-logs).
	NoRosout bool
}

// Endpoint is one DDS reader or writer as a ROS 2 node creates it.
type Endpoint struct {
	Name           string // resolved ROS name, /osr/labels
	Topic          string // DDS topic, rt/osr/labels
	ROSType        string // sensor_msgs/msg/Image
	Type           string // DDS type, sensor_msgs::msg::dds_::Image_
	TypeHash       string // RIHS01_..., for the endpoint's USER_DATA (REP 2011)
	ServiceID      string // the service a request reader or reply writer belongs to
	Reliable       bool
	TransientLocal bool
	Depth          int
}

// Plan is everything the transport resolves before touching DDS: names,
// domain, and the endpoints with their QoS.
type Plan struct {
	Names  node.Names
	Domain uint32
	// Distro is ros2.distro, else $ROS_DISTRO, else jazzy.
	Distro  string
	GidSize int
	// CycloneConfig is what the domain is created with: the discovery
	// settings as rmw_cyclonedds makes them from the environment, then
	// ros2.cyclonedds_config or $CYCLONEDDS_URI; DiscoveryNotes are the
	// warnings rmw would print about them.
	CycloneConfig  string
	DiscoveryNotes []string
	// CameraPlan is the first camera's: the node's only one, or the
	// first of node.cameras.
	CameraPlan
	// Cameras are all cameras, the first one too.
	Cameras                []CameraPlan
	LabelInfo, Diagnostics Endpoint
	// Discovery is ros_discovery_info, outside the rt/ namespace.
	Discovery Endpoint
	// ParameterEvents is /parameter_events; Services are the parameter
	// services' request readers and reply writers.
	ParameterEvents Endpoint
	Services        []Service
	// Rosout is /rosout; Clock is /clock, read with use_sim_time.
	Rosout, Clock Endpoint

	hashes map[string]string // type hashes by ROS type
}

// NewPlan resolves the node's name (__node or __name, __ns remaps win over
// the config), the domain (config, else $ROS_DOMAIN_ID, else 0) and the
// endpoints.
func NewPlan(o Options) (Plan, error) {
	r := o.Remaps
	names := node.ROS2Names(o.Node.Namespace, o.Node.Name, r)
	p := Plan{Names: names, GidSize: msgs.GidSize, Distro: o.ROS2.Distro}
	if p.Distro == "" {
		p.Distro = strings.ToLower(strings.TrimSpace(os.Getenv("ROS_DISTRO")))
	}
	if p.Distro == "" {
		p.Distro = "jazzy"
	}
	if p.Distro == "humble" {
		p.GidSize = msgs.GidSizeHumble
	}
	var err error
	if p.CycloneConfig, p.DiscoveryNotes, err = DiscoveryConfig(p.Distro, os.Getenv, o.ROS2.CycloneConfig); err != nil {
		return Plan{}, err
	}
	switch d := o.ROS2.DomainID; {
	case d >= 0:
		p.Domain = uint32(d)
	case os.Getenv("ROS_DOMAIN_ID") != "":
		v, err := strconv.ParseUint(strings.TrimSpace(os.Getenv("ROS_DOMAIN_ID")), 10, 32)
		if err != nil || v > 232 {
			return Plan{}, fmt.Errorf("ROS_DOMAIN_ID=%q: want a domain id in [0, 232]", os.Getenv("ROS_DOMAIN_ID"))
		}
		p.Domain = uint32(v)
	}
	n := o.Node
	ifaces, err := msgs.LoadInterfaces()
	if err != nil {
		return Plan{}, err
	}
	p.hashes = map[string]string{}
	ep := func(name, rosType string, reliable, transientLocal bool, depth int) Endpoint {
		e := Endpoint{Name: names.Resolve(name), ROSType: rosType, Reliable: reliable, TransientLocal: transientLocal, Depth: depth}
		e.Topic = "rt" + e.Name
		var terr error
		if e.Type, terr = msgs.DDSTypeName(rosType); terr != nil && err == nil {
			err = terr
		}
		if e.TypeHash, terr = ifaces.Hash(rosType); terr != nil && err == nil {
			err = terr
		}
		p.hashes[rosType] = e.TypeHash
		return e
	}
	for _, t := range []string{msgs.ROS2Image, msgs.ROS2CompressedImage} {
		if p.hashes[t], err = ifaces.Hash(t); err != nil {
			return Plan{}, err
		}
	}
	q := o.ROS2
	outRel := q.OutputReliability == "reliable"
	for _, cn := range node.CameraNodes(n) {
		n := cn.Node
		c := CameraPlan{Name: cn.Name, Input: n.Input, hashes: p.hashes}
		if c.Input == "auto" {
			// Until a publisher shows its type: the image_transport naming
			// convention.
			c.InputAuto = true
			c.Input = "raw"
			if strings.HasSuffix(names.Resolve(n.ImageTopic), "/compressed") {
				c.Input = "compressed"
			}
		}
		c.Image = ep(n.ImageTopic, msgs.ROS2Image, q.ImageReliability == "reliable", false, q.ImageDepth)
		c.Image = c.ImageEndpoint(c.Input)
		c.Labels = ep(n.LabelsTopic, msgs.ROS2Image, outRel, false, q.OutputDepth)
		c.Score = ep(n.ScoreTopic, msgs.ROS2Image, outRel, false, q.OutputDepth)
		c.Mask = ep(n.MaskTopic, msgs.ROS2Image, outRel, false, q.OutputDepth)
		c.Overlay = ep(n.OverlayTopic, msgs.ROS2Image, outRel, false, q.OutputDepth)
		c.LabelsCompressed = ep(n.LabelsTopic+"/compressed", msgs.ROS2CompressedImage, outRel, false, q.OutputDepth)
		c.MaskCompressed = ep(n.MaskTopic+"/compressed", msgs.ROS2CompressedImage, outRel, false, q.OutputDepth)
		c.OverlayCompressed = ep(n.OverlayTopic+"/compressed", msgs.ROS2CompressedImage, outRel, false, q.OutputDepth)
		c.Objects = ep(n.ObjectsTopic, msgs.ROS2Detection2DArray, outRel, false, q.OutputDepth)
		p.Cameras = append(p.Cameras, c)
	}
	p.CameraPlan = p.Cameras[0]
	p.Diagnostics = ep(n.DiagnosticsTopic, msgs.ROS2DiagnosticArray, outRel, false, q.OutputDepth)
	p.LabelInfo = ep(n.LabelInfoTopic, msgs.ROS2LabelInfo, true, true, 1)
	// rmw's discovery topic: reliable, transient-local, keep last 1.
	p.Discovery = ep("/ros_discovery_info", msgs.ROS2ParticipantEntitiesInfo, true, true, 1)
	p.Discovery.Topic = "ros_discovery_info"
	// rclcpp's parameter events profile: reliable, volatile, keep last 1000.
	p.ParameterEvents = ep("/parameter_events", msgs.ROS2ParameterEvent, true, false, 1000)
	// rcl's rosout profile: reliable, transient local, keep last 1000
	// (lifespan 10 s, which osr leaves out); rclcpp's clock profile: best
	// effort, keep last 1.
	p.Rosout = ep("/rosout", msgs.ROS2Log, true, true, 1000)
	p.Clock = ep("/clock", msgs.ROS2Clock, false, false, 1)
	for _, svc := range msgs.ParamServices() {
		// The services profile: reliable, volatile, keep last 10.
		name := names.NodePath() + "/" + string(svc)
		req := ep(name, svc.Type()+"_Request", true, false, 10)
		req.Topic = "rq" + name + "Request"
		rep := ep(name, svc.Type()+"_Response", true, false, 10)
		rep.Topic = "rr" + name + "Reply"
		p.Services = append(p.Services, Service{Param: svc, Request: req, Reply: rep})
	}
	if err != nil {
		return Plan{}, err
	}
	return p, nil
}

// UserData is the endpoint's USER_DATA QoS, as rmw_cyclonedds sets it.
func (e Endpoint) UserData() string {
	ud := msgs.TypeHashUserData(e.TypeHash)
	if e.ServiceID != "" {
		ud = "serviceid=" + e.ServiceID + ";" + ud
	}
	return ud
}

// Service is one service the node serves: its request reader (rq/...Request)
// and reply writer (rr/...Reply), as rmw_cyclonedds names them.
type Service struct {
	Param          msgs.ParamService
	Request, Reply Endpoint
}

// CameraPlan is one camera's reader and output writers.
type CameraPlan struct {
	Name  string // "" for the one-camera node
	Input string // raw or compressed, to start with
	// InputAuto: the camera's input is auto, so its reader follows the
	// type the topic's publishers use.
	InputAuto                             bool
	Image                                 Endpoint
	Labels, Score, Mask, Overlay, Objects Endpoint
	// <topic>/compressed of labels, mask and overlay, as image_transport
	// names them.
	LabelsCompressed, MaskCompressed, OverlayCompressed Endpoint

	hashes map[string]string // the plan's
}

// Outputs are the camera's output writers, in a fixed order.
func (p CameraPlan) Outputs() []Endpoint {
	return []Endpoint{p.Labels, p.Score, p.Mask, p.Overlay, p.Objects, p.LabelsCompressed, p.MaskCompressed, p.OverlayCompressed}
}

// ImageEndpoint is the camera reader for raw or compressed input.
func (p CameraPlan) ImageEndpoint(input string) Endpoint {
	e := p.Image
	e.ROSType, e.Type = msgs.ROS2Image, "sensor_msgs::msg::dds_::Image_"
	if input == "compressed" {
		e.ROSType, e.Type = msgs.ROS2CompressedImage, "sensor_msgs::msg::dds_::CompressedImage_"
	}
	e.TypeHash = p.hashes[e.ROSType]
	return e
}

// inputOf maps the DDS types of a topic's publishers to the input kind;
// "" when they do not say (none, or both kinds).
func inputOf(types []string) string {
	raw, compressed := false, false
	for _, t := range types {
		switch t {
		case "sensor_msgs::msg::dds_::Image_":
			raw = true
		case "sensor_msgs::msg::dds_::CompressedImage_":
			compressed = true
		}
	}
	switch {
	case raw && !compressed:
		return "raw"
	case compressed && !raw:
		return "compressed"
	}
	return ""
}

// Outputs are the writers that carry the pipeline's outputs, in a fixed
// order: each camera's, then diagnostics and label info.
func (p Plan) Outputs() []Endpoint {
	var out []Endpoint
	for _, c := range p.Cameras {
		out = append(out, c.Outputs()...)
	}
	return append(out, p.Diagnostics, p.LabelInfo)
}

// EntitiesInfo is the ros_discovery_info message of a participant that
// holds this one node.
func (p Plan) EntitiesInfo(participant msgs.Gid, readers, writers []msgs.Gid) *msgs.ParticipantEntitiesInfo {
	return &msgs.ParticipantEntitiesInfo{Gid: participant, Nodes: []msgs.NodeEntitiesInfo{{
		Namespace: p.Names.Namespace, Name: p.Names.Node, Readers: readers, Writers: writers,
	}}}
}
