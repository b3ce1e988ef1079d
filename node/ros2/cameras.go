//go:build ros2

package ros2

import (
	"osr/msgs"
	"osr/node"
)

// cameraSinks are one camera's output writers.
type cameraSinks struct {
	name                                  string
	labels, score, mask, overlay, objects *sink
	labelsC, maskC, overlayC              *sink // <topic>/compressed
}

func newCameraSinks(c CameraPlan) *cameraSinks {
	return &cameraSinks{name: c.Name,
		labels: newSink(c.Labels, false), score: newSink(c.Score, false), mask: newSink(c.Mask, false),
		overlay: newSink(c.Overlay, false), objects: newSink(c.Objects, false),
		labelsC: newSink(c.LabelsCompressed, false), maskC: newSink(c.MaskCompressed, false), overlayC: newSink(c.OverlayCompressed, false),
	}
}

func (c *cameraSinks) sinks() node.Sinks {
	return node.Sinks{Labels: c.labels, Score: c.score, Mask: c.mask, Overlay: c.overlay, Objects: c.objects,
		LabelsCompressed: c.labelsC, MaskCompressed: c.maskC, OverlayCompressed: c.overlayC}
}

// all are the writers in the order of CameraPlan.Outputs.
func (c *cameraSinks) all() []*sink {
	return []*sink{c.labels, c.score, c.mask, c.overlay, c.objects, c.labelsC, c.maskC, c.overlayC}
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

// announceCamera records camera i's reader and announces the node's
// endpoints: every camera's reader that is open, then the others.
func (t *Transport) announceCamera(i int, g msgs.Gid, pp *participant, w entity, others, writers []msgs.Gid) error {
	t.annMu.Lock()
	defer t.annMu.Unlock()
	t.camGids[i] = g
	var readers []msgs.Gid
	for _, g := range t.camGids {
		if g != (msgs.Gid{}) {
			readers = append(readers, g)
		}
	}
	t.annPP, t.annW, t.annR, t.ann = pp, w, append(readers, others...), writers
	return t.announceLocked()
}
