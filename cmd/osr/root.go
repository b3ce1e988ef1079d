package main

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"osr/config"
)

// app carries what every subcommand shares: the config file flag and the logger.
type app struct {
	configFile string
	verbose    bool
	log        *slog.Logger
}

func newRootCmd() *cobra.Command {
	a := &app{}
	root := &cobra.Command{
		Use:           "osr",
		Short:         "Dense open-set recognition for robots",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			level := slog.LevelInfo
			if a.verbose {
				level = slog.LevelDebug
			}
			a.log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
			slog.SetDefault(a.log)
			if f := cmd.Flags().Lookup("config"); f != nil && f.Changed && cmd.Annotations[readsConfigKey] == "" {
				return fmt.Errorf("%s reads no config file, its settings are its flags: leave out --config", cmd.CommandPath())
			}
			return nil
		},
	}
	root.PersistentFlags().StringVarP(&a.configFile, "config", "c", "", "YAML configuration file (then OSR_* environment, then flags)")
	root.PersistentFlags().BoolVarP(&a.verbose, "verbose", "v", false, "debug logging")
	root.AddCommand(newInferCmd(a), newBenchCmd(a), newTrainCmd(a), newNodeCmd(a), newEvalCmd(a), newCalibrateCmd(a), newBagCmd(a), newDatasetCmd(), newDoctorCmd(a))
	return root
}

// engineFlags are the flags shared by commands that run a model, and the
// config keys they set.
var engineFlagKeys = map[string]string{
	"model":       "model",
	"device":      "runtime.device",
	"fallback":    "runtime.fallback",
	"gpu-id":      "runtime.gpu_id",
	"threads":     "runtime.intra_op_threads",
	"score":       "scoring.kind",
	"temperature": "scoring.temperature",
	"threshold":   "scoring.threshold",
	"resize":      "preprocess.resize",
}

// readsConfigKey marks, in a command's annotations, a command that reads
// --config. The others refuse it, so that a given file is never ignored.
const readsConfigKey = "osr.reads-config"

func readsConfig(cmd *cobra.Command) {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[readsConfigKey] = "yes"
}

// addEngineFlags adds the engine flags to a command that runs a model,
// which reads the osr config (--config) too.
func addEngineFlags(cmd *cobra.Command) {
	readsConfig(cmd)
	fs := cmd.Flags()
	d := config.Default()
	fs.String("model", d.Model, "model package directory (model.onnx + model.yaml)")
	fs.String("device", d.Runtime.Device, "execution provider: cpu, cuda or tensorrt")
	fs.String("fallback", d.Runtime.Fallback, "when the device is unavailable: cpu or fail")
	fs.Int("gpu-id", d.Runtime.GPUID, "CUDA device number, for cuda and tensorrt")
	fs.Int("threads", 0, "ONNX Runtime intra-op threads (0 = runtime default)")
	fs.String("score", "", "outlier score: msp or entropy (default: the model's)")
	fs.Float64("temperature", 0, "softmax temperature (default: the model's)")
	fs.Float64("threshold", -1, "outlier threshold on the score in [0,1] (default: the model's)")
	fs.String("resize", "", "frames of another size than the model's: stretch or letterbox")
}

// loadConfig merges defaults, the config file, OSR_* and the set flags.
func (a *app) loadConfig(fs *pflag.FlagSet, keys map[string]string) (config.Config, error) {
	return config.Load(a.configFile, fs, keys)
}
