package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"osr/internal/imageio"
	"osr/model"
)

// defaultBenchImage is a bundled CamVid test frame.
const defaultBenchImage = "demo/camvid/0001TP_008550.jpg"

func newBenchCmd(a *app) *cobra.Command {
	var frames int
	var asJSON bool
	var image string
	cmd := &cobra.Command{
		Use:   "bench [--model DIR] [--frames N] [--json]",
		Short: "Measure raw ONNX Runtime time against the node's end-to-end time per frame",
		Long: `Runs the model on one frame N times in this process and prints the median
ONNX Runtime Run time, the median end-to-end time from a raw rgb8 buffer to
the four output buffers (pre-processing, run, post-processing, overlay; no
file I/O), their ratio, and the same from JPEG bytes when the frame is a JPEG.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := a.loadConfig(cmd.Flags(), engineFlagKeys)
			if err != nil {
				return err
			}
			data, err := os.ReadFile(image)
			if err != nil {
				return fmt.Errorf("bench image: %w", err)
			}
			img, err := imageio.Decode(data)
			if err != nil {
				return fmt.Errorf("bench image %s: %w", image, err)
			}
			var jpeg []byte
			if img.Format == "jpeg" {
				jpeg = data
			}
			eng, err := openEngine(cfg, a)
			if err != nil {
				return err
			}
			defer eng.Close()
			r, err := model.Bench(eng, img.RGB, jpeg, frames)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(r)
			}
			fmt.Printf("model %s on %s, %dx%d (%s), %d frames\n", r.Model, r.Provider, r.Width, r.Height, filepath.Base(image), r.Frames)
			fmt.Printf("  raw ONNX Runtime Run      %8.2f ms (median)\n", r.RawMS)
			fmt.Printf("  end to end, rgb8 buffer   %8.2f ms (median)   ratio %.3f\n", r.E2EMS, r.Ratio)
			if r.JPEGMS > 0 {
				fmt.Printf("  end to end, JPEG bytes    %8.2f ms (median)   ratio %.3f\n", r.JPEGMS, r.JPEGRatio)
			}
			return nil
		},
	}
	addEngineFlags(cmd.Flags())
	cmd.Flags().IntVarP(&frames, "frames", "n", 100, "frames to time")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringVar(&image, "image", defaultBenchImage, "frame to run on")
	return cmd
}
