package dataset

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"osr/internal/imageio"
)

// Dataset is a parsed dataset.yaml and the directory holding it.
type Dataset struct {
	Dir       string            `yaml:"-"`
	Name      string            `yaml:"name"`
	ImageSize [2]int            `yaml:"image_size"` // width, height
	Classes   []string          `yaml:"classes"`
	Palette   [][3]uint8        `yaml:"palette"`
	IgnoreIDs []int             `yaml:"ignore_ids"`
	Splits    map[string]string `yaml:"splits"`
	Protocol  *Protocol         `yaml:"ood_protocol"`
	// Layout names a public dataset's own directory layout (cityscapes,
	// streethazards, vistas); "" is the CamVid layout above.
	Layout string `yaml:"layout"`

	labelMap *[256]uint8                          // raw label value -> class id, for public layouts
	list     func(split string) ([]Sample, error) // the layout's split lister
}

// Protocol is a dense open-set protocol: which class ids are outliers.
type Protocol struct {
	Name        string   `yaml:"name"`
	OutlierIDs  []int    `yaml:"outlier_ids"`
	TrainFilter string   `yaml:"train_filter"`
	EvalSplits  []string `yaml:"eval_splits"`
}

// Sample is one image and its label map.
type Sample struct {
	Name, Image, Label string
	labelMap           *[256]uint8 // raw label value -> class id, when the layout has one
}

// Open reads dir/dataset.yaml or, without one, recognises a public
// dataset's own layout (Cityscapes, StreetHazards, Mapillary Vistas).
func Open(dir string) (*Dataset, error) {
	path := filepath.Join(dir, "dataset.yaml")
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		if d, ok := detect(dir); ok {
			return d.withLayout()
		}
		return nil, fmt.Errorf("dataset: %s has no dataset.yaml and is not a Cityscapes, StreetHazards or Vistas directory", dir)
	}
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	d, err := Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	d.Dir = dir
	if d.Layout != "" {
		return d.withLayout()
	}
	return d, nil
}

// Parse reads dataset.yaml text (from a file or a bag's /dataset_info).
func Parse(raw []byte) (*Dataset, error) {
	d := &Dataset{}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(d); err != nil {
		return nil, err
	}
	if len(d.Classes) == 0 || len(d.Palette) != len(d.Classes) {
		return nil, fmt.Errorf("need classes and one palette colour per class (got %d classes, %d colours)", len(d.Classes), len(d.Palette))
	}
	return d, nil
}

// Samples lists a split's image/label pairs, sorted by name. Images without
// a label are an error: a split must be fully labelled.
func (d *Dataset) Samples(split string) ([]Sample, error) {
	if d.list != nil {
		out, err := d.list(split)
		if err == nil && len(out) == 0 {
			err = fmt.Errorf("dataset %s: split %q has no images", d.Name, split)
		}
		return out, err
	}
	sub, ok := d.Splits[split]
	if !ok {
		return nil, fmt.Errorf("dataset %s: no split %q", d.Name, split)
	}
	imgDir := filepath.Join(d.Dir, sub, "images")
	entries, err := os.ReadDir(imgDir)
	if err != nil {
		return nil, fmt.Errorf("dataset %s: %w", d.Name, err)
	}
	var out []Sample
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if e.IsDir() || (ext != ".jpg" && ext != ".jpeg" && ext != ".png") {
			continue
		}
		name := strings.TrimSuffix(e.Name(), filepath.Ext(e.Name()))
		label := filepath.Join(d.Dir, sub, "labels", name+".png")
		if _, err := os.Stat(label); err != nil {
			return nil, fmt.Errorf("dataset %s: image %s has no label: %w", d.Name, e.Name(), err)
		}
		out = append(out, Sample{Name: name, Image: filepath.Join(imgDir, e.Name()), Label: label})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	if len(out) == 0 {
		return nil, fmt.Errorf("dataset %s: split %q has no images in %s", d.Name, split, imgDir)
	}
	return out, nil
}

// ReadLabel reads an 8-bit class-id PNG: gray values, or palette indices
// (Vistas stores its labels as paletted PNGs).
func ReadLabel(path string) (*image.Gray, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	im, err := png.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("label %s: %w", path, err)
	}
	switch l := im.(type) {
	case *image.Gray:
		return l, nil
	case *image.Paletted:
		return &image.Gray{Pix: l.Pix, Stride: l.Stride, Rect: l.Rect}, nil
	}
	return nil, fmt.Errorf("label %s: want 8-bit gray or paletted class ids, got %T", path, im)
}

// Load reads a sample's image as packed RGB and its label map, checking
// that their sizes agree.
func Load(s Sample) (imageio.RGB, *image.Gray, error) {
	im, err := imageio.ReadFile(s.Image)
	if err != nil {
		return imageio.RGB{}, nil, err
	}
	lab, err := ReadLabel(s.Label)
	if err != nil {
		return imageio.RGB{}, nil, err
	}
	if s.labelMap != nil {
		for i, v := range lab.Pix {
			lab.Pix[i] = s.labelMap[v]
		}
	}
	if b := lab.Bounds(); b.Dx() != im.Width || b.Dy() != im.Height {
		return imageio.RGB{}, nil, fmt.Errorf("sample %s: image %dx%d but label %dx%d", s.Name, im.Width, im.Height, b.Dx(), b.Dy())
	}
	return im, lab, nil
}

// HasAny reports whether a label map contains any of ids.
func HasAny(lab *image.Gray, ids []int) bool {
	set := idSet(ids)
	for _, v := range lab.Pix {
		if set[v] {
			return true
		}
	}
	return false
}

// idSet marks ids as label values; ids outside 0..255 match no label.
func idSet(ids []int) *[256]bool {
	var set [256]bool
	for _, id := range ids {
		if id >= 0 && id < 256 {
			set[id] = true
		}
	}
	return &set
}

// ErrNoProtocol is returned when an open-set protocol is asked of a
// dataset that defines none.
var ErrNoProtocol = errors.New("dataset defines no ood_protocol")

// OutlierIDs returns the outlier class ids of the named protocol, nil for
// "", and an error naming the dataset when it defines no such protocol.
func (d *Dataset) OutlierIDs(protocol string) ([]int, error) {
	if protocol == "" {
		return nil, nil
	}
	if d.Protocol == nil || d.Protocol.Name != protocol {
		return nil, fmt.Errorf("dataset %s defines no protocol %q: %w", d.Name, protocol, ErrNoProtocol)
	}
	return d.Protocol.OutlierIDs, nil
}
