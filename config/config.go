package config

// Config is the whole osr configuration. YAML keys are the mapstructure tags.
type Config struct {
	// Model is the model package directory (model.onnx + model.yaml).
	Model      string     `mapstructure:"model"`
	Runtime    Runtime    `mapstructure:"runtime"`
	Scoring    Scoring    `mapstructure:"scoring"`
	Preprocess Preprocess `mapstructure:"preprocess"`
	Overlay    Overlay    `mapstructure:"overlay"`
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
}

// Default returns the configuration used when nothing overrides it.
func Default() Config {
	return Config{
		Model: "models/camvid-ood-small",
		Runtime: Runtime{
			Device:   "cpu",
			Fallback: "cpu",
		},
		Scoring:    Scoring{Threshold: -1, OpenSet: true},
		Preprocess: Preprocess{Resize: "stretch"},
		Overlay:    Overlay{Alpha: 0.5, OutlierColor: []int{255, 0, 255}},
	}
}
