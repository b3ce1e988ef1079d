package node

import (
	"fmt"
	"math"
	"strings"

	"gopkg.in/yaml.v3"

	"osr/config"
)

// ParamType is a parameter's type, numbered as rcl_interfaces/msg/ParameterType.
type ParamType uint8

// The parameter types osr uses.
const (
	ParamBool    ParamType = 1
	ParamInteger ParamType = 2
	ParamDouble  ParamType = 3
	ParamString  ParamType = 4
)

func (t ParamType) String() string {
	switch t {
	case ParamBool:
		return "bool"
	case ParamInteger:
		return "integer"
	case ParamDouble:
		return "double"
	case ParamString:
		return "string"
	}
	return fmt.Sprintf("type %d", uint8(t))
}

// Param is one node setting as ROS parameters expose it: the same name on
// ROS 1 (~name) and ROS 2, backed by one config key.
type Param struct {
	Name        string
	Key         string // config key, as in config/osr.yaml
	Type        ParamType
	Description string
	Constraints string  // in words, for ParameterDescriptor.additional_constraints
	Min, Max    float64 // a range when Min < Max
	// Live parameters change between frames; the others are read-only once
	// the node runs (a change needs a restart).
	Live bool
	// ROS2 marks settings that only the ROS 2 transport has (QoS).
	ROS2 bool

	field func(*config.Config) any // pointer to the config field
}

