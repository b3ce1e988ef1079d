package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestLoadCamerasFromFileAndEnvironment(t *testing.T) {
	p := writeConfig(t, "node:\n  cameras:\n    - name: front\n      image: /front/image_raw\n    - name: rear\n      input: compressed\n")
	c, err := Load(p, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []Camera{{Name: "front", Image: "/front/image_raw"}, {Name: "rear", Input: "compressed"}}
	if !reflect.DeepEqual(c.Node.Cameras, want) {
		t.Errorf("cameras = %+v, want %+v", c.Node.Cameras, want)
	}
	t.Setenv("OSR_NODE_CAMERAS", "left=/left/image_raw, right")
	c, err = Load("", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	want = []Camera{{Name: "left", Image: "/left/image_raw"}, {Name: "right"}}
	if !reflect.DeepEqual(c.Node.Cameras, want) {
		t.Errorf("cameras from the environment = %+v, want %+v", c.Node.Cameras, want)
	}
	if got := CamerasString(c.Node.Cameras); got != "left=/left/image_raw,right" {
		t.Errorf("CamerasString = %q", got)
	}
	if d := Default(); len(d.Node.Cameras) != 0 {
		t.Errorf("default cameras %+v: one camera on image must stay the default", d.Node.Cameras)
	}
}

func TestCamerasRefused(t *testing.T) {
	for body, want := range map[string]string{
		"node:\n  cameras:\n    - name: front\n    - name: front\n":          "listed twice",
		"node:\n  cameras:\n    - name: fr/ont\n":                            "plain ROS name",
		"node:\n  cameras:\n    - name: front\n      input: jpeg\n":          "input must be auto, raw or compressed",
		"node:\n  cameras:\n    - name: front\n      image: \"bad topic\"\n": "not a valid ROS topic",
		"node:\n  batch_window: 2\n":                                         "node.batch_window",
		"node:\n  cameras:\n    - name: front\n      topic: /front/image\n":  "topic",
	} {
		_, err := Load(writeConfig(t, body), nil, nil)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want it to name %q", body, err, want)
		}
	}
	if _, err := ParseCameras("=/x"); err == nil {
		t.Error("a camera without a name was accepted")
	}
}
