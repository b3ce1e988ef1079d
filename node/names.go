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

// ROS2Names are a ROS 2 node's names: the configured namespace and name,
// with the __ns and __node (or ROS 1's __name) remappings winning, as rcl
// reads them.
func ROS2Names(namespace, name string, remaps map[string]string) Names {
	n := Names{Namespace: namespace, Node: name, Remaps: remaps}
	for _, k := range []string{"__name", "__node"} {
		if v, ok := remaps[k]; ok {
			n.Node = v
		}
	}
	if v, ok := remaps["__ns"]; ok {
		n.Namespace = "/" + strings.Trim(v, "/")
	}
	return n
}

// LoggerName is the node's logger as rcl names it: its absolute name
// without the leading slash, dots for slashes (robot1.osr).
func (n Names) LoggerName() string {
	return strings.ReplaceAll(strings.TrimPrefix(n.NodePath(), "/"), "/", ".")
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