// ParamTable lists the node's parameters.
func ParamTable() []Param {
	return []Param{
		{Name: "model", Key: "model", Type: ParamString, Description: "model package directory (model.onnx + model.yaml)",
			field: func(c *config.Config) any { return &c.Model }},
		{Name: "device", Key: "runtime.device", Type: ParamString, Description: "execution device", Constraints: "cpu, cuda or tensorrt",
			field: func(c *config.Config) any { return &c.Runtime.Device }},
		{Name: "fallback", Key: "runtime.fallback", Type: ParamString, Description: "when the device cannot be used", Constraints: "cpu or fail",
			field: func(c *config.Config) any { return &c.Runtime.Fallback }},
		{Name: "gpu_id", Key: "runtime.gpu_id", Type: ParamInteger, Description: "GPU index for cuda and tensorrt", Min: 0, Max: 64,
			field: func(c *config.Config) any { return &c.Runtime.GPUID }},
		{Name: "cudnn_conv_algo_search", Key: "runtime.cudnn_conv_algo_search", Type: ParamString, Description: "cuDNN convolution algorithm search on cuda", Constraints: "exhaustive, heuristic or default",
			field: func(c *config.Config) any { return &c.Runtime.CUDNNConvAlgoSearch }},
		{Name: "gpu_mem_limit_mb", Key: "runtime.gpu_mem_limit_mb", Type: ParamInteger, Description: "CUDA memory arena limit in MiB, 0 = none", Min: 0, Max: 1 << 20,
			field: func(c *config.Config) any { return &c.Runtime.GPUMemLimitMB }},
		{Name: "cuda_graph", Key: "runtime.cuda_graph", Type: ParamBool, Description: "run the model as one captured CUDA graph",
			field: func(c *config.Config) any { return &c.Runtime.CUDAGraph }},
		{Name: "intra_op_threads", Key: "runtime.intra_op_threads", Type: ParamInteger, Description: "ONNX Runtime threads, 0 = all cores", Min: 0, Max: 1024,
			field: func(c *config.Config) any { return &c.Runtime.IntraOpThreads }},
		{Name: "score", Key: "scoring.kind", Type: ParamString, Description: "outlier score; empty keeps the model's", Constraints: "msp, entropy or empty", Live: true,
			field: func(c *config.Config) any { return &c.Scoring.Kind }},
		{Name: "temperature", Key: "scoring.temperature", Type: ParamDouble, Description: "softmax temperature of the score; 0 keeps the model's", Min: 0, Max: 1000, Live: true,
			field: func(c *config.Config) any { return &c.Scoring.Temperature }},
		{Name: "threshold", Key: "scoring.threshold", Type: ParamDouble, Description: "a pixel is an outlier above this score; negative keeps the model's calibrated one", Min: -1, Max: 1, Live: true,
			field: func(c *config.Config) any { return &c.Scoring.Threshold }},
		{Name: "open_set", Key: "scoring.open_set", Type: ParamBool, Description: "label outlier pixels with the model's unknown id", Live: true,
			field: func(c *config.Config) any { return &c.Scoring.OpenSet }},
		{Name: "overlay_alpha", Key: "overlay.alpha", Type: ParamDouble, Description: "palette weight over the image in the overlay", Min: 0, Max: 1, Live: true,
			field: func(c *config.Config) any { return &c.Overlay.Alpha }},
		{Name: "jpeg_quality", Key: "overlay.jpeg_quality", Type: ParamInteger, Description: "JPEG quality of the compressed overlay", Min: 1, Max: 100, Live: true,
			field: func(c *config.Config) any { return &c.Overlay.JPEGQuality }},
		{Name: "objects_min_pixels", Key: "objects.min_pixels", Type: ParamInteger, Description: "fewest pixels of an outlier object", Min: 1, Max: 1 << 30, Live: true,
			field: func(c *config.Config) any { return &c.Objects.MinPixels }},
		{Name: "objects_min_share", Key: "objects.min_share", Type: ParamDouble, Description: "smallest share of the frame of an outlier object", Min: 0, Max: 1, Live: true,
			field: func(c *config.Config) any { return &c.Objects.MinShare }},
		{Name: "objects_skip_bottom", Key: "objects.skip_bottom", Type: ParamBool, Description: "drop outlier objects touching the frame's bottom edge (the hood)", Live: true,
			field: func(c *config.Config) any { return &c.Objects.SkipBottom }},
		{Name: "objects_k", Key: "objects.k", Type: ParamInteger, Description: "report an object seen in k of the last n frames", Min: 1, Max: 64, Live: true,
			field: func(c *config.Config) any { return &c.Objects.K }},
		{Name: "objects_n", Key: "objects.n", Type: ParamInteger, Description: "frames the temporal filter looks back over; k = n = 1 turns it off", Min: 1, Max: 64, Live: true,
			field: func(c *config.Config) any { return &c.Objects.N }},
		{Name: "objects_overlap", Key: "objects.overlap", Type: ParamDouble, Description: "box IoU that matches an object to a track", Min: 0, Max: 1, Live: true,
			field: func(c *config.Config) any { return &c.Objects.Overlap }},
		{Name: "resize", Key: "preprocess.resize", Type: ParamString, Description: "how frames of another size meet the model's input", Constraints: "stretch or letterbox",
			field: func(c *config.Config) any { return &c.Preprocess.Resize }},
		{Name: "lazy", Key: "node.lazy", Type: ParamBool, Description: "skip inference while no output has a subscriber", Live: true,
			field: func(c *config.Config) any { return &c.Node.Lazy }},
		{Name: "input", Key: "node.input", Type: ParamString, Description: "camera message type", Constraints: "auto, raw or compressed",
			field: func(c *config.Config) any { return &c.Node.Input }},
		{Name: "cameras", Key: "node.cameras", Type: ParamString, Description: "several cameras through one model: names, each optionally =topic; empty: one camera on image",
			Constraints: "front,rear (topics <name>/image, remap front/image:=...) or front=/front/image_raw,...; a list of names also",
			field:       func(c *config.Config) any { return &c.Node.Cameras }},
		{Name: "batch_window", Key: "node.batch_window", Type: ParamDouble, Description: "seconds to wait for the other cameras' frames to batch them", Min: 0, Max: 1,
			field: func(c *config.Config) any { return &c.Node.BatchWindow }},
		{Name: "max_batch", Key: "node.max_batch", Type: ParamInteger, Description: "most camera frames per inference: 0 = auto (1 on the CPU, the number of cameras on a GPU), 1 = no batches", Min: 0, Max: 64,
			field: func(c *config.Config) any { return &c.Node.MaxBatch }},
		{Name: "diagnostics_period", Key: "node.diagnostics_period", Type: ParamDouble, Description: "seconds between /diagnostics messages", Min: 0.05, Max: 60,
			field: func(c *config.Config) any { return &c.Node.DiagnosticsPeriod }},
		{Name: "image_reliability", Key: "ros2.image_reliability", Type: ParamString, Description: "camera reader QoS reliability", Constraints: "best_effort or reliable", ROS2: true,
			field: func(c *config.Config) any { return &c.ROS2.ImageReliability }},
		{Name: "image_depth", Key: "ros2.image_depth", Type: ParamInteger, Description: "camera reader KEEP_LAST depth", Min: 1, Max: 100, ROS2: true,
			field: func(c *config.Config) any { return &c.ROS2.ImageDepth }},
		{Name: "output_reliability", Key: "ros2.output_reliability", Type: ParamString, Description: "output writers' QoS reliability", Constraints: "best_effort or reliable", ROS2: true,
			field: func(c *config.Config) any { return &c.ROS2.OutputReliability }},
		{Name: "output_depth", Key: "ros2.output_depth", Type: ParamInteger, Description: "output writers' KEEP_LAST depth", Min: 1, Max: 100, ROS2: true,
			field: func(c *config.Config) any { return &c.ROS2.OutputDepth }},
		{Name: "use_sim_time", Key: "ros2.use_sim_time", Type: ParamBool, Description: "stamps the node makes (diagnostics, label_info) follow /clock", ROS2: true,
			field: func(c *config.Config) any { return &c.ROS2.UseSimTime }},
	}
}

