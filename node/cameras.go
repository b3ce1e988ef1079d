package node

import (
	"strings"

	"osr/config"
)

// CameraNode is one camera's view of the node's configuration: Node's
// ImageTopic and Input are the camera's, its output topics carry the
// camera's name before their last part (~labels is ~front/labels).
// label_info and diagnostics stay the node's.
type CameraNode struct {
	Name string // "" for the one-camera node
	Node config.Node
}

// CameraNodes lists the cameras of n: n itself when it has no cameras
// (one camera on image_topic, the outputs as configured).
func CameraNodes(n config.Node) []CameraNode {
	if len(n.Cameras) == 0 {
		return []CameraNode{{Node: n}}
	}
	var out []CameraNode
	for _, c := range n.Cameras {
		cn := n
		cn.Cameras = nil
		cn.ImageTopic = c.Image
		if cn.ImageTopic == "" {
			cn.ImageTopic = c.Name + "/image"
		}
		if c.Input != "" {
			cn.Input = c.Input
		}
		for _, t := range []*string{&cn.LabelsTopic, &cn.ScoreTopic, &cn.MaskTopic, &cn.OverlayTopic, &cn.ObjectsTopic} {
			*t = inCamera(*t, c.Name)
		}
		out = append(out, CameraNode{Name: c.Name, Node: cn})
	}
	return out
}

// inCamera puts the camera's name before a topic's last part: ~labels is
// ~front/labels, /osr/labels is /osr/front/labels, labels is front/labels.
func inCamera(topic, cam string) string {
	if i := strings.LastIndex(topic, "/"); i >= 0 {
		return topic[:i+1] + cam + "/" + topic[i+1:]
	}
	if rest, ok := strings.CutPrefix(topic, "~"); ok {
		return "~" + cam + "/" + rest
	}
	return cam + "/" + topic
}
