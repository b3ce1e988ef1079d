package node

import "testing"

func TestNamesResolve(t *testing.T) {
	n := Names{Namespace: "/robot", Node: "osr", Remaps: map[string]string{
		"image":              "/camera/image_raw",
		"/robot/osr/overlay": "/viz/overlay",
	}}
	for in, want := range map[string]string{
		"image":        "/camera/image_raw",
		"~labels":      "/robot/osr/labels",
		"~overlay":     "/viz/overlay",
		"/diagnostics": "/diagnostics",
		"points":       "/robot/points",
	} {
		if got := n.Resolve(in); got != want {
			t.Errorf("Resolve(%q) = %q, want %q", in, got, want)
		}
	}
	root := Names{Namespace: "/", Node: "osr"}
	if got := root.Resolve("~labels"); got != "/osr/labels" {
		t.Errorf("root namespace: %q", got)
	}
}

func TestSplitRemaps(t *testing.T) {
	r, rest, err := SplitRemaps([]string{"image:=/cam/image", "--config", "x.yaml", "__name:=seg", "__log:=/tmp/l.log"})
	if err != nil {
		t.Fatal(err)
	}
	if r["image"] != "/cam/image" || r["__name"] != "seg" || len(rest) != 2 || rest[0] != "--config" {
		t.Fatalf("remaps %v rest %v", r, rest)
	}
	if _, _, err := SplitRemaps([]string{"image:="}); err == nil {
		t.Fatal("empty remap target accepted")
	}
}

// ROS 2's remappings win over the config; the namespace is made absolute,
// and the logger is named as rcl names it.
func TestROS2Names(t *testing.T) {
	n := ROS2Names("/", "osr", map[string]string{"__ns": "robot1/", "__node": "seg"})
	if n.NodePath() != "/robot1/seg" || n.LoggerName() != "robot1.seg" {
		t.Fatalf("names %s, logger %s", n.NodePath(), n.LoggerName())
	}
	if n := ROS2Names("/", "osr", nil); n.NodePath() != "/osr" || n.LoggerName() != "osr" {
		t.Fatalf("default names %s, logger %s", n.NodePath(), n.LoggerName())
	}
}
