package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"osr/config"
	"osr/node"
	"osr/node/ros1"
	"osr/node/ros2"
)

// transport is what the node command needs of node/ros1 and node/ros2.
type transport interface {
	Sinks() node.Sinks // diagnostics
	Cameras() []node.Camera
	Now() time.Time
	NodePath() string
	Run(ctx context.Context, p *node.Pipeline) error
}

var nodeFlagKeys = func() map[string]string {
	m := map[string]string{
		"name":      "node.name",
		"namespace": "node.namespace",
		"image":     "node.image_topic",
		"input":     "node.input",
		"lazy":      "node.lazy",
		"master":    "ros1.master_uri",
		"transport": "node.transport",
		"domain":    "ros2.domain_id",
		"cameras":   "node.cameras",
	}
	for k, v := range engineFlagKeys {
		m[k] = v
	}
	return m
}()

func newNodeCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "node [flags] [from:=to ...] [--ros-args -r from:=to ...]",
		Short: "Run the perception node on ROS 1 or ROS 2",
		Long: `Subscribes to camera images and publishes, per frame, with the input header:
~labels (mono8 class ids), ~outlier_score (32FC1), ~outlier_mask (mono8 0/255),
~overlay (rgb8, for RViz), the latched ~label_info, and /diagnostics once per
period. With several cameras (--cameras front,rear or node.cameras) each camera's
outputs are under its name (~front/labels, ...), its topic <name>/image unless
given (front/image:=/front/image_raw), and frames that arrive together run as
one batch. ROS remapping arguments work as for any node: image:=/camera/image_raw,
__name:=segmenter, __ns:=/robot, and on ROS 2 also --ros-args -r __node:=segmenter
(as ros2 launch passes them). --transport ros2 (node.transport) joins a DDS
domain through Cyclone DDS instead of a ROS 1 master. On ROS 1 the node
takes ROS_NAMESPACE, reads its private parameters from the parameter server
(and _name:=value), follows rosparam set for live ones, and exits when the
master shuts it down (rosnode kill). Stops cleanly on SIGINT or SIGTERM.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			ra, err := node.ParseROSArgs(args)
			if err != nil {
				return err
			}
			if len(ra.Rest) > 0 {
				return fmt.Errorf("unexpected arguments %q (remappings look like from:=to)", ra.Rest)
			}
			cfg, err := a.loadConfig(cmd.Flags(), nodeFlagKeys)
			if err != nil {
				return err
			}
			if err := a.applyLogLevels(ra.LogLevels, cfg.Node.Namespace, cfg.Node.Name, ra.Remaps); err != nil {
				return err
			}
			if len(ra.Ignored) > 0 {
				a.log.Warn("ignoring ROS arguments osr does not support", "args", ra.Ignored)
			}
			// ROS 1 keeps parameters on the master: wait for it and read
			// the node's private namespace before the model is opened.
			var server map[string]any
			if cfg.Node.Transport != "ros2" {
				server, err = ros1.ServerParams(cmd.Context(), ros1.Options{Node: cfg.Node, ROS1: cfg.ROS1, Remaps: ra.Remaps, Logger: a.log})
				if errors.Is(err, context.Canceled) {
					return nil
				}
				if err != nil {
					return err
				}
			}
			settings, err := startSettings(cfg, ra, server, cmd.Flags(), a.log)
			if err != nil {
				return err
			}
			cfg = settings.Config()
			var tr transport
			switch cfg.Node.Transport {
			case "ros2":
				var r2 *ros2.Transport
				r2, err = ros2.New(ros2.Options{Node: cfg.Node, ROS2: cfg.ROS2, Remaps: ra.Remaps, Logger: a.log, Settings: settings, NoRosout: ra.NoRosout})
				if err == nil {
					a.log = r2.Logger() // also to /rosout
				}
				tr = r2
			default:
				tr, err = ros1.New(ros1.Options{Node: cfg.Node, ROS1: cfg.ROS1, Remaps: ra.Remaps, Logger: a.log, Settings: settings,
					Params: server, ParamArgs: slices.Collect(maps.Keys(ra.Params))})
			}
			if err != nil {
				return err
			}
			// A transport with a logger of its own (ROS 1: /rosout and
			// ~set_logger_level) logs the node's lines.
			if lt, ok := tr.(interface{ Logger() *slog.Logger }); ok {
				a.log = lt.Logger()
			}
			eng, err := openEngine(cfg, a)
			if err != nil {
				return err
			}
			defer eng.Close()
			p := node.NewCameraPipeline(eng, tr.Cameras(), tr.Sinks().Diagnostics, node.Options{
				Name:              tr.NodePath(),
				HardwareID:        hardwareID(eng.Device()),
				DiagnosticsPeriod: time.Duration(cfg.Node.DiagnosticsPeriod * float64(time.Second)),
				Lazy:              cfg.Node.Lazy,
				Logger:            a.log,
				Now:               tr.Now,
				Objects:           cfg.Objects,
				JPEGQuality:       cfg.Overlay.JPEGQuality,
				BatchWindow:       time.Duration(cfg.Node.BatchWindow * float64(time.Second)),
			})
			settings.OnApply(func(c config.Config) error {
				if err := eng.Rescore(overrides(c.Scoring), float32(c.Overlay.Alpha)); err != nil {
					return err
				}
				p.SetLazy(c.Node.Lazy)
				p.SetObjects(c.Objects)
				p.SetJPEGQuality(c.Overlay.JPEGQuality)
				sc := eng.Scoring()
				a.log.Info("parameters changed", "score", sc.Kind, "temperature", sc.Temperature, "threshold", sc.Threshold,
					"open_set", c.Scoring.OpenSet, "overlay_alpha", c.Overlay.Alpha, "lazy", c.Node.Lazy,
					"objects", fmt.Sprintf("%+v", c.Objects), "jpeg_quality", c.Overlay.JPEGQuality)
				return nil
			})
			ctx, cancel := context.WithCancel(cmd.Context())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- p.Run(ctx) }()
			err = tr.Run(ctx, p)
			cancel() // the transport is done: stop the pipeline too
			if perr := <-done; err == nil {
				err = perr
			}
			a.log.Info("node stopped")
			return err
		},
	}
	addEngineFlags(cmd)
	f := cmd.Flags()
	f.String("name", "osr", "node name")
	f.String("namespace", "/", "node namespace")
	f.String("image", "image", "camera topic")
	f.String("cameras", "", "several cameras, one model: front,rear (topics <name>/image) or front=/front/image_raw,... (node.cameras)")
	f.String("input", "auto", "camera message type: auto, raw or compressed")
	f.Bool("lazy", false, "skip inference while no output has a subscriber")
	f.String("master", "", "ROS master URI (default $ROS_MASTER_URI)")
	f.String("transport", "ros1", "ros1 (a ROS master) or ros2 (DDS through Cyclone DDS; needs a build with -tags ros2)")
	f.Int("domain", -1, "ROS 2 DDS domain (default $ROS_DOMAIN_ID, then 0)")
	return cmd
}

// startSettings applies the ROS parameters given at start over the loaded
// config: params files (--params-file) or, on ROS 1, the node's private
// namespace on the parameter server (server), then -p name:=value and
// ROS 1's _name:=value. A flag given on the command line wins over a
// parameter of the same setting; unknown names get one warning.
func startSettings(cfg config.Config, ra node.ROSArgs, server map[string]any, flags *pflag.FlagSet, log *slog.Logger) (*node.Settings, error) {
	s := node.NewSettings(cfg)
	values := map[string]any{}
	var unknown []string
	for k, v := range server {
		if _, ok := s.Lookup(k); !ok {
			unknown = append(unknown, k)
			continue
		}
		values[k] = v
	}
	if len(ra.ParamFiles) > 0 {
		names := node.ROS2Names(cfg.Node.Namespace, cfg.Node.Name, ra.Remaps)
		for _, f := range ra.ParamFiles {
			m, err := node.ReadParamsFile(f, names.NodePath())
			if err != nil {
				return nil, err
			}
			for k, v := range m {
				if _, ok := s.Lookup(k); !ok {
					unknown = append(unknown, k)
					continue
				}
				values[k] = v
			}
		}
	}
	for k, text := range ra.Params {
		p, ok := s.Lookup(k)
		if !ok {
			unknown = append(unknown, k)
			continue
		}
		v, err := node.ParseParamValue(p, text)
		if err != nil {
			return nil, err
		}
		values[k] = v
	}
	flagged := map[string]string{}
	flags.Visit(func(f *pflag.Flag) {
		if key, ok := nodeFlagKeys[f.Name]; ok {
			flagged[key] = f.Name
		}
	})
	for k := range values {
		p, _ := s.Lookup(k)
		if f, ok := flagged[p.Key]; ok {
			log.Info("flag --"+f+" wins over parameter "+k, "value", values[k])
			delete(values, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		log.Warn("ignoring unknown parameters", "names", unknown)
	}
	if err := s.Init(values); err != nil {
		return nil, fmt.Errorf("parameters: %w", err)
	}
	return s, nil
}

// applyLogLevels sets the log level from ROS 2's --log-level arguments: a
// bare level, or one for this node's logger (name:=level), the last
// winning, as rcl takes them. rcl names a node's logger after its
// namespace and name (robot1.osr); the bare node name is taken too.
func (a *app) applyLogLevels(levels []string, namespace, nodeName string, remaps map[string]string) error {
	names := node.ROS2Names(namespace, nodeName, remaps)
	nodeName = names.Node
	logger := names.LoggerName()
	var level *slog.Level
	for _, v := range levels {
		name, lvl, named := strings.Cut(v, ":=")
		if !named {
			lvl = name
		} else if name != nodeName && name != logger {
			continue
		}
		l, ok := map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn,
			"error": slog.LevelError, "fatal": slog.LevelError + 4}[strings.ToLower(lvl)]
		if !ok {
			return fmt.Errorf("--log-level %s: want debug, info, warn, error or fatal (or logger:=level)", v)
		}
		level = &l
	}
	if level != nil {
		a.log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: *level}))
	}
	return nil
}

// hardwareID names what the node runs on for diagnostics: the host and
// the device the engine ended up on (after any fallback to the CPU).
func hardwareID(device string) string {
	if host, err := os.Hostname(); err == nil {
		return host + "/" + device
	}
	return device
}
