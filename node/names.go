package node

import (
	"strings"
)

// Names resolves ROS graph names for one node: "~x" is private
// (/ns/node/x), "x" is relative to the namespace, "/x" is absolute, and
// remappings (from name:=value arguments) apply to the name as written and
// as resolved.
type Names struct {
	Namespace string // absolute, "/" for the root
	Node      string // the node's base name
	Remaps    map[string]string
}

// NodePath is the node's absolute name.
func (n Names) NodePath() string { return join(n.Namespace, n.Node) }

// Resolve turns a configured topic name into an absolute one.
func (n Names) Resolve(name string) string {
	if r, ok := n.Remaps[name]; ok {
		name = r
	}
	var abs string
	switch {
	case strings.HasPrefix(name, "/"):
		abs = name
	case strings.HasPrefix(name, "~"):
		abs = join(n.NodePath(), strings.TrimPrefix(strings.TrimPrefix(name, "~"), "/"))
	default:
		abs = join(n.Namespace, name)
	}
	if r, ok := n.Remaps[abs]; ok {
		return n.Resolve(r)
	}
	return abs
}

func join(ns, name string) string {
	if ns == "/" || ns == "" {
		return "/" + name
	}
	return strings.TrimSuffix(ns, "/") + "/" + name
}
