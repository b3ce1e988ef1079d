package ros2

import (
	"strings"
	"testing"

	"osr/config"
	"osr/msgs"
	"osr/node"
)

func testParamServer(t *testing.T) paramServer {
	t.Helper()
	cfg := config.Default()
	cfg.Node.Transport = "ros2"
	return paramServer{s: node.NewSettings(cfg)}
}

// The parameter services' answers, as rclcpp gives them: unknown names
// get NOT_SET, a set of several is per parameter, atomically all or none.
func TestParamServerAnswers(t *testing.T) {
	ps := testParamServer(t)
	resp := ps.handle(msgs.GetParameters, msgs.ParamRequest{Names: []string{"threshold", "nope", "open_set"}})
	if len(resp.Values) != 3 || resp.Values[0].Type != msgs.ParamDouble || resp.Values[1].Type != msgs.ParamNotSet || resp.Values[2].Type != msgs.ParamBool {
		t.Errorf("get: %+v", resp.Values)
	}
	resp = ps.handle(msgs.GetParameterTypes, msgs.ParamRequest{Names: []string{"gpu_id", "nope"}})
	if len(resp.Types) != 2 || resp.Types[0] != msgs.ParamInteger || resp.Types[1] != msgs.ParamNotSet {
		t.Errorf("types: %v", resp.Types)
	}
	resp = ps.handle(msgs.DescribeParameters, msgs.ParamRequest{Names: []string{"threshold", "gpu_id", "device"}})
	d := resp.Descriptors
	if len(d) != 3 || len(d[0].FloatingPointRange) != 1 || d[0].FloatingPointRange[0].To != 1 || d[0].ReadOnly ||
		len(d[1].IntegerRange) != 1 || d[1].IntegerRange[0].Step != 1 || !d[2].ReadOnly || !strings.Contains(d[2].AdditionalConstraints, "cpu") {
		t.Errorf("describe: %+v", d)
	}
	resp = ps.handle(msgs.ListParameters, msgs.ParamRequest{})
	if len(resp.Names) != len(ps.s.Params()) || !contains(resp.Names, "use_sim_time") {
		t.Errorf("list: %v", resp.Names)
	}
	if resp = ps.handle(msgs.ListParameters, msgs.ParamRequest{Prefixes: []string{"threshold"}}); len(resp.Names) != 1 {
		t.Errorf("list under prefix threshold: %v", resp.Names)
	}

	dbl := func(name string, v float64) msgs.Parameter {
		return msgs.Parameter{Name: name, Value: msgs.ParameterValue{Type: msgs.ParamDouble, Double: v}}
	}
	resp = ps.handle(msgs.SetParameters, msgs.ParamRequest{Parameters: []msgs.Parameter{dbl("threshold", 0.9), dbl("threshold", 7),
		{Name: "nope", Value: msgs.ParameterValue{Type: msgs.ParamBool}}, {Name: "lazy", Value: msgs.ParameterValue{Type: msgs.ParamIntegerArray}}}})
	r := resp.Results
	if len(r) != 4 || !r[0].Successful || r[1].Successful || !strings.Contains(r[1].Reason, "out of range") ||
		r[2].Successful || !strings.Contains(r[2].Reason, "not declared") || r[3].Successful || !strings.Contains(r[3].Reason, "array") {
		t.Errorf("set: %+v", r)
	}
	if v, _ := ps.s.Get("threshold"); v != 0.9 {
		t.Errorf("threshold %v after the sets, want 0.9", v)
	}
	resp = ps.handle(msgs.SetParametersAtomically, msgs.ParamRequest{Parameters: []msgs.Parameter{dbl("threshold", 0.5), dbl("temperature", -2)}})
	if len(resp.Results) != 1 || resp.Results[0].Successful {
		t.Errorf("atomic set with a bad value: %+v", resp.Results)
	}
	if v, _ := ps.s.Get("threshold"); v != 0.9 {
		t.Errorf("a refused atomic set changed threshold to %v", v)
	}
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}
