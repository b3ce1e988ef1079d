package train

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"
)

// Config is one training run, as a YAML file gives it (`osr train
// --config`). Every field has a default; see DefaultConfig.
type Config struct {
	Data     string     `yaml:"data"`     // dataset directory with dataset.yaml
	Protocol string     `yaml:"protocol"` // hold out this protocol's outlier ids (camvid-ood); "" trains on every class
	Mode     string     `yaml:"mode"`     // msp, noise or so (see Validate)
	Model    LDNConfig  `yaml:"model"`    // classes come from the dataset
	Flow     RNVPConfig `yaml:"flow"`

	Scale float64 `yaml:"scale"` // images are resized by this before cropping
	Crop  [2]int  `yaml:"crop"`  // width, height of a training crop, at the scaled size
	Batch int     `yaml:"batch"`
	// Replicas splits each batch into this many groups, each with its own
	// batch-norm statistics (as on that many GPUs), run in parallel. It is
	// a setting, not the core count, so that a config trains the same
	// model on any machine. A batch smaller than this is one image each.
	Replicas int `yaml:"replicas"`
	Steps    int `yaml:"steps"`
	LR       struct {
		Encoder    float64 `yaml:"encoder"`
		Upsampling float64 `yaml:"upsampling"`
		Min        float64 `yaml:"min"` // cosine annealing ends here
	} `yaml:"lr"`
	// Outliers (modes noise and so): pasted squares whose area is this
	// share of the crop, at multiples of 2^flow.levels.
	PatchArea [2]float64 `yaml:"patch_area"`
	Lambda    float64    `yaml:"lambda"` // weight of KL(U‖P) on pasted pixels
	// LambdaScale is mean (λ weighs the mean KL of the pasted pixels
	// against the mean CE of the inliers) or sum (the paper's form: summed
	// KL against summed CE). sum's λ ≈ mean's λ × inliers / pasted pixels,
	// about 20x at the default patch areas (4.8 % of a crop on average).
	LambdaScale string `yaml:"lambda_scale"`
	FlowTrain   struct {
		LR        float64 `yaml:"lr"`         // Adam learning rate of the flow
		SegWeight float64 `yaml:"seg_weight"` // weight of the segmenter loss in the flow's loss
		// Warmup is a number of NLL-only flow steps on patches of training
		// crops before the joint steps, so that the first samples look like
		// blurred scenes rather than the noise of an untrained flow.
		Warmup int `yaml:"warmup"`
		// Temperature scales the latent draws: z ~ N(0, T²·I). 1 is the
		// paper's; below 1 the samples are smoother, nearer the modes.
		Temperature float64 `yaml:"temperature"`
	} `yaml:"flow_training"`

	Mean [3]float32 `yaml:"mean"` // input normalisation, recorded in model.yaml
	Std  [3]float32 `yaml:"std"`

	CheckpointEvery int    `yaml:"checkpoint_every"` // steps between checkpoints
	ValidateEvery   int    `yaml:"validate_every"`   // steps between val evaluations (0: at the end only)
	LogEvery        int    `yaml:"log_every"`        // steps between lines in train.log
	Seed            uint64 `yaml:"seed"`
	Limit           int    `yaml:"limit"` // use at most this many train and val images (0: all)
}

// DefaultConfig trains the default CPU segmenter on camvid-ood at half
// resolution. The learning rates are the paper's ratio (upsampling 4x the
// backbone) at a higher level, as the backbone here starts from scratch
// rather than from ImageNet.
func DefaultConfig() Config {
	c := Config{Data: "../shared/datasets/camvid", Protocol: "camvid-ood", Mode: "msp",
		Model: SmallLDN(0), Flow: DefaultRNVP(), Scale: 0.5, Crop: [2]int{240, 176}, Batch: 4, Replicas: DefaultReplicas, Steps: 4000,
		Mean: [3]float32{0.485, 0.456, 0.406}, Std: [3]float32{0.229, 0.224, 0.225},
		CheckpointEvery: 100, ValidateEvery: 1000, LogEvery: 10, Seed: 1}
	c.LR.Encoder, c.LR.Upsampling, c.LR.Min = 1e-3, 4e-3, 1e-7
	c.PatchArea, c.Lambda, c.LambdaScale = [2]float64{0.015, 0.08}, 0.1, "mean"
	c.FlowTrain.LR, c.FlowTrain.SegWeight, c.FlowTrain.Temperature = 1e-4, 1, 1
	return c
}

