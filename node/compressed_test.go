package node

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"osr/internal/imageio"
	"osr/msgs"
)

// The compressed outputs decode to the raw ones: PNG labels and mask
// exactly, the JPEG overlay within JPEG's loss; each with the frame's
// header and image_transport's format string.
func TestPipelineCompressedOutputs(t *testing.T) {
	rec := map[string]*recorder{}
	for _, k := range []string{"labels", "mask", "overlay", "labels/c", "mask/c", "overlay/c"} {
		rec[k] = &recorder{subs: true}
	}
	p := NewPipeline(openBundled(t), Sinks{Labels: rec["labels"], Mask: rec["mask"], Overlay: rec["overlay"],
		LabelsCompressed: rec["labels/c"], MaskCompressed: rec["mask/c"], OverlayCompressed: rec["overlay/c"]}, Options{Name: "/osr"})
	frame := demoFrame(t, msgs.RGB8)
	p.process(Frame{Raw: frame, Received: time.Now()})
	for _, k := range []string{"labels", "mask", "overlay"} {
		raw := rec[k].last().(*msgs.Image)
		c, ok := rec[k+"/c"].last().(*msgs.CompressedImage)
		if !ok {
			t.Fatalf("%s/compressed: nothing published", k)
		}
		if c.Header != frame.Header {
			t.Errorf("%s/compressed: header %+v, want the frame's", k, c.Header)
		}
		var im image.Image
		var err error
		if k == "overlay" {
			if c.Format != "rgb8; jpeg compressed bgr8" {
				t.Errorf("%s/compressed: format %q", k, c.Format)
			}
			im, err = jpeg.Decode(bytes.NewReader(c.Data))
		} else {
			if !strings.Contains(c.Format, "png") {
				t.Errorf("%s/compressed: format %q", k, c.Format)
			}
			im, err = png.Decode(bytes.NewReader(c.Data))
		}
		if err != nil {
			t.Fatalf("%s/compressed: %v", k, err)
		}
		if b := im.Bounds(); b.Dx() != int(raw.Width) || b.Dy() != int(raw.Height) {
			t.Fatalf("%s/compressed: %v, want %dx%d", k, b, raw.Width, raw.Height)
		}
		var diff float64
		w := int(raw.Width)
		for y := range int(raw.Height) {
			for x := range w {
				r, g, b, _ := im.At(x, y).RGBA()
				if k == "overlay" {
					px := raw.Data[3*(y*w+x):]
					diff += abs(float64(r>>8)-float64(px[0])) + abs(float64(g>>8)-float64(px[1])) + abs(float64(b>>8)-float64(px[2]))
				} else {
					diff += abs(float64(r>>8) - float64(raw.Data[y*w+x]))
				}
			}
		}
		diff /= float64(len(raw.Data))
		if k != "overlay" && diff != 0 || diff > 6 {
			t.Errorf("%s/compressed differs from the raw image by %.2f per value", k, diff)
		}
		t.Logf("%s: raw %d bytes, compressed %d bytes (%.1f%%), mean difference %.2f", k, len(raw.Data), len(c.Data), 100*float64(len(c.Data))/float64(len(raw.Data)), diff)
	}
}

func abs(v float64) float64 { return max(v, -v) }

// Bytes per frame of the compressed outputs against the raw ones, over the
// demo's CamVid frames (go test ./node -run X -bench Compressed).
func BenchmarkCompressedOutputs(b *testing.B) {
	frames, err := filepath.Glob("../demo/camvid/*.jpg")
	if err != nil || len(frames) == 0 {
		b.Fatalf("no demo frames: %v", err)
	}
	rec := map[string]*recorder{}
	for _, k := range []string{"labels", "mask", "overlay"} {
		rec[k] = &recorder{subs: true}
	}
	p := NewPipeline(openBundled(b), Sinks{LabelsCompressed: rec["labels"], MaskCompressed: rec["mask"], OverlayCompressed: rec["overlay"]}, Options{Name: "/osr"})
	var ims []*msgs.Image
	for _, f := range frames {
		im, err := imageio.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		ims = append(ims, &msgs.Image{Width: uint32(im.Width), Height: uint32(im.Height), Encoding: msgs.RGB8, Step: uint32(3 * im.Width), Data: im.Pix})
	}
	b.ResetTimer()
	for i := range b.N {
		p.process(Frame{Raw: ims[i%len(ims)], Received: time.Now()})
	}
	b.StopTimer()
	for _, k := range []string{"labels", "mask", "overlay"} {
		var sum int
		for _, m := range rec[k].msgs {
			sum += len(m.(*msgs.CompressedImage).Data)
		}
		b.ReportMetric(float64(sum)/float64(len(rec[k].msgs)), k+"_B/frame")
	}
}
