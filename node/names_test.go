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
