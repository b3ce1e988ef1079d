package main

import (
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
)

// outputDiff compares two osr infer output directories pixel by pixel.
type outputDiff struct {
	Images         int     `json:"images"`
	Pixels         int     `json:"pixels"`
	LabelAgreement float64 `json:"label_agreement"` // share of pixels with the same label
	MaskAgreement  float64 `json:"mask_agreement"`
	ScoreMaxDiff   float64 `json:"score_max_abs_diff"` // to the score PNG's 1/65535 step
}

func newInferCompareCmd() *cobra.Command {
	var minAgree, maxDiff float64
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "compare DIR_A DIR_B",
		Short: "Compare two osr infer output directories pixel by pixel (devices, runtimes)",
		Long: `Reads every NAME_labels.png, NAME_score.png and NAME_mask.png in DIR_A and the
same files in DIR_B, and prints the share of pixels whose label and mask
agree and the largest absolute difference of the outlier score. With
--min-agreement or --max-score-diff it exits non-zero when they are not met
(scripts/gpu_check.sh compares --device cuda with --device cpu this way).`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := compareOutputs(args[0], args[1])
			if err != nil {
				return err
			}
			if asJSON {
				if err := printJSON(d); err != nil {
					return err
				}
			} else {
				fmt.Printf("%d images, %d pixels: labels agree on %.4f %%, masks on %.4f %%, score max |diff| %.6f\n",
					d.Images, d.Pixels, 100*d.LabelAgreement, 100*d.MaskAgreement, d.ScoreMaxDiff)
			}
			var bad []string
			if d.LabelAgreement < minAgree {
				bad = append(bad, fmt.Sprintf("label agreement %.4f %% < %.4f %%", 100*d.LabelAgreement, 100*minAgree))
			}
			if maxDiff >= 0 && d.ScoreMaxDiff > maxDiff {
				bad = append(bad, fmt.Sprintf("score max |diff| %.6f > %.6f", d.ScoreMaxDiff, maxDiff))
			}
			if len(bad) > 0 {
				return fmt.Errorf("%s and %s differ: %s", args[0], args[1], strings.Join(bad, "; "))
			}
			return nil
		},
	}
	cmd.Flags().Float64Var(&minAgree, "min-agreement", 0, "fail below this share of agreeing labels, in [0,1]")
	cmd.Flags().Float64Var(&maxDiff, "max-score-diff", -1, "fail above this score difference (negative: no limit)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func compareOutputs(a, b string) (outputDiff, error) {
	var d outputDiff
	names, err := filepath.Glob(filepath.Join(a, "*_labels.png"))
	if err != nil {
		return d, err
	}
	if len(names) == 0 {
		return d, fmt.Errorf("%s has no *_labels.png: not an osr infer output directory", a)
	}
	var sameLabel, sameMask int
	for _, la := range names {
		base := strings.TrimSuffix(filepath.Base(la), "_labels.png")
		read := func(dir, kind string) (image.Image, error) {
			return readPNGFile(filepath.Join(dir, base+"_"+kind+".png"))
		}
		var ims [2][3]image.Image
		for i, dir := range []string{a, b} {
			for j, kind := range []string{"labels", "score", "mask"} {
				if ims[i][j], err = read(dir, kind); err != nil {
					return d, err
				}
			}
		}
		r := ims[0][0].Bounds()
		for i := range 2 {
			for j := range 3 {
				if ims[i][j].Bounds() != r {
					return d, fmt.Errorf("%s: the outputs' sizes differ", base)
				}
			}
		}
		la8, ok1 := ims[0][0].(*image.Gray)
		lb8, ok2 := ims[1][0].(*image.Gray)
		sa, ok3 := ims[0][1].(*image.Gray16)
		sb, ok4 := ims[1][1].(*image.Gray16)
		ma, ok5 := ims[0][2].(*image.Gray)
		mb, ok6 := ims[1][2].(*image.Gray)
		if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
			return d, fmt.Errorf("%s: not osr infer's formats (8-bit labels and mask, 16-bit score)", base)
		}
		n := r.Dx() * r.Dy()
		for i := 0; i < n; i++ {
			if la8.Pix[i] == lb8.Pix[i] {
				sameLabel++
			}
			if ma.Pix[i] == mb.Pix[i] {
				sameMask++
			}
			va := float64(uint16(sa.Pix[2*i])<<8|uint16(sa.Pix[2*i+1])) / 65535
			vb := float64(uint16(sb.Pix[2*i])<<8|uint16(sb.Pix[2*i+1])) / 65535
			d.ScoreMaxDiff = math.Max(d.ScoreMaxDiff, math.Abs(va-vb))
		}
		d.Images++
		d.Pixels += n
	}
	d.LabelAgreement = float64(sameLabel) / float64(d.Pixels)
	d.MaskAgreement = float64(sameMask) / float64(d.Pixels)
	return d, nil
}

func readPNGFile(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	im, err := png.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return im, nil
}
