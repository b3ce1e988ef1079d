package main

import (
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
		PersistentPreRun: func(cmd *cobra.Command, args []string) {
			level := slog.LevelInfo
			if a.verbose {
				level = slog.LevelDebug
			}
			a.log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
			slog.SetDefault(a.log)
		},
	}
	root.PersistentFlags().StringVarP(&a.configFile, "config", "c", "", "YAML configuration file (then OSR_* environment, then flags)")
	root.PersistentFlags().BoolVarP(&a.verbose, "verbose", "v", false, "debug logging")
	root.AddCommand(newInferCmd(a), newBenchCmd(a), newTrainCmd(a), newNodeCmd(a), newEvalCmd(a), newCalibrateCmd(a), newBagCmd(a), newDatasetCmd())
	return root
}

// engineFlags are the flags shared by commands that run a model, and the
// config keys they set.
var engineFlagKeys = map[string]string{
	"model":       "model",
	"device":      "runtime.device",
	"fallback":    "runtime.fallback",
	"threads":     "runtime.intra_op_threads",
	"score":       "scoring.kind",
	"temperature": "scoring.temperature",
	"threshold":   "scoring.threshold",
	"resize":      "preprocess.resize",
}

func addEngineFlags(fs *pflag.FlagSet) {
	d := config.Default()
	fs.String("model", d.Model, "model package directory (model.onnx + model.yaml)")
	fs.String("device", d.Runtime.Device, "execution provider: cpu, cuda or tensorrt")
	fs.String("fallback", d.Runtime.Fallback, "when the device is unavailable: cpu or fail")
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