// DefaultReplicas is the batch-norm groups per batch that every shipped
// model and result was trained with (one per core of the 2-core machine).
const DefaultReplicas = 2

// LoadConfig reads a YAML config over the defaults. Unknown keys are
// errors, so that a typo does not silently train with a default.
func LoadConfig(path string) (Config, error) {
	c := DefaultConfig()
	raw, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("training config: %w", err)
	}
	def := c.Data
	if err := decodeConfig(raw, &c); err != nil {
		return c, fmt.Errorf("training config %s (keys as in config/train.yaml; osr.yaml is for the commands that run a model): %w", path, err)
	}
	// A dataset named in the file is relative to the file.
	if c.Data != def && !filepath.IsAbs(c.Data) {
		c.Data = filepath.Join(filepath.Dir(path), c.Data)
	}
	return c, c.Validate()
}

// checkFlowTemperature bounds the flow's sampling temperature, for dense
// and image-wide runs alike.
func checkFlowTemperature(t float64) error {
	if !(t > 0 && t <= 2) {
		return fmt.Errorf("temperature %g must be in (0, 2]", t)
	}
	return nil
}

func decodeConfig(raw []byte, c *Config) error {
	d := yaml.NewDecoder(bytes.NewReader(raw))
	d.KnownFields(true)
	if err := d.Decode(c); err != nil && err.Error() != "EOF" {
		return err
	}
	return nil
}

// Marshal is the config as YAML, as checkpoints and model.yaml record it.
func (c Config) Marshal() []byte {
	b, _ := yaml.Marshal(c)
	return b
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	switch {
	case c.Data == "":
		return fmt.Errorf("config: data is empty")
	case c.Mode != "msp" && c.Mode != "noise" && c.Mode != "so":
		return fmt.Errorf("config: mode %q: want msp (cross-entropy only), noise (pasted Gaussian noise) or so (pasted Real NVP samples, trained jointly)", c.Mode)
	case c.Mode != "msp" && (c.PatchArea[0] <= 0 || c.PatchArea[1] < c.PatchArea[0] || c.PatchArea[1] > 0.5):
		return fmt.Errorf("config: patch_area %v must be 0 < min <= max <= 0.5", c.PatchArea)
	case c.LambdaScale != "mean" && c.LambdaScale != "sum":
		return fmt.Errorf("config: lambda_scale %q: want mean (λ·mean KL against the mean CE) or sum (the paper's: λ·summed KL against the summed CE)", c.LambdaScale)
	case c.Lambda < 0 || c.FlowTrain.LR <= 0 || c.FlowTrain.SegWeight < 0 || c.FlowTrain.Warmup < 0:
		return fmt.Errorf("config: lambda %g, flow_training %+v must not be negative", c.Lambda, c.FlowTrain)
	case checkFlowTemperature(c.FlowTrain.Temperature) != nil:
		return fmt.Errorf("config: flow_training.%w", checkFlowTemperature(c.FlowTrain.Temperature))
	case c.Scale <= 0 || c.Scale > 4:
		return fmt.Errorf("config: scale %g is outside (0, 4]", c.Scale)
	case c.Crop[0] < 32 || c.Crop[1] < 32:
		return fmt.Errorf("config: crop %v must be at least 32x32", c.Crop)
	case c.Batch < 1 || c.Steps < 1:
		return fmt.Errorf("config: batch %d and steps %d must be >= 1", c.Batch, c.Steps)
	case c.Replicas < 1:
		return fmt.Errorf("config: replicas %d must be >= 1", c.Replicas)
	case c.LR.Encoder <= 0 || c.LR.Upsampling <= 0 || c.LR.Min < 0:
		return fmt.Errorf("config: learning rates %+v must be positive", c.LR)
	case c.CheckpointEvery < 1 || c.ValidateEvery < 0 || c.LogEvery < 1:
		return fmt.Errorf("config: checkpoint_every and log_every must be >= 1, validate_every >= 0")
	}
	for i, s := range c.Std {
		if s <= 0 {
			return fmt.Errorf("config: std[%d] = %g must be positive", i, s)
		}
	}
	m := c.Model
	m.Classes = 2 // filled from the dataset
	return m.Validate()
}
