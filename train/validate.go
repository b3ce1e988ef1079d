package train

import (
	"context"

	"osr/calibration"
	"osr/dataset"
	"osr/model"
)

// evaluateVal runs the exported package through the engine on the val
// split, with open-set labels off and no pixel flagged, so that labels are
// the argmax and the report's score histogram gives the threshold.
func evaluateVal(ctx context.Context, dir string, ds *dataset.Dataset, protocol bool, limit int) (*calibration.Report, error) {
	pkg, err := model.Load(dir)
	if err != nil {
		return nil, err
	}
	opts := model.DefaultOptions()
	opts.Overrides.OpenSet = false
	opts.Overrides.Threshold = 1
	opts.Spin = false // see calibration.Evaluate
	eng, err := model.NewEngine(pkg, opts)
	if err != nil {
		return nil, err
	}
	defer eng.Close()
	return calibration.Evaluate(ctx, eng, ds, calibration.EvalOptions{Split: "val", Protocol: protocol, Limit: limit})
}
