package node

import (
	"image"
	"image/png"
	"os"
	"testing"
	"time"

	"osr/config"
	"osr/internal/imageio"
	"osr/msgs"
)

// pastedFrame is a CamVid test frame with a Fashion-MNIST object pasted in
// (osr dataset paste), and the pasted object's box from its labels (class 10).
func pastedFrame(t *testing.T) (*msgs.Image, Box) {
	t.Helper()
	im, err := imageio.ReadFile("../testdata/pasted/Seq05VD_f04950.jpg")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("../testdata/pasted/Seq05VD_f04950_labels.png")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	li, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	g, ok := li.(*image.Gray)
	if !ok {
		t.Fatalf("labels: %T, want 8-bit gray", li)
	}
	b := Box{g.Rect.Dx(), g.Rect.Dy(), 0, 0}
	for y := range g.Rect.Dy() {
		for x := range g.Rect.Dx() {
			if g.Pix[y*g.Stride+x] == 10 {
				b = Box{min(b.X0, x), min(b.Y0, y), max(b.X1, x+1), max(b.Y1, y+1)}
			}
		}
	}
	if b.Area() == 0 {
		t.Fatal("labels: no pasted pixels (class 10)")
	}
	m := &msgs.Image{Header: msgs.Header{Stamp: time.Unix(1000, 500), FrameId: "cam"},
		Width: uint32(im.Width), Height: uint32(im.Height), Encoding: msgs.RGB8, Step: uint32(3 * im.Width), Data: im.Pix}
	return m, b
}

// The pasted object comes out as a detection whose box overlaps the
// pasted one by IoU >= 0.5, scored, with the frame's header; the overlay
// carries its box. With k = 3 of n = 5 set live, the same object is
// reported from its third frame on, keeping its track id.
func TestPipelineOutlierObjects(t *testing.T) {
	objects, overlay := &recorder{subs: true}, &recorder{subs: true}
	p := NewPipeline(openBundled(t), Sinks{Objects: objects, Overlay: overlay}, Options{Name: "/osr"})
	frame, want := pastedFrame(t)
	p.process(Frame{Raw: frame, Received: time.Now()})
	m, ok := objects.last().(*msgs.Detection2DArray)
	if !ok {
		t.Fatalf("objects: got %T", objects.last())
	}
	if m.Header != frame.Header {
		t.Errorf("header %+v, want the frame's %+v", m.Header, frame.Header)
	}
	var hit *msgs.Detection2D
	for i, d := range m.Detections {
		b := d.BBox
		got := Box{int(b.CenterX - b.SizeX/2), int(b.CenterY - b.SizeY/2), int(b.CenterX + b.SizeX/2), int(b.CenterY + b.SizeY/2)}
		if got.IoU(want) >= 0.5 {
			hit = &m.Detections[i]
		}
	}
	if hit == nil {
		t.Fatalf("no detection overlaps the pasted object %v by IoU >= 0.5: %+v", want, m.Detections)
	}
	if len(hit.Results) != 1 || hit.Results[0].ClassID != "unknown" || !(hit.Results[0].Score > 0 && hit.Results[0].Score <= 1) || hit.ID == "" || hit.Header != frame.Header {
		t.Errorf("detection %+v: want one hypothesis \"unknown\" scored in (0, 1], a track id and the frame's header", hit)
	}
	ov := overlay.last().(*msgs.Image)
	x0, y0 := int(hit.BBox.CenterX-hit.BBox.SizeX/2), int(hit.BBox.CenterY-hit.BBox.SizeY/2)
	if i := 3 * (y0*int(ov.Width) + x0); [3]uint8(ov.Data[i:i+3]) != boxColor {
		t.Errorf("overlay at the box's corner (%d, %d): %v, want the box colour %v", x0, y0, ov.Data[i:i+3], boxColor)
	}

	c := p.opts.Objects
	c.K, c.N = 3, 5
	p.SetObjects(c)
	ids := map[string]bool{}
	for i := 1; i <= 4; i++ {
		p.process(Frame{Raw: frame, Received: time.Now()})
		ds := objects.last().(*msgs.Detection2DArray).Detections
		if i < 3 && len(ds) != 0 || i >= 3 && len(ds) == 0 {
			t.Errorf("k = 3 of n = 5, frame %d: %d objects reported", i, len(ds))
		}
		for _, d := range ds {
			ids[d.ID] = true
		}
	}
	if len(ids) != len(m.Detections) {
		t.Errorf("frames 3 and 4 report track ids %v, want the same %d", ids, len(m.Detections))
	}
}

