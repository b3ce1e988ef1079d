package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"osr/node"
	"osr/node/ros1"
	"osr/node/ros2"
)

// transport is what the node command needs of node/ros1 and node/ros2.
type transport interface {
	Sinks() node.Sinks
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
period. ROS remapping arguments work as for any node: image:=/camera/image_raw,
__name:=segmenter, __ns:=/robot, and on ROS 2 also --ros-args -r __node:=segmenter
(as ros2 launch passes them). --transport ros2 (node.transport) joins a DDS
domain through Cyclone DDS instead of a ROS 1 master. Stops cleanly on SIGINT
or SIGTERM.`,
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
			if len(ra.Ignored) > 0 {
				a.log.Warn("ignoring ROS arguments: osr takes its settings from --config", "args", ra.Ignored)
			}
			var tr transport
			switch cfg.Node.Transport {
			case "ros2":
				tr, err = ros2.New(ros2.Options{Node: cfg.Node, ROS2: cfg.ROS2, Remaps: ra.Remaps, Logger: a.log})
			default:
				tr, err = ros1.New(ros1.Options{Node: cfg.Node, ROS1: cfg.ROS1, Remaps: ra.Remaps, Logger: a.log})
			}
			if err != nil {
				return err
			}
			eng, err := openEngine(cfg, a)
			if err != nil {
				return err
			}
			defer eng.Close()
			p := node.NewPipeline(eng, tr.Sinks(), node.Options{
				Name:              tr.NodePath(),
				DiagnosticsPeriod: time.Duration(cfg.Node.DiagnosticsPeriod * float64(time.Second)),
				Lazy:              cfg.Node.Lazy,
				Logger:            a.log,
				Now:               tr.Now,
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
	f.String("input", "auto", "camera message type: auto, raw or compressed")
	f.Bool("lazy", false, "skip inference while no output has a subscriber")
	f.String("master", "", "ROS master URI (default $ROS_MASTER_URI)")
	f.String("transport", "ros1", "ros1 (a ROS master) or ros2 (DDS through Cyclone DDS; needs a build with -tags ros2)")
	f.Int("domain", -1, "ROS 2 DDS domain (default $ROS_DOMAIN_ID, then 0)")
	return cmd
}
