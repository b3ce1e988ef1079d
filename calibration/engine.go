package calibration

import "osr/model"

// Engine is what evaluation and calibration need of an inference engine;
// model.Engine (ONNX Runtime) is one. Evaluate and EvaluateBag want
// open-set labels off, so that labels are the argmax; Calibrate wants the
// logits (Result.Logits) at temperature 1.
type Engine interface {
	Run(im model.Image, out *model.Result) error
	Spec() model.Spec
	Scoring() model.Scoring
}