// value reads the parameter from c as bool, int64, float64 or string.
func (p Param) value(c *config.Config) any {
	switch f := p.field(c).(type) {
	case *bool:
		return *f
	case *int:
		return int64(*f)
	case *float64:
		return *f
	case *string:
		return *f
	case *[]config.Camera:
		return config.CamerasString(*f)
	}
	panic("node: parameter " + p.Name + " has a field of an unknown type")
}

// set checks v's type and range and writes it into c.
func (p Param) set(c *config.Config, v any) error {
	v, err := p.coerce(v)
	if err != nil {
		return err
	}
	if n, ok := number(v); ok && p.Min < p.Max && (n < p.Min || n > p.Max) {
		return fmt.Errorf("%s: %v is out of range [%g, %g]", p.Name, v, p.Min, p.Max)
	}
	switch f := p.field(c).(type) {
	case *bool:
		*f = v.(bool)
	case *int:
		*f = int(v.(int64))
	case *float64:
		*f = v.(float64)
	case *string:
		*f = v.(string)
	case *[]config.Camera:
		cams, err := config.ParseCameras(v.(string))
		if err != nil {
			return fmt.Errorf("%s: %w", p.Name, err)
		}
		// A camera named without a topic keeps what the config gave it.
		for i, c := range cams {
			for _, old := range *f {
				if old.Name == c.Name && c.Image == "" {
					cams[i] = old
				}
			}
		}
		*f = cams
	}
	return nil
}

// coerce turns v into the parameter's Go type. Integers are accepted for
// doubles (ros2 param set /osr threshold 1 sends an integer), and whole
// doubles for integers (a ROS 1 parameter server may hold 2.0).
func (p Param) coerce(v any) (any, error) {
	wrong := func() error {
		article := "a"
		if p.Type == ParamInteger {
			article = "an"
		}
		return fmt.Errorf("%s: want %s %s, got %v (%T)", p.Name, article, p.Type, v, v)
	}
	switch p.Type {
	case ParamBool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case ParamString:
		if s, ok := v.(string); ok {
			return s, nil
		}
		if v == nil { // "name:" with no value in a params file
			return "", nil
		}
		// A list (cameras from a ROS 1 launch file's rosparam, or
		// -p cameras:=[front,rear]) where the parameter takes one.
		if l, ok := v.([]any); ok && p.Key == "node.cameras" {
			var items []string
			for _, x := range l {
				s, ok := x.(string)
				if !ok {
					return nil, wrong()
				}
				items = append(items, s)
			}
			return strings.Join(items, ","), nil
		}
	case ParamDouble:
		if n, ok := number(v); ok {
			return n, nil
		}
	case ParamInteger:
		if n, ok := number(v); ok && n == math.Trunc(n) && math.Abs(n) < 1<<53 {
			return int64(n), nil
		}
	}
	return nil, wrong()
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	case float32:
		return float64(n), true
	case float64:
		return n, !math.IsNaN(n)
	}
	return 0, false
}

// ParseParamValue reads a parameter value written as YAML, as ROS 2's
// -p name:=value and ROS 1's _name:=value write it ("0.9", "true", "cuda").
func ParseParamValue(p Param, text string) (any, error) {
	var v any
	if err := yaml.Unmarshal([]byte(text), &v); err != nil {
		return nil, fmt.Errorf("%s: %q is not a YAML value: %w", p.Name, text, err)
	}
	if p.Type == ParamString {
		switch v := v.(type) {
		case nil:
			return "", nil
		case string:
			return v, nil
		case map[string]any, []any:
		default:
			// "1" for a string parameter is the string 1.
			return strings.TrimSpace(text), nil
		}
	}
	return p.coerce(v)
}
