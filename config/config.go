package config

// Config is the whole osr configuration. YAML keys are the mapstructure tags.
type Config struct {
	// Model is the model package directory (model.onnx + model.yaml).
	Model      string     `mapstructure:"model"`
	Runtime    Runtime    `mapstructure:"runtime"`
	Scoring    Scoring    `mapstructure:"scoring"`
	Preprocess Preprocess `mapstructure:"preprocess"`
	Overlay    Overlay    `mapstructure:"overlay"`
	Objects    Objects    `mapstructure:"objects"`
	Node       Node       `mapstructure:"node"`
	ROS1       ROS1       `mapstructure:"ros1"`
	ROS2       ROS2       `mapstructure:"ros2"`
}

// Node configures the perception node's topics and behaviour. Topic names
// follow ROS rules: "~x" is private to the node, "x" is relative to the
// namespace, "/x" is absolute. name:=value arguments remap them.
type Node struct {
	Name      string `mapstructure:"name"`
	Namespace string `mapstructure:"namespace"`
	Transport string `mapstructure:"transport"` // ros1 or ros2
	// ImageTopic is the camera topic; Input says whether it carries raw
	// sensor_msgs/Image or CompressedImage (auto: by the publisher's type,
	// or a name ending in /compressed).
	ImageTopic       string `mapstructure:"image_topic"`
	Input            string `mapstructure:"input"`
	LabelsTopic      string `mapstructure:"labels_topic"`
	ScoreTopic       string `mapstructure:"score_topic"`
	MaskTopic        string `mapstructure:"mask_topic"`
	OverlayTopic     string `mapstructure:"overlay_topic"`
	LabelInfoTopic   string `mapstructure:"label_info_topic"`
	DiagnosticsTopic string `mapstructure:"diagnostics_topic"`
	// ObjectsTopic carries the outlier mask's regions as boxes
	// (vision_msgs/Detection2DArray: noetic's on ROS 1, vision_msgs 4's on
	// ROS 2).
	ObjectsTopic      string  `mapstructure:"objects_topic"`
	DiagnosticsPeriod float64 `mapstructure:"diagnostics_period"` // seconds
	// Lazy skips inference while no output has a subscriber.
	Lazy bool `mapstructure:"lazy"`
	// Cameras run several cameras through one model; empty: one camera
	// on ImageTopic with the outputs above. Each camera's outputs are the
	// topics above with the camera's name before the last part
	// (~front/labels); label_info and diagnostics stay the node's.
	Cameras []Camera `mapstructure:"cameras"`
	// BatchWindow is how long (seconds) the node waits, once a camera's
	// frame is in, for the other cameras' frames to batch them into one
	// inference; it stops waiting as soon as every camera has a frame.
	// 0: batch only what is already waiting.
	BatchWindow float64 `mapstructure:"batch_window"`
	// MaxBatch caps the frames of one inference: 0 (auto) is 1 on the CPU
	// and the number of cameras on a GPU; 1 runs the cameras' frames one
	// after the other, each published as soon as it is done (on a CPU a
	// batch costs as much per frame as single runs, and every frame of it
	// waits for the last).
	MaxBatch int `mapstructure:"max_batch"`
}

// Camera is one of several cameras of a node.
type Camera struct {
	// Name is the camera's output namespace: ~<name>/labels, ...
	Name string `mapstructure:"name"`
	// Image is the camera topic; "" is <name>/image (relative to the
	// node's namespace, so <name>/image:=/front/image_raw remaps it).
	Image string `mapstructure:"image"`
	// Input is auto, raw or compressed; "" is node.input.
	Input string `mapstructure:"input"`
}

// ROS1 configures the ROS 1 (TCPROS) transport.
type ROS1 struct {
	// MasterURI defaults to $ROS_MASTER_URI, then http://127.0.0.1:11311.
	MasterURI string `mapstructure:"master_uri"`
	// Host is the address other nodes reach this one at; defaults to
	// $ROS_IP, then $ROS_HOSTNAME, then an automatic address.
	Host string `mapstructure:"host"`
	// Watchdog is how often (seconds) the master is checked, to re-register
	// after it restarts.
	Watchdog float64 `mapstructure:"watchdog"`
}

// ROS2 configures the ROS 2 (DDS, Cyclone DDS) transport. Reliability is
// best_effort or reliable; depths are KEEP_LAST history depths.
type ROS2 struct {
	// DomainID is the DDS domain; -1 means $ROS_DOMAIN_ID, then 0.
	DomainID int `mapstructure:"domain_id"`
	// Distro picks the layout of the discovery message (ros_discovery_info)
	// and the discovery settings; empty means $ROS_DISTRO, else jazzy:
	// humble sends 24-byte gids, iron and later 16-byte ones.
	Distro string `mapstructure:"distro"`
	// CycloneConfig is Cyclone DDS XML configuration (or file://path);
	// empty means $CYCLONEDDS_URI, then Cyclone's defaults.
	CycloneConfig string `mapstructure:"cyclonedds_config"`
	// The camera reader: best effort (the sensor-data profile) matches both
	// reliable and best-effort camera publishers; reliable matches only
	// reliable ones.
	ImageReliability string `mapstructure:"image_reliability"`
	ImageDepth       int    `mapstructure:"image_depth"`
	// The output writers (images and diagnostics). label_info is always
	// reliable and transient-local, depth 1, so late subscribers get it.
	OutputReliability string `mapstructure:"output_reliability"`
	OutputDepth       int    `mapstructure:"output_depth"`
	// UseSimTime makes the stamps the node makes itself (diagnostics,
	// label_info) follow /clock, as ROS 2's use_sim_time parameter does.
	UseSimTime bool `mapstructure:"use_sim_time"`
}

