package ros2

import (
	"fmt"
	"sort"
	"strings"

	"osr/msgs"
	"osr/node"
)

// paramServer answers the parameter services (rcl_interfaces/srv/*) from
// the node's Settings, as rclcpp's ParameterService does.
type paramServer struct {
	s *node.Settings
}

// handle answers one request. changed is true when a set took effect.
func (ps paramServer) handle(svc msgs.ParamService, req msgs.ParamRequest) (resp msgs.ParamResponse) {
	switch svc {
	case msgs.ListParameters:
		resp.Names, resp.Prefixes = ps.list(req.Prefixes, req.Depth)
	case msgs.GetParameters:
		for _, name := range req.Names {
			v, err := ps.s.Get(name)
			if err != nil {
				resp.Values = append(resp.Values, msgs.ParameterValue{}) // NOT_SET, as rclcpp answers
				continue
			}
			resp.Values = append(resp.Values, paramValue(v))
		}
	case msgs.GetParameterTypes:
		for _, name := range req.Names {
			p, _ := ps.s.Lookup(name) // an unknown name gets NOT_SET (0)
			resp.Types = append(resp.Types, uint8(p.Type))
		}
	case msgs.DescribeParameters:
		for _, name := range req.Names {
			p, ok := ps.s.Lookup(name)
			if !ok {
				resp.Descriptors = append(resp.Descriptors, msgs.ParameterDescriptor{Name: name})
				continue
			}
			resp.Descriptors = append(resp.Descriptors, descriptor(p))
		}
	case msgs.SetParameters:
		// Each parameter on its own, as rclcpp's set_parameters does.
		for _, p := range req.Parameters {
			resp.Results = append(resp.Results, ps.set([]msgs.Parameter{p}))
		}
	case msgs.SetParametersAtomically:
		resp.Results = []msgs.SetParametersResult{ps.set(req.Parameters)}
	}
	return resp
}

// list is list_parameters: names under the prefixes (all if none), at
// most depth dot-separated levels deep (0: any), and their prefixes.
func (ps paramServer) list(prefixes []string, depth uint64) (names, outPrefixes []string) {
	seen := map[string]bool{}
	for _, p := range ps.s.Params() {
		levels := uint64(strings.Count(p.Name, ".") + 1)
		match := len(prefixes) == 0 && (depth == 0 || levels <= depth)
		for _, pre := range prefixes {
			if p.Name == pre || strings.HasPrefix(p.Name, pre+".") {
				match = depth == 0 || levels-uint64(strings.Count(pre, ".")+1) <= depth
			}
		}
		if !match {
			continue
		}
		names = append(names, p.Name)
		if i := strings.LastIndexByte(p.Name, '.'); i > 0 && !seen[p.Name[:i]] {
			seen[p.Name[:i]] = true
			outPrefixes = append(outPrefixes, p.Name[:i])
		}
	}
	sort.Strings(names)
	sort.Strings(outPrefixes)
	return names, outPrefixes
}

// set applies parameters all or none and says why not.
func (ps paramServer) set(params []msgs.Parameter) msgs.SetParametersResult {
	values := map[string]any{}
	for _, p := range params {
		if _, ok := ps.s.Lookup(p.Name); !ok {
			return msgs.SetParametersResult{Reason: fmt.Sprintf("parameter '%s' cannot be set because it was not declared", p.Name)}
		}
		v, err := goValue(p.Value)
		if err != nil {
			return msgs.SetParametersResult{Reason: fmt.Sprintf("%s: %v", p.Name, err)}
		}
		values[p.Name] = v
	}
	if err := ps.s.Set(values); err != nil {
		return msgs.SetParametersResult{Reason: err.Error()}
	}
	return msgs.SetParametersResult{Successful: true}
}

func descriptor(p node.Param) msgs.ParameterDescriptor {
	d := msgs.ParameterDescriptor{Name: p.Name, Type: uint8(p.Type), Description: p.Description,
		AdditionalConstraints: p.Constraints, ReadOnly: !p.Live}
	if p.Min < p.Max {
		switch p.Type {
		case node.ParamDouble:
			d.FloatingPointRange = []msgs.FloatingPointRange{{From: p.Min, To: p.Max}}
		case node.ParamInteger:
			d.IntegerRange = []msgs.IntegerRange{{From: int64(p.Min), To: int64(p.Max), Step: 1}}
		}
	}
	if !p.Live {
		d.AdditionalConstraints = strings.TrimPrefix(d.AdditionalConstraints+"; read-only while the node runs (set at start and restart)", "; ")
	}
	return d
}

// paramValue is a Settings value as rcl_interfaces/msg/ParameterValue.
func paramValue(v any) msgs.ParameterValue {
	switch v := v.(type) {
	case bool:
		return msgs.ParameterValue{Type: msgs.ParamBool, Bool: v}
	case int64:
		return msgs.ParameterValue{Type: msgs.ParamInteger, Integer: v}
	case float64:
		return msgs.ParameterValue{Type: msgs.ParamDouble, Double: v}
	case string:
		return msgs.ParameterValue{Type: msgs.ParamString, String: v}
	}
	return msgs.ParameterValue{}
}

// goValue is a ParameterValue as Settings takes it.
func goValue(v msgs.ParameterValue) (any, error) {
	switch v.Type {
	case msgs.ParamBool:
		return v.Bool, nil
	case msgs.ParamInteger:
		return v.Integer, nil
	case msgs.ParamDouble:
		return v.Double, nil
	case msgs.ParamString:
		return v.String, nil
	case msgs.ParamNotSet:
		return nil, fmt.Errorf("osr's parameters cannot be undeclared")
	}
	return nil, fmt.Errorf("osr has no array parameters (type %d)", v.Type)
}