// Nobody subscribed to the objects: none are made.
func TestPipelineObjectsOnlyWhenSubscribed(t *testing.T) {
	objects := &recorder{}
	labels := &recorder{subs: true}
	p := NewPipeline(openBundled(t), Sinks{Labels: labels, Objects: objects}, Options{Name: "/osr"})
	frame, _ := pastedFrame(t)
	p.process(Frame{Raw: frame, Received: time.Now()})
	if objects.count() != 0 || p.cams[0].tracker != nil {
		t.Errorf("objects made with no subscriber: %d published", objects.count())
	}
	if labels.count() != 1 {
		t.Errorf("labels published %d times, want 1", labels.count())
	}
}

// withCopy is frame with the pixels of box b copied to (x, y): a second
// foreign object, and its box.
func withCopy(frame *msgs.Image, b Box, x, y int) (*msgs.Image, Box) {
	m := *frame
	m.Data = append([]uint8(nil), frame.Data...)
	w := int(m.Width)
	for sy := b.Y0; sy < b.Y1; sy++ {
		d := 3 * ((y+sy-b.Y0)*w + x)
		copy(m.Data[d:d+3*(b.X1-b.X0)], frame.Data[3*(sy*w+b.X0):3*(sy*w+b.X1)])
	}
	return &m, Box{x, y, x + b.X1 - b.X0, y + b.Y1 - b.Y0}
}

// Through the pipeline, with k = 3 of n = 5: a pasted object in 5
// consecutive frames is reported from the third on, under one track id,
// and a copy of it present in the fourth frame only is never reported,
// though the unfiltered pipeline reports it there.
func TestPipelineTemporalFilterOnASequence(t *testing.T) {
	frame, want := pastedFrame(t)
	blobFrame, blob := withCopy(frame, want, 180, 262)
	eng := openBundled(t)
	play := func(k, n int) [][]Box {
		objects := &recorder{subs: true}
		c := config.Default().Objects
		c.K, c.N = k, n
		p := NewPipeline(eng, Sinks{Objects: objects}, Options{Name: "/osr", Objects: c})
		var out [][]Box
		ids := map[string]bool{}
		for f := range 5 {
			m := frame
			if f == 3 {
				m = blobFrame
			}
			p.process(Frame{Raw: m, Received: time.Now()})
			var boxes []Box
			for _, d := range objects.last().(*msgs.Detection2DArray).Detections {
				b := d.BBox
				box := Box{int(b.CenterX - b.SizeX/2), int(b.CenterY - b.SizeY/2), int(b.CenterX + b.SizeX/2), int(b.CenterY + b.SizeY/2)}
				boxes = append(boxes, box)
				if box.IoU(want) >= 0.5 {
					ids[d.ID] = true
				}
			}
			out = append(out, boxes)
		}
		if len(ids) > 1 {
			t.Errorf("k %d, n %d: the pasted object changed track ids: %v", k, n, ids)
		}
		return out
	}
	best := func(boxes []Box, b Box) float64 {
		v := 0.0
		for _, o := range boxes {
			v = max(v, o.IoU(b))
		}
		return v
	}
	if got := best(play(1, 1)[3], blob); got < 0.5 {
		t.Fatalf("unfiltered, the one-frame copy %v is not reported (best IoU %.2f): the test needs a blob the finder sees", blob, got)
	}
	frames := play(3, 5)
	for f, boxes := range frames {
		if f < 2 && len(boxes) != 0 {
			t.Errorf("frame %d reported %v before the third frame", f, boxes)
		}
		if f >= 2 && best(boxes, want) < 0.5 {
			t.Errorf("frame %d: the pasted object %v is not reported: %v", f, want, boxes)
		}
		if got := best(boxes, blob); got >= 0.5 {
			t.Errorf("frame %d: the one-frame copy %v is reported (IoU %.2f)", f, blob, got)
		}
	}
}
