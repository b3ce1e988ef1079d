package train

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"osr/dataset"
	"osr/internal/imageio"
)

// A short image-wide run in each mode trains a classifier far above
// chance on Fashion-MNIST and writes the Table 1 style report.
func TestImageWideRuns(t *testing.T) {
	if _, err := os.Stat(filepath.Join(dataset.FashionMNISTDir, "train-images-idx3-ubyte.gz")); err != nil {
		t.Skipf("Fashion-MNIST not installed (apt install dataset-fashion-mnist): %v", err)
	}
	if _, err := dataset.MNISTDir(); err != nil {
		t.Skipf("MNIST from the GoMNIST module not found: %v", err)
	}
	frames, _ := filepath.Glob("../demo/camvid/*.jpg")
	for _, mode := range []string{"msp", "so", "gan"} {
		t.Run(mode, func(t *testing.T) {
			cfg := DefaultImageWide()
			cfg.Mode, cfg.Steps, cfg.Batch, cfg.Limit, cfg.Natural, cfg.LR = mode, 120, 24, 1000, frames, 3e-3
			cfg.Widths = []int{8, 16, 16}
			cfg.Flow, cfg.FlowWarmup = RNVPConfig{Channels: 1, Levels: 2, Blocks: 1, Features: 4}, 20
			cfg.GAN.Noise, cfg.GAN.Features = 8, 8
			out := t.TempDir()
			rep, err := RunImageWide(context.Background(), cfg, out, nil)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Accuracy < 0.5 || len(rep.Rows) != 4 {
				t.Errorf("accuracy %.3f after %d steps, %d rows", rep.Accuracy, rep.Steps, len(rep.Rows))
			}
			for _, r := range rep.Rows {
				if r.AUROC <= 0 || r.AUROC > 1 || r.Images != 1000 || (r.Score != "msp" && r.Score != "entropy") {
					t.Errorf("%+v", r)
				}
			}
			if _, err := os.Stat(filepath.Join(out, "report.md")); err != nil {
				t.Error(err)
			}
			// so and gan runs show their samples beside the inliers.
			im, err := imageio.ReadFile(filepath.Join(out, "samples.png"))
			if mode != "msp" && (err != nil || im.Width != 8*30-2) {
				t.Errorf("samples.png: %v (width %d)", err, im.Width)
			}
			if mode == "msp" && err == nil {
				t.Error("an msp run wrote samples")
			}
			t.Logf("%s: accuracy %.3f, %+v", mode, rep.Accuracy, rep.Rows)
		})
	}
}

// A bad flow setting is refused before any data is read.
func TestImageWideRejectsBadFlowSettings(t *testing.T) {
	for name, bad := range map[string]func(*ImageWideConfig){
		"temperature 0": func(c *ImageWideConfig) { c.FlowTemperature = 0 },
		"temperature 3": func(c *ImageWideConfig) { c.FlowTemperature = 3 },
		"seg weight":    func(c *ImageWideConfig) { c.FlowSegWeight = -1 },
		"flow rate":     func(c *ImageWideConfig) { c.FlowLR = 0 },
	} {
		cfg := DefaultImageWide()
		cfg.Mode, cfg.Data = "so", t.TempDir()
		bad(&cfg)
		_, err := RunImageWide(context.Background(), cfg, t.TempDir(), nil)
		if err == nil || !strings.Contains(err.Error(), "image-wide flow") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// A gan run without the classifier's KL term (the generator's only link
// to the classifier) or with a bad GAN size is refused before any data is
// read.
func TestImageWideRejectsBadGANSettings(t *testing.T) {
	for name, bad := range map[string]func(*ImageWideConfig){
		"lambda 0":   func(c *ImageWideConfig) { c.Lambda = 0 },
		"noise 0":    func(c *ImageWideConfig) { c.GAN.Noise = 0 },
		"rate 0":     func(c *ImageWideConfig) { c.GAN.LR = 0 },
		"beta -1":    func(c *ImageWideConfig) { c.GAN.Beta = -1 },
		"features 1": func(c *ImageWideConfig) { c.GAN.Features = 1 },
	} {
		cfg := DefaultImageWide()
		cfg.Mode, cfg.Data = "gan", t.TempDir()
		bad(&cfg)
		_, err := RunImageWide(context.Background(), cfg, t.TempDir(), nil)
		if err == nil || !strings.Contains(err.Error(), "gan") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
