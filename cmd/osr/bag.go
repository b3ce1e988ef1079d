package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"osr/bags"
	"osr/calibration"
	"osr/dataset"
)

func newBagCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "bag", Short: "Evaluate on recorded drives and make bags from datasets"}
	cmd.AddCommand(newBagEvalCmd(a), newBagFromDatasetCmd(), newBagInfoCmd())
	return cmd
}

func newBagEvalCmd(a *app) *cobra.Command {
	var o calibration.BagEvalOptions
	var dataDir, out string
	cmd := &cobra.Command{
		Use:   "eval BAG --image-topic T [--label-topic L] [--protocol P] --out DIR",
		Short: "Run the model over every image of a ROS 1 bag or MCAP file",
		Long: `With --label-topic, images and mono8 labels with the same header stamp are
compared and the report is the one osr eval writes. Without it, the outlier share
per frame is written as timeline.json, timeline.csv and timeline.png. Label ids
are mapped through the bag's /dataset_info (written by osr bag from-dataset) or
--data's dataset.yaml.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return errors.New("--out is required")
			}
			cfg, err := a.loadConfig(cmd.Flags(), engineFlagKeys)
			if err != nil {
				return err
			}
			cfg.Scoring.OpenSet = false
			cfg = pipelined(cfg)
			if dataDir != "" {
				if o.Dataset, err = dataset.Open(dataDir); err != nil {
					return err
				}
			}
			eng, err := openEngine(cfg, a)
			if err != nil {
				return err
			}
			defer eng.Close()
			o.Progress = os.Stderr
			res, err := calibration.EvaluateBag(cmd.Context(), eng, args[0], o)
			if err != nil {
				return err
			}
			if err := res.Write(out); err != nil {
				return err
			}
			st := res.Stats
			fmt.Printf("%s: %d messages in %d chunks (%d corrupt, skipped; %d bad records); %d frames evaluated, %d bad, %d unmatched\n",
				filepath.Base(args[0]), st.Messages, st.Chunks, st.CorruptChunks, st.BadRecords, res.Frames, res.BadFrames, res.Unmatched)
			for t, n := range res.Skipped {
				fmt.Printf("  skipped %d messages of unknown type %s\n", n, t)
			}
			for _, p := range st.Problems {
				fmt.Printf("  problem: %s\n", p)
			}
			if res.Report != nil {
				fmt.Print(res.Report.Markdown())
			} else {
				tl := res.Timeline
				fmt.Printf("outlier share: mean %.2f %%, p95 %.2f %%, max %.2f %% at %.1f s\n", 100*tl.Mean, 100*tl.P95, 100*tl.Max, tl.MaxAt)
			}
			fmt.Printf("written to %s\n", out)
			return nil
		},
	}
	addEngineFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.ImageTopic, "image-topic", bags.DefaultImageTopic, "image topic (raw or compressed)")
	f.StringVar(&o.LabelTopic, "label-topic", "", "mono8 label topic (omit for a drive without labels)")
	f.StringVar(&o.Protocol, "protocol", "", "open-set protocol whose classes are outliers, e.g. camvid-ood")
	f.StringVar(&dataDir, "data", "", "dataset directory whose dataset.yaml describes the labels")
	f.StringVarP(&out, "out", "o", "", "output directory")
	return cmd
}

func newBagFromDatasetCmd() *cobra.Command {
	var o bags.FromDatasetOptions
	var dataDir, out string
	cmd := &cobra.Command{
		Use:   "from-dataset --data DIR --split S --out X.bag|X.mcap [--rate HZ]",
		Short: "Write a labelled dataset split as a bag of rgb8 images and mono8 labels",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if dataDir == "" || out == "" {
				return errors.New("--data and --out are required")
			}
			ds, err := dataset.Open(dataDir)
			if err != nil {
				return err
			}
			o.Progress = os.Stderr
			n, err := bags.FromDataset(cmd.Context(), ds, out, o)
			if err != nil {
				return err
			}
			fmt.Printf("wrote %d frames of %s/%s to %s (%s, %s; dataset.yaml on %s)\n", n, ds.Name, o.Split, out, o.ImageTopic, o.LabelTopic, bags.DatasetInfoTopic)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&dataDir, "data", "", "dataset directory with dataset.yaml")
	f.StringVar(&o.Split, "split", "val", "split")
	f.StringVarP(&out, "out", "o", "", "output .bag (ROS 1) or .mcap (ROS 2)")
	f.Float64Var(&o.Rate, "rate", 2, "frames per second")
	f.IntVar(&o.Limit, "limit", 0, "at most this many frames (0 = all)")
	f.StringVar(&o.ImageTopic, "image-topic", bags.DefaultImageTopic, "image topic")
	f.StringVar(&o.LabelTopic, "label-topic", bags.DefaultLabelTopic, "label topic")
	return cmd
}

func newBagInfoCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "info BAG",
		Short: "Count a bag's messages per topic and type, and its damaged chunks",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			topics := map[string]int{}
			st, err := bags.Read(args[0], func(m bags.Message) error {
				topics[m.Topic+" ("+m.Type+")"]++
				return nil
			})
			if err != nil {
				return err
			}
			js, _ := json.MarshalIndent(map[string]any{"read": st, "topics": topics}, "", "  ")
			fmt.Println(string(js))
			return nil
		},
	}
}
