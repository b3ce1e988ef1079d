package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"osr/internal/imageio"
	"osr/model"
)

func newInferCmd(a *app) *cobra.Command {
	var outDir string
	cmd := &cobra.Command{
		Use:   "infer [--model DIR] IMAGE... --out DIR",
		Short: "Segment images and write labels, outlier score, mask and overlay PNGs",
		Long: `For each IMAGE, writes NAME_labels.png (8-bit class ids), NAME_score.png
(16-bit outlier score in [0,1]), NAME_mask.png (0/255) and NAME_overlay.png
at the image's resolution, and prints the time per image. An unreadable image
gets an error line and the rest go on; the exit status is 1 if any failed.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := a.loadConfig(cmd.Flags(), engineFlagKeys)
			if err != nil {
				return err
			}
			if outDir == "" {
				return errors.New("--out DIR is required")
			}
			if err := os.MkdirAll(outDir, 0o755); err != nil {
				return fmt.Errorf("output directory: %w", err)
			}
			eng, err := openEngine(cfg, a)
			if err != nil {
				return err
			}
			defer eng.Close()
			failed := 0
			var res model.Result
			for _, path := range args {
				if err := cmd.Context().Err(); err != nil {
					return err
				}
				if err := inferOne(eng, path, outDir, &res); err != nil {
					fmt.Fprintln(os.Stderr, err)
					failed++
				}
			}
			if failed > 0 {
				return fmt.Errorf("%d of %d images failed", failed, len(args))
			}
			return nil
		},
	}
	addEngineFlags(cmd)
	cmd.Flags().StringVarP(&outDir, "out", "o", "", "output directory (created if missing)")
	cmd.AddCommand(newInferCompareCmd())
	return cmd
}

func inferOne(eng engine, path, outDir string, res *model.Result) error {
	t0 := time.Now()
	img, err := imageio.ReadFileNoted(path)
	if err != nil {
		return err
	}
	t1 := time.Now()
	if err := eng.Run(img.RGB, res); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	t2 := time.Now()
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	base := filepath.Join(outDir, name)
	w, h := res.Width, res.Height
	if err := errors.Join(
		imageio.WriteGray(base+"_labels.png", w, h, res.Labels),
		imageio.WriteGray16(base+"_score.png", w, h, res.Score),
		imageio.WriteGray(base+"_mask.png", w, h, res.Mask),
		imageio.WriteRGB(base+"_overlay.png", imageio.RGB{Width: w, Height: h, Pix: res.Overlay}),
	); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	t3 := time.Now()
	note := ""
	if img.Note != "" {
		note = " (" + img.Note + ")"
	}
	fmt.Printf("%s %dx%d: decode %.1f ms, inference %.1f ms, write %.1f ms, outliers %.2f %%%s\n",
		filepath.Base(path), w, h, ms(t1.Sub(t0)), ms(t2.Sub(t1)), ms(t3.Sub(t2)),
		100*float64(res.OutlierPixels)/float64(w*h), note)
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
