package dataset

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// detect recognises a public dataset's directory by its top folders.
func detect(dir string) (*Dataset, bool) {
	has := func(p string) bool {
		st, err := os.Stat(filepath.Join(dir, p))
		return err == nil && st.IsDir()
	}
	d := &Dataset{Dir: dir, Name: filepath.Base(dir)}
	switch {
	case has("leftImg8bit") && has("gtFine"):
		d.Layout = "cityscapes"
	case has("train") && has("test") && exists(filepath.Join(dir, "test", "test.odgt")):
		d.Layout = "streethazards"
	case has("training/images") && has("validation/images"):
		d.Layout = "vistas"
	default:
		return nil, false
	}
	return d, true
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// withLayout fills what a public layout defines (classes, palette, label
// mapping, protocol, split lister), keeping what dataset.yaml set.
func (d *Dataset) withLayout() (*Dataset, error) {
	switch d.Layout {
	case "cityscapes":
		d.setDefaults(cityscapesClasses, cityscapesPalette, nil)
		d.defaultSize(2048, 1024)
		d.labelMap = cityscapesMap()
		d.list = d.cityscapesSplit
	case "streethazards":
		d.setDefaults(streetHazardsClasses, streetHazardsPalette, &Protocol{Name: "streethazards",
			OutlierIDs: []int{12}, EvalSplits: []string{"test"}})
		d.defaultSize(1280, 720)
		d.labelMap = streetHazardsMap()
		d.list = d.streetHazardsSplit
	case "vistas":
		if err := d.vistasConfig(); err != nil {
			return nil, err
		}
		d.list = d.vistasSplit
	default:
		return nil, fmt.Errorf("dataset %s: unknown layout %q (want cityscapes, streethazards or vistas)", d.Name, d.Layout)
	}
	if len(d.Palette) != len(d.Classes) {
		return nil, fmt.Errorf("dataset %s: %d classes but %d palette colours", d.Name, len(d.Classes), len(d.Palette))
	}
	return d, nil
}

func (d *Dataset) setDefaults(classes []string, palette [][3]uint8, p *Protocol) {
	if len(d.Classes) == 0 {
		d.Classes, d.Palette = classes, palette
	}
	if d.Protocol == nil {
		d.Protocol = p
	}
}

// defaultSize sets the frame size a layout always has; Vistas images vary,
// so a Vistas dataset.yaml sets image_size for training.
func (d *Dataset) defaultSize(w, h int) {
	if d.ImageSize == [2]int{} {
		d.ImageSize = [2]int{w, h}
	}
}

// sorted returns samples in name order with the layout's label mapping.
func (d *Dataset) sorted(out []Sample) []Sample {
	for i := range out {
		out[i].labelMap = d.labelMap
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Cityscapes: leftImg8bit/<split>/<city>/<stem>_leftImg8bit.png with
// gtFine/<split>/<city>/<stem>_gtFine_labelIds.png; label ids map to the
// 19 train ids, everything else to 255 (ignored).
var cityscapesClasses = []string{"road", "sidewalk", "building", "wall", "fence", "pole", "traffic_light",
	"traffic_sign", "vegetation", "terrain", "sky", "person", "rider", "car", "truck", "bus", "train",
	"motorcycle", "bicycle"}

var cityscapesPalette = [][3]uint8{{128, 64, 128}, {244, 35, 232}, {70, 70, 70}, {102, 102, 156},
	{190, 153, 153}, {153, 153, 153}, {250, 170, 30}, {220, 220, 0}, {107, 142, 35}, {152, 251, 152},
	{70, 130, 180}, {220, 20, 60}, {255, 0, 0}, {0, 0, 142}, {0, 0, 70}, {0, 60, 100}, {0, 80, 100},
	{0, 0, 230}, {119, 11, 32}}

func cityscapesMap() *[256]uint8 {
	var m [256]uint8
	for i := range m {
		m[i] = 255
	}
	for train, id := range []int{7, 8, 11, 12, 13, 17, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 31, 32, 33} {
		m[id] = uint8(train)
	}
	return &m
}

func (d *Dataset) cityscapesSplit(split string) ([]Sample, error) {
	imgs, err := filepath.Glob(filepath.Join(d.Dir, "leftImg8bit", split, "*", "*_leftImg8bit.png"))
	if err != nil || len(imgs) == 0 {
		return nil, fmt.Errorf("dataset %s: no images in leftImg8bit/%s/*/", d.Name, split)
	}
	var out []Sample
	for _, img := range imgs {
		city := filepath.Base(filepath.Dir(img))
		stem := strings.TrimSuffix(filepath.Base(img), "_leftImg8bit.png")
		lab := filepath.Join(d.Dir, "gtFine", split, city, stem+"_gtFine_labelIds.png")
		if !exists(lab) {
			return nil, fmt.Errorf("dataset %s: image %s has no label %s", d.Name, img, lab)
		}
		out = append(out, Sample{Name: stem, Image: img, Label: lab})
	}
	return d.sorted(out), nil
}

// StreetHazards (Hendrycks et al.): train/train.odgt, train/validation.odgt
// and test/test.odgt list images and annotations (one JSON object per
// line, paths relative to the list's folder). Annotation values are 1-based:
// 1 unlabelled (ignored), 2..13 the 12 classes, 14 the anomalies, which
// are class 12 here and the streethazards protocol's outlier id.
var streetHazardsClasses = []string{"building", "fence", "other", "pedestrian", "pole", "road_line", "road",
	"sidewalk", "vegetation", "car", "wall", "traffic_sign", "anomaly"}

var streetHazardsPalette = [][3]uint8{{70, 70, 70}, {190, 153, 153}, {250, 170, 160}, {220, 20, 60},
	{153, 153, 153}, {157, 234, 50}, {128, 64, 128}, {244, 35, 232}, {107, 142, 35}, {0, 0, 142},
	{102, 102, 156}, {220, 220, 0}, {60, 250, 240}}

func streetHazardsMap() *[256]uint8 {
	var m [256]uint8
	for i := range m {
		m[i] = 255
	}
	for v := 2; v <= 14; v++ {
		m[v] = uint8(v - 2)
	}
	return &m
}

func (d *Dataset) streetHazardsSplit(split string) ([]Sample, error) {
	lists := map[string]string{"train": "train/train.odgt", "val": "train/validation.odgt", "test": "test/test.odgt"}
	rel, ok := lists[split]
	if !ok {
		return nil, fmt.Errorf("dataset %s: no split %q (train, val, test)", d.Name, split)
	}
	path := filepath.Join(d.Dir, rel)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dataset %s: %w", d.Name, err)
	}
	defer f.Close()
	var out []Sample
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		var e struct {
			Img  string `json:"fpath_img"`
			Segm string `json:"fpath_segm"`
		}
		if err := json.Unmarshal([]byte(text), &e); err != nil || e.Img == "" || e.Segm == "" {
			return nil, fmt.Errorf("%s:%d: want {\"fpath_img\": ..., \"fpath_segm\": ...}", path, line)
		}
		base := filepath.Dir(path)
		name := strings.TrimSuffix(strings.ReplaceAll(e.Img, "/", "_"), filepath.Ext(e.Img))
		out = append(out, Sample{Name: name, Image: filepath.Join(base, e.Img), Label: filepath.Join(base, e.Segm)})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return d.sorted(out), nil
}

// Mapillary Vistas: <training|validation>/images/<key>.jpg with
// <...>/v1.2/labels/<key>.png (or labels/ of older releases), paletted PNGs
// whose index is the class id; classes and colours come from
// config_v1.2.json (or config.json). The vistas-np protocol holds out the
// person and rider classes, as Vistas-NP does.
func (d *Dataset) vistasConfig() error {
	var raw []byte
	var err error
	for _, name := range []string{"config_v1.2.json", "config.json"} {
		if raw, err = os.ReadFile(filepath.Join(d.Dir, name)); err == nil {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("dataset %s: vistas layout without config_v1.2.json or config.json: %w", d.Name, err)
	}
	var cfg struct {
		Labels []struct {
			Name     string `json:"name"`
			Color    []int  `json:"color"`
			Evaluate *bool  `json:"evaluate"` // false: not scored (unlabelled, ego vehicle)
		} `json:"labels"`
	}
	if err := json.Unmarshal(raw, &cfg); err != nil || len(cfg.Labels) == 0 || len(cfg.Labels) > 255 {
		return fmt.Errorf("dataset %s: vistas config has no usable labels list", d.Name)
	}
	np := &Protocol{Name: "vistas-np", EvalSplits: []string{"validation"}}
	var classes []string
	var palette [][3]uint8
	var ignore []int
	for id, l := range cfg.Labels {
		if len(l.Color) != 3 {
			return fmt.Errorf("dataset %s: vistas label %q has no RGB colour", d.Name, l.Name)
		}
		classes = append(classes, l.Name)
		palette = append(palette, [3]uint8{uint8(l.Color[0]), uint8(l.Color[1]), uint8(l.Color[2])})
		if l.Name == "human--person" || strings.HasPrefix(l.Name, "human--rider") {
			np.OutlierIDs = append(np.OutlierIDs, id)
		}
		if l.Evaluate != nil && !*l.Evaluate {
			ignore = append(ignore, id)
		}
	}
	d.setDefaults(classes, palette, np)
	if d.IgnoreIDs == nil {
		d.IgnoreIDs = ignore
	}
	return nil
}

func (d *Dataset) vistasSplit(split string) ([]Sample, error) {
	folder := map[string]string{"train": "training", "val": "validation", "test": "testing"}[split]
	if folder == "" {
		folder = split
	}
	imgs, err := filepath.Glob(filepath.Join(d.Dir, folder, "images", "*.jpg"))
	if err != nil || len(imgs) == 0 {
		return nil, fmt.Errorf("dataset %s: no images in %s/images", d.Name, folder)
	}
	labels := filepath.Join(d.Dir, folder, "v1.2", "labels")
	if !exists(labels) {
		labels = filepath.Join(d.Dir, folder, "labels")
	}
	var out []Sample
	for _, img := range imgs {
		key := strings.TrimSuffix(filepath.Base(img), ".jpg")
		lab := filepath.Join(labels, key+".png")
		if !exists(lab) {
			return nil, fmt.Errorf("dataset %s: image %s has no label %s", d.Name, img, lab)
		}
		out = append(out, Sample{Name: key, Image: img, Label: lab})
	}
	return d.sorted(out), nil
}
