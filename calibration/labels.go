package calibration

import (
	"fmt"

	"osr/dataset"
)

// LabelMap turns dataset label ids into the codes the Evaluator takes:
// the model's class index (matched by class name), GTOutlier for the
// protocol's outlier ids, GTIgnore for void and for classes the model
// does not know.
type LabelMap struct {
	lut   [256]uint8
	Notes []string
}

// NewLabelMap matches a dataset's classes with a model's.
func NewLabelMap(ds *dataset.Dataset, modelClasses []string, outlierIDs []int) LabelMap {
	var m LabelMap
	for i := range m.lut {
		m.lut[i] = GTIgnore
	}
	index := map[string]int{}
	for i, c := range modelClasses {
		index[c] = i
	}
	outlier := map[int]bool{}
	for _, id := range outlierIDs {
		outlier[id] = true
	}
	ignore := map[int]bool{}
	for _, id := range ds.IgnoreIDs {
		ignore[id] = true
	}
	for id, name := range ds.Classes {
		switch {
		case ignore[id]:
		case outlier[id]:
			m.lut[id] = GTOutlier
		default:
			if i, ok := index[name]; ok {
				m.lut[id] = uint8(i)
			} else {
				m.Notes = append(m.Notes, fmt.Sprintf("dataset class %q (id %d) is unknown to the model and is ignored", name, id))
			}
		}
	}
	return m
}

// Apply maps a label image into dst.
func (m LabelMap) Apply(dst, labels []uint8) {
	for i, v := range labels {
		dst[i] = m.lut[v]
	}
}