// Runtime selects and tunes ONNX Runtime.
type Runtime struct {
	// Library is the path to libonnxruntime.so; empty means $ONNXRUNTIME_LIB,
	// then the npm install under node_modules.
	Library string `mapstructure:"library"`
	// Device is cpu, cuda or tensorrt.
	Device string `mapstructure:"device"`
	// Fallback is what to do when the device's provider cannot be used: cpu or fail.
	Fallback       string `mapstructure:"fallback"`
	GPUID          int    `mapstructure:"gpu_id"`
	IntraOpThreads int    `mapstructure:"intra_op_threads"`
	InterOpThreads int    `mapstructure:"inter_op_threads"`
	// Spin lets the runtime's CPU workers busy-wait between runs (ONNX
	// Runtime's own default): a few ms less per frame, for twice the CPU
	// time at a camera's rate (docs/performance.md). Off by default: an
	// onboard node shares its cores.
	Spin bool `mapstructure:"spin"`
	// Plugins is the directory of ONNX Runtime's CUDA and TensorRT provider
	// plugins; empty means $OSR_ORT_PLUGINS, then the GPU install under gpu/.
	Plugins string `mapstructure:"plugins"`
	// CUDNNConvAlgoSearch is cuDNN's convolution algorithm search on cuda:
	// exhaustive, heuristic or default.
	CUDNNConvAlgoSearch string `mapstructure:"cudnn_conv_algo_search"`
	// GPUMemLimitMB caps the CUDA memory arena; 0 = no limit.
	GPUMemLimitMB int `mapstructure:"gpu_mem_limit_mb"`
	// CUDAGraph captures the model as one CUDA graph (cuda only).
	CUDAGraph bool `mapstructure:"cuda_graph"`
}

// Scoring overrides the model's calibrated outlier scoring. Zero values keep
// what model.yaml says.
type Scoring struct {
	// Kind is msp or entropy; empty keeps the model's.
	Kind string `mapstructure:"kind"`
	// Temperature divides the logits before the softmax; 0 keeps the model's.
	Temperature float64 `mapstructure:"temperature"`
	// Threshold on the score in [0,1] above which a pixel is an outlier;
	// negative keeps the model's.
	Threshold float64 `mapstructure:"threshold"`
	// OpenSet paints outlier pixels with the model's unknown id in the labels.
	OpenSet bool `mapstructure:"open_set"`
}

// Preprocess says how frames of another size meet the model's input size.
type Preprocess struct {
	// Resize is stretch or letterbox.
	Resize string `mapstructure:"resize"`
}

// Overlay styles the RGB overlay.
type Overlay struct {
	// Alpha is the palette's weight over the image, in [0,1].
	Alpha float64 `mapstructure:"alpha"`
	// OutlierColor is the RGB colour painted on outlier pixels.
	OutlierColor []int `mapstructure:"outlier_color"`
	// JPEGQuality is the quality (1..100) of <overlay>/compressed.
	JPEGQuality int `mapstructure:"jpeg_quality"`
}

// Objects turns the outlier mask into unknown-obstacle detections: its
// 8-connected regions that pass a minimum size, reported once seen in K of
// the last N frames (matched by box overlap).
type Objects struct {
	MinPixels int     `mapstructure:"min_pixels"`
	MinShare  float64 `mapstructure:"min_share"` // of the frame's pixels
	// SkipBottom drops regions touching the frame's bottom row (the hood).
	SkipBottom bool    `mapstructure:"skip_bottom"`
	K          int     `mapstructure:"k"`
	N          int     `mapstructure:"n"`
	Overlap    float64 `mapstructure:"overlap"` // box IoU that continues a track
}

// Default returns the configuration used when nothing overrides it.
func Default() Config {
	return Config{
		Model: "models/camvid-so",
		Runtime: Runtime{
			Device:              "cpu",
			Fallback:            "cpu",
			CUDNNConvAlgoSearch: "exhaustive",
		},
		Scoring:    Scoring{Threshold: -1, OpenSet: true},
		Preprocess: Preprocess{Resize: "stretch"},
		Overlay:    Overlay{Alpha: 0.5, OutlierColor: []int{255, 0, 255}, JPEGQuality: 80},
		Objects:    Objects{MinPixels: 100, MinShare: 0.001, K: 1, N: 1, Overlap: 0.3},
		Node: Node{
			Name: "osr", Namespace: "/", Transport: "ros1",
			ImageTopic: "image", Input: "auto",
			LabelsTopic: "~labels", ScoreTopic: "~outlier_score", MaskTopic: "~outlier_mask",
			OverlayTopic: "~overlay", LabelInfoTopic: "~label_info", DiagnosticsTopic: "/diagnostics",
			ObjectsTopic:      "~outlier_objects",
			DiagnosticsPeriod: 1,
			BatchWindow:       0.01,
		},
		ROS1: ROS1{Watchdog: 1},
		ROS2: ROS2{
			DomainID: -1, Distro: "",
			ImageReliability: "best_effort", ImageDepth: 5,
			OutputReliability: "reliable", OutputDepth: 10,
		},
	}
}
