package ros2

import (
	"strings"
	"testing"

	"osr/config"
	"osr/msgs"
)

func TestPlanNamesTypesAndQoS(t *testing.T) {
	t.Setenv("ROS_DOMAIN_ID", "17")
	c := config.Default()
	p, err := NewPlan(Options{Node: c.Node, ROS2: c.ROS2, Remaps: map[string]string{
		"__node": "seg", "__ns": "/robot", "image": "/camera/image_raw", "/diagnostics": "/robot/diagnostics"}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Domain != 17 || p.Names.NodePath() != "/robot/seg" || p.GidSize != msgs.GidSize || p.Input != "raw" {
		t.Fatalf("%+v", p)
	}
	for _, c := range []struct {
		e                        Endpoint
		topic, typ               string
		reliable, transientLocal bool
		depth                    int
	}{
		{p.Image, "rt/camera/image_raw", "sensor_msgs::msg::dds_::Image_", false, false, 5},
		{p.Labels, "rt/robot/seg/labels", "sensor_msgs::msg::dds_::Image_", true, false, 10},
		{p.Overlay, "rt/robot/seg/overlay", "sensor_msgs::msg::dds_::Image_", true, false, 10},
		{p.Diagnostics, "rt/robot/diagnostics", "diagnostic_msgs::msg::dds_::DiagnosticArray_", true, false, 10},
		{p.LabelInfo, "rt/robot/seg/label_info", "vision_msgs::msg::dds_::LabelInfo_", true, true, 1},
		{p.Discovery, "ros_discovery_info", "rmw_dds_common::msg::dds_::ParticipantEntitiesInfo_", true, true, 1},
	} {
		if c.e.Topic != c.topic || c.e.Type != c.typ || c.e.Reliable != c.reliable || c.e.TransientLocal != c.transientLocal || c.e.Depth != c.depth {
			t.Errorf("%s: %+v", c.topic, c.e)
		}
	}
}

func TestPlanDomainInputAndDistro(t *testing.T) {
	c := config.Default()
	c.ROS2.DomainID, c.ROS2.Distro = 3, "humble"
	c.Node.ImageTopic = "/cam/image_raw/compressed"
	t.Setenv("ROS_DOMAIN_ID", "9") // the config wins
	p, err := NewPlan(Options{Node: c.Node, ROS2: c.ROS2})
	if err != nil {
		t.Fatal(err)
	}
	if p.Domain != 3 || p.GidSize != msgs.GidSizeHumble || p.Input != "compressed" || !strings.Contains(p.Image.Type, "CompressedImage_") {
		t.Fatalf("%+v", p)
	}
	c.ROS2.DomainID = -1
	t.Setenv("ROS_DOMAIN_ID", "banana")
	if _, err := NewPlan(Options{Node: c.Node, ROS2: c.ROS2}); err == nil || !strings.Contains(err.Error(), "ROS_DOMAIN_ID") {
		t.Fatalf("bad ROS_DOMAIN_ID: %v", err)
	}
}

func TestNewWithoutTagSaysHowToBuild(t *testing.T) {
	if Built {
		t.Skip("built with -tags ros2")
	}
	_, err := New(Options{})
	if err == nil || !strings.Contains(err.Error(), "-tags ros2") || !strings.Contains(err.Error(), "cyclonedds-dev") {
		t.Fatalf("error %v does not say how to build the ROS 2 transport", err)
	}
}

func TestInputOfPublisherTypes(t *testing.T) {
	raw, comp := "sensor_msgs::msg::dds_::Image_", "sensor_msgs::msg::dds_::CompressedImage_"
	for _, c := range []struct {
		types []string
		want  string
	}{
		{nil, ""}, {[]string{raw}, "raw"}, {[]string{comp, comp}, "compressed"}, {[]string{raw, comp}, ""}, {[]string{"std_msgs::msg::dds_::String_"}, ""},
	} {
		if got := inputOf(c.types); got != c.want {
			t.Errorf("%v: %q, want %q", c.types, got, c.want)
		}
	}
	c := config.Default()
	p, err := NewPlan(Options{Node: c.Node, ROS2: c.ROS2})
	if err != nil {
		t.Fatal(err)
	}
	if !p.InputAuto || p.ImageEndpoint("compressed").Type != comp || p.ImageEndpoint("raw").Type != raw || p.ImageEndpoint("compressed").Topic != "rt/image" {
		t.Fatalf("%+v", p)
	}
}
