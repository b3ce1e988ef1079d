package node

import (
	"strconv"

	"osr/config"
	"osr/model"
	"osr/msgs"
)

// findObjects finds the frame's outlier objects and runs them through the
// temporal filter, restarting it when its settings changed.
func (cam *camera) findObjects(c config.Objects, r *model.Result) []Track {
	if cam.tracker == nil || c.K != cam.trackCfg.K || c.N != cam.trackCfg.N || c.Overlap != cam.trackCfg.Overlap {
		cam.tracker = NewTracker(TrackerOptions{K: c.K, N: c.N, IoU: c.Overlap})
	}
	cam.trackCfg = c
	objs := cam.objects.Find(r.Mask, r.Score, r.Width, r.Height, ObjectOptionsFrom(c))
	return cam.tracker.Update(objs)
}

// ObjectOptionsFrom are the region filters of the objects settings.
func ObjectOptionsFrom(c config.Objects) ObjectOptions {
	return ObjectOptions{MinPixels: c.MinPixels, MinShare: c.MinShare, SkipBottom: c.SkipBottom}
}

// Detections is the frame's reported objects as a Detection2DArray: per
// object its box (centre and size in pixels, pixel edges at integers),
// one hypothesis "unknown" scored with the object's mean outlier score,
// and the track id, which stays the same while the filter follows it.
func Detections(h msgs.Header, tracks []Track) *msgs.Detection2DArray {
	m := &msgs.Detection2DArray{Header: h, Detections: make([]msgs.Detection2D, 0, len(tracks))}
	for _, t := range tracks {
		var pose msgs.PoseWithCovariance
		pose.Orientation[3] = 1 // identity: the message has no 3D pose
		m.Detections = append(m.Detections, msgs.Detection2D{
			Header:  h,
			Results: []msgs.ObjectHypothesisWithPose{{ClassID: "unknown", Score: float64(t.MeanScore), Pose: pose}},
			BBox: msgs.BoundingBox2D{
				CenterX: float64(t.X0+t.X1) / 2, CenterY: float64(t.Y0+t.Y1) / 2,
				SizeX: float64(t.X1 - t.X0), SizeY: float64(t.Y1 - t.Y0),
			},
			ID: strconv.FormatUint(t.ID, 10),
		})
	}
	return m
}

// boxColor stands out from the overlay's magenta outliers and its palette.
var boxColor = [3]uint8{255, 255, 0}

// drawBox draws b's 2-pixel outline, inside the box, on packed RGB of width w.
func drawBox(pix []uint8, w int, b Box) {
	set := func(x, y int) {
		i := 3 * (y*w + x)
		if x >= 0 && x < w && i >= 0 && i+3 <= len(pix) {
			copy(pix[i:i+3], boxColor[:])
		}
	}
	for t := range 2 {
		for x := b.X0; x < b.X1; x++ {
			set(x, b.Y0+t)
			set(x, b.Y1-1-t)
		}
		for y := b.Y0; y < b.Y1; y++ {
			set(b.X0+t, y)
			set(b.X1-1-t, y)
		}
	}
}
