package config

import (
	"errors"
	"fmt"
	"strings"
)

// KeyError is a bad value of one configuration key. Source, when known,
// says where the value came from (a flag, an OSR_* variable, a file), so
// that the message names what the user typed.
type KeyError struct {
	Key, Problem, Source string
}

func (e *KeyError) Error() string {
	if e.Source != "" {
		return fmt.Sprintf("%s (from %s): %s", e.Key, e.Source, e.Problem)
	}
	return e.Key + ": " + e.Problem
}

// Validate checks ranges and enumerations, returning every problem found,
// each a *KeyError.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, &KeyError{Key: key, Problem: fmt.Sprintf(format, args...)})
	}
	if c.Model == "" {
		bad("model", "must name a model directory")
	}
	oneOf(bad, "runtime.device", c.Runtime.Device, "cpu", "cuda", "tensorrt")
	oneOf(bad, "runtime.fallback", c.Runtime.Fallback, "cpu", "fail")
	if c.Runtime.GPUID < 0 {
		bad("runtime.gpu_id", "must be >= 0, got %d", c.Runtime.GPUID)
	}
	oneOf(bad, "runtime.cudnn_conv_algo_search", c.Runtime.CUDNNConvAlgoSearch, "exhaustive", "heuristic", "default")
	if c.Runtime.GPUMemLimitMB < 0 {
		bad("runtime.gpu_mem_limit_mb", "must be >= 0 (0 = no limit), got %d", c.Runtime.GPUMemLimitMB)
	}
	if c.Runtime.IntraOpThreads < 0 || c.Runtime.IntraOpThreads > 1024 {
		bad("runtime.intra_op_threads", "must be in [0,1024] (0 = ONNX Runtime default), got %d", c.Runtime.IntraOpThreads)
	}
	if c.Runtime.InterOpThreads < 0 || c.Runtime.InterOpThreads > 1024 {
		bad("runtime.inter_op_threads", "must be in [0,1024] (0 = ONNX Runtime default), got %d", c.Runtime.InterOpThreads)
	}
	if c.Scoring.Kind != "" {
		oneOf(bad, "scoring.kind", c.Scoring.Kind, "msp", "entropy")
	}
	if c.Scoring.Temperature < 0 || c.Scoring.Temperature > 1000 {
		bad("scoring.temperature", "must be in (0,1000], or 0 to keep the model's, got %g", c.Scoring.Temperature)
	}
	if c.Scoring.Threshold > 1 {
		bad("scoring.threshold", "must be in [0,1], or negative to keep the model's, got %g", c.Scoring.Threshold)
	}
	oneOf(bad, "preprocess.resize", c.Preprocess.Resize, "stretch", "letterbox")
	if c.Overlay.Alpha < 0 || c.Overlay.Alpha > 1 {
		bad("overlay.alpha", "must be in [0,1], got %g", c.Overlay.Alpha)
	}
	if len(c.Overlay.OutlierColor) != 3 {
		bad("overlay.outlier_color", "must be 3 values [r, g, b], got %d", len(c.Overlay.OutlierColor))
	}
	for _, v := range c.Overlay.OutlierColor {
		if v < 0 || v > 255 {
			bad("overlay.outlier_color", "values must be in [0,255], got %d", v)
			break
		}
	}
	if c.Overlay.JPEGQuality < 1 || c.Overlay.JPEGQuality > 100 {
		bad("overlay.jpeg_quality", "must be in [1,100], got %d", c.Overlay.JPEGQuality)
	}
	o := c.Objects
	if o.MinPixels < 1 {
		bad("objects.min_pixels", "must be at least 1, got %d", o.MinPixels)
	}
	if o.MinShare < 0 || o.MinShare > 1 {
		bad("objects.min_share", "must be a share of the frame in [0,1], got %g", o.MinShare)
	}
	if o.K < 1 || o.N < o.K || o.N > 64 {
		bad("objects.k", "want 1 <= k <= n <= 64 with objects.n (k = n = 1: no temporal filter), got k %d, n %d; raise n first, or set both at once", o.K, o.N)
	}
	if !(o.Overlap > 0 && o.Overlap <= 1) {
		bad("objects.overlap", "must be a box IoU in (0,1], got %g", o.Overlap)
	}
	n := c.Node
	if !validROSName(n.Name, false) || strings.ContainsAny(n.Name, "/~") {
		bad("node.name", "must be a plain ROS name (letters, digits, _), got %q", n.Name)
	}
	if !strings.HasPrefix(n.Namespace, "/") || !validROSName(strings.Trim(n.Namespace, "/"), true) {
		bad("node.namespace", "must be an absolute ROS namespace such as / or /robot, got %q", n.Namespace)
	}
	oneOf(bad, "node.transport", n.Transport, "ros1", "ros2")
	oneOf(bad, "node.input", n.Input, "auto", "raw", "compressed")
	for key, topic := range map[string]string{
		"node.image_topic": n.ImageTopic, "node.labels_topic": n.LabelsTopic, "node.score_topic": n.ScoreTopic,
		"node.mask_topic": n.MaskTopic, "node.overlay_topic": n.OverlayTopic, "node.label_info_topic": n.LabelInfoTopic,
		"node.diagnostics_topic": n.DiagnosticsTopic, "node.objects_topic": n.ObjectsTopic,
	} {
		if !validROSName(strings.TrimPrefix(strings.TrimPrefix(topic, "~"), "/"), true) || topic == "" {
			bad(key, "is not a valid ROS topic name: %q", topic)
		}
	}
	seen := map[string]bool{}
	// Errors name the key node.cameras (so that the flag, variable or file
	// it came from is named too) and the camera's place in the list.
	for i, cam := range n.Cameras {
		if !validROSName(cam.Name, false) || strings.ContainsAny(cam.Name, "/~") {
			bad("node.cameras", "camera %d: the name must be a plain ROS name (letters, digits, _) for the camera's output namespace, got %q", i, cam.Name)
		}
		if seen[cam.Name] {
			bad("node.cameras", "camera %d: %q is listed twice; give each camera its own name", i, cam.Name)
		}
		seen[cam.Name] = true
		if cam.Image != "" && !validROSName(strings.TrimPrefix(strings.TrimPrefix(cam.Image, "~"), "/"), true) {
			bad("node.cameras", "camera %d (%s): image %q is not a valid ROS topic name", i, cam.Name, cam.Image)
		}
		switch cam.Input {
		case "", "auto", "raw", "compressed":
		default:
			bad("node.cameras", "camera %d (%s): input must be auto, raw or compressed (or empty: node.input), got %q", i, cam.Name, cam.Input)
		}
	}
	if n.MaxBatch < 0 || n.MaxBatch > 64 {
		bad("node.max_batch", "must be in [0, 64] (0: auto, 1 on the CPU and the number of cameras on a GPU; 1: no batches), got %d", n.MaxBatch)
	}
	if n.BatchWindow < 0 || n.BatchWindow > 1 {
		bad("node.batch_window", "must be in [0, 1] seconds (0: batch only frames already waiting), got %g", n.BatchWindow)
	}
	if n.DiagnosticsPeriod < 0.05 || n.DiagnosticsPeriod > 60 {
		bad("node.diagnostics_period", "must be in [0.05, 60] seconds, got %g", n.DiagnosticsPeriod)
	}
	if c.ROS1.Watchdog < 0.1 || c.ROS1.Watchdog > 60 {
		bad("ros1.watchdog", "must be in [0.1, 60] seconds, got %g", c.ROS1.Watchdog)
	}
	if u := c.ROS1.MasterURI; u != "" && !strings.HasPrefix(u, "http://") {
		bad("ros1.master_uri", "must look like http://host:11311, got %q", u)
	}
	r2 := c.ROS2
	// 232 is the largest domain whose RTPS ports fit in 16 bits.
	if r2.DomainID < -1 || r2.DomainID > 232 {
		bad("ros2.domain_id", "must be in [0, 232], or -1 for $ROS_DOMAIN_ID, got %d", r2.DomainID)
	}
	oneOf(bad, "ros2.distro", r2.Distro, "", "humble", "iron", "jazzy", "kilted", "rolling")
	oneOf(bad, "ros2.image_reliability", r2.ImageReliability, "best_effort", "reliable")
	oneOf(bad, "ros2.output_reliability", r2.OutputReliability, "best_effort", "reliable")
	if r2.ImageDepth < 1 || r2.ImageDepth > 100 {
		bad("ros2.image_depth", "must be in [1, 100], got %d", r2.ImageDepth)
	}
	if r2.OutputDepth < 1 || r2.OutputDepth > 100 {
		bad("ros2.output_depth", "must be in [1, 100], got %d", r2.OutputDepth)
	}
	return errors.Join(errs...)
}

// validROSName checks a ROS graph resource name (segments of letters,
// digits and underscores, not starting with a digit), slashes allowed
// between segments when nested is true.
func validROSName(s string, nested bool) bool {
	if s == "" {
		return nested
	}
	for _, seg := range strings.Split(s, "/") {
		if seg == "" || !nested && strings.Contains(s, "/") {
			return false
		}
		for i, r := range seg {
			ok := r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9'
			if !ok {
				return false
			}
		}
	}
	return true
}

func oneOf(bad func(string, string, ...any), key, v string, allowed ...string) {
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	bad(key, "must be one of %q, got %q", allowed, v)
}
