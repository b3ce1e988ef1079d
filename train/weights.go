package train

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/nlpodyssey/gopickle/pytorch"
	"github.com/nlpodyssey/gopickle/types"

	"osr/internal/onnxgraph"
)

// Tensor is one named weight from outside osr.
type Tensor struct {
	Shape []int
	Data  []float32
}

// ReadWeights reads the float tensors of a PyTorch state dict (.pth/.pt,
// torch.save's zip or legacy format, as torchvision distributes its
// ImageNet weights) or of an ONNX model's initializers, by name.
func ReadWeights(path string) (map[string]Tensor, error) {
	head := make([]byte, 4)
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	n, err := io.ReadFull(f, head)
	f.Close()
	if n == 0 {
		return nil, fmt.Errorf("%s is empty or unreadable: %w", path, err)
	}
	// torch.save writes a zip (PK) or, before PyTorch 1.6, a pickle (0x80).
	if bytes.HasPrefix(head, []byte("PK\x03\x04")) || head[0] == 0x80 {
		return readStateDict(path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	inits, err := onnxgraph.Initializers(data)
	if err != nil {
		return nil, fmt.Errorf("%s is neither a PyTorch state dict nor an ONNX model: %w", path, err)
	}
	out := make(map[string]Tensor, len(inits))
	for _, t := range inits {
		shape := make([]int, len(t.Dims))
		for i, d := range t.Dims {
			shape[i] = int(d)
		}
		out[t.Name] = Tensor{Shape: shape, Data: t.Data}
	}
	return out, nil
}

// legacyName is the pattern of torchvision's pre-0.3 DenseNet weights
// (norm.1 for norm1), which torchvision itself renames on loading.
var legacyName = regexp.MustCompile(`^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$`)

func readStateDict(path string) (map[string]Tensor, error) {
	obj, err := pytorch.Load(path)
	if err != nil {
		return nil, fmt.Errorf("%s: PyTorch file: %w", path, err)
	}
	entries, err := dictEntries(obj)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	// A training checkpoint keeps the state dict under a key.
	if len(entries) > 0 {
		if sd, ok := entries["state_dict"]; ok {
			if entries, err = dictEntries(sd); err != nil {
				return nil, fmt.Errorf("%s: state_dict: %w", path, err)
			}
		}
	}
	out := map[string]Tensor{}
	for name, v := range entries {
		pt, ok := v.(*pytorch.Tensor)
		if !ok {
			continue
		}
		t, err := denseTensor(pt)
		if err != nil {
			return nil, fmt.Errorf("%s: tensor %s: %w", path, name, err)
		}
		if t == nil { // integer counters (num_batches_tracked)
			continue
		}
		out[legacyName.ReplaceAllString(name, "$1$2")] = *t
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no float tensors: want a state dict (torch.save(model.state_dict(), path))", path)
	}
	return out, nil
}

// dictEntries are a pickled dict's string-keyed entries.
func dictEntries(obj any) (map[string]any, error) {
	out := map[string]any{}
	switch d := obj.(type) {
	case *types.OrderedDict:
		for e := d.List.Front(); e != nil; e = e.Next() {
			kv := e.Value.(*types.OrderedDictEntry)
			if k, ok := kv.Key.(string); ok {
				out[k] = kv.Value
			}
		}
	case *types.Dict:
		for _, kv := range *d {
			if k, ok := kv.Key.(string); ok {
				out[k] = kv.Value
			}
		}
	default:
		return nil, fmt.Errorf("holds a %T, not a state dict (torch.save(model.state_dict(), path))", obj)
	}
	return out, nil
}

// denseTensor copies a tensor's elements in row-major order; nil for
// tensors that are not floating point.
func denseTensor(pt *pytorch.Tensor) (*Tensor, error) {
	var at func(i int) float32
	var size int
	switch s := pt.Source.(type) {
	case *pytorch.FloatStorage:
		at, size = func(i int) float32 { return s.Data[i] }, len(s.Data)
	case *pytorch.HalfStorage:
		at, size = func(i int) float32 { return s.Data[i] }, len(s.Data)
	case *pytorch.DoubleStorage:
		at, size = func(i int) float32 { return float32(s.Data[i]) }, len(s.Data)
	default:
		return nil, nil
	}
	shape := slices.Clone(pt.Size)
	n := 1
	for _, d := range shape {
		n *= d
	}
	if len(pt.Stride) != len(shape) {
		return nil, fmt.Errorf("%d strides for shape %v", len(pt.Stride), shape)
	}
	data := make([]float32, n)
	idx := make([]int, len(shape))
	for i := range data {
		off := pt.StorageOffset
		for d, k := range idx {
			off += k * pt.Stride[d]
		}
		if off < 0 || off >= size {
			return nil, fmt.Errorf("element %d at %d outside its storage of %d", i, off, size)
		}
		data[i] = at(off)
		for d := len(idx) - 1; d >= 0; d-- {
			if idx[d]++; idx[d] < shape[d] {
				break
			}
			idx[d] = 0
		}
	}
	return &Tensor{Shape: shape, Data: data}, nil
}

// LoadEncoder copies the encoder's weights and batch-norm statistics from
// w, where each parameter enc.X is features.X (torchvision's DenseNet
// names) or X (its ResNet names, or a DenseNet's without "features.").
// Every encoder tensor must be there with its shape; a missing or
// mis-shaped one is an error naming it. It returns how many tensors were
// loaded. The network's graph must have been built (its store filled).
func (m *LDN) LoadEncoder(w map[string]Tensor) (int, error) {
	cfg := m.Config
	if cfg.Layout != LayoutTorchvision && cfg.Layout != LayoutResNet {
		return 0, fmt.Errorf("encoder weights are named as torchvision names them: set model.layout: %s (config/camvid-ldn121.yaml) or %s (config/camvid-resnet18.yaml)",
			LayoutTorchvision, LayoutResNet)
	}
	missing := func(name, rest string, shape []int) error {
		if cfg.Layout == LayoutResNet {
			return fmt.Errorf("no tensor %s (%v) for the network's %s: is this a ResNet of basic blocks of the config's shape (stem %d, %v blocks per stage; ResNet-18: 64, [2 2 2 2])?",
				rest, shape, name, cfg.Stem, cfg.Blocks)
		}
		return fmt.Errorf("no tensor features.%s (%v) for the network's %s: is this a DenseNet of the config's shape (%d blocks of %v, growth %d)?",
			rest, shape, name, len(cfg.Blocks), cfg.Blocks, cfg.Growth)
	}
	find := func(name string, shape []int) ([]float32, error) {
		rest := strings.TrimPrefix(name, "enc.")
		for _, key := range []string{"features." + rest, rest, name} {
			t, ok := w[key]
			if !ok {
				continue
			}
			if !slices.Equal(t.Shape, shape) {
				return nil, fmt.Errorf("tensor %s has shape %v, the network's %s wants %v", key, t.Shape, name, shape)
			}
			return t.Data, nil
		}
		return nil, missing(name, rest, shape)
	}
	n := 0
	for _, p := range m.Store.Params {
		if !strings.HasPrefix(p.Name, "enc.") {
			continue
		}
		d, err := find(p.Name, p.Shape)
		if err != nil {
			return n, err
		}
		copy(p.W, d)
		n++
	}
	for _, bn := range m.Store.Norms {
		if !strings.HasPrefix(bn.Name, "enc.") {
			continue
		}
		mean, err := find(bn.Name+".running_mean", []int{bn.C})
		if err != nil {
			return n, err
		}
		variance, err := find(bn.Name+".running_var", []int{bn.C})
		if err != nil {
			return n, err
		}
		copy(bn.RunMean, mean)
		copy(bn.RunVar, variance)
		n += 2
	}
	if n == 0 {
		return 0, fmt.Errorf("the network has no encoder parameters yet: build its graph first")
	}
	return n, nil
}
