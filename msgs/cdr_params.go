package msgs

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"
)

// CDR codecs of rcl_interfaces: parameters, their services (as
// rmw_cyclonedds carries them: a request header before the payload),
// parameter events and /rosout log lines, and rosgraph_msgs/msg/Clock.

// ROS 2 type names of rcl_interfaces and rosgraph_msgs messages.
const (
	ROS2ParameterEvent = "rcl_interfaces/msg/ParameterEvent"
	ROS2Log            = "rcl_interfaces/msg/Log"
	ROS2Clock          = "rosgraph_msgs/msg/Clock"
)

// ParameterType values (rcl_interfaces/msg/ParameterType).
const (
	ParamNotSet       uint8 = 0
	ParamBool         uint8 = 1
	ParamInteger      uint8 = 2
	ParamDouble       uint8 = 3
	ParamString       uint8 = 4
	ParamByteArray    uint8 = 5
	ParamBoolArray    uint8 = 6
	ParamIntegerArray uint8 = 7
	ParamDoubleArray  uint8 = 8
	ParamStringArray  uint8 = 9
)

// ParameterValue is rcl_interfaces/msg/ParameterValue.
type ParameterValue struct {
	Type         uint8
	Bool         bool
	Integer      int64
	Double       float64
	String       string
	ByteArray    []byte
	BoolArray    []bool
	IntegerArray []int64
	DoubleArray  []float64
	StringArray  []string
}

// Parameter is rcl_interfaces/msg/Parameter.
type Parameter struct {
	Name  string
	Value ParameterValue
}

// FloatingPointRange is rcl_interfaces/msg/FloatingPointRange.
type FloatingPointRange struct{ From, To, Step float64 }

// IntegerRange is rcl_interfaces/msg/IntegerRange.
type IntegerRange struct {
	From, To int64
	Step     uint64
}

// ParameterDescriptor is rcl_interfaces/msg/ParameterDescriptor.
type ParameterDescriptor struct {
	Name                  string
	Type                  uint8
	Description           string
	AdditionalConstraints string
	ReadOnly              bool
	DynamicTyping         bool
	FloatingPointRange    []FloatingPointRange // at most one
	IntegerRange          []IntegerRange       // at most one
}

// SetParametersResult is rcl_interfaces/msg/SetParametersResult.
type SetParametersResult struct {
	Successful bool
	Reason     string
}

// ParameterEvent is rcl_interfaces/msg/ParameterEvent.
type ParameterEvent struct {
	Stamp                 time.Time
	Node                  string
	New, Changed, Deleted []Parameter
}

// Log is rcl_interfaces/msg/Log, a /rosout line.
type Log struct {
	Stamp                     time.Time
	Level                     uint8 // 10 debug, 20 info, 30 warn, 40 error, 50 fatal
	Name, Msg, File, Function string
	Line                      uint32
}

// RequestHeader is what rmw_cyclonedds puts before a service request's
// payload, and the reply echoes: the client's writer and its sequence number.
type RequestHeader struct {
	GUID uint64
	Seq  int64
}

// ParamService names one of the parameter services a node offers.
type ParamService string

// The parameter services, by their service names under the node.
const (
	ListParameters          ParamService = "list_parameters"
	GetParameters           ParamService = "get_parameters"
	SetParameters           ParamService = "set_parameters"
	SetParametersAtomically ParamService = "set_parameters_atomically"
	DescribeParameters      ParamService = "describe_parameters"
	GetParameterTypes       ParamService = "get_parameter_types"
)

// ParamServices lists them in the order rclcpp creates them.
func ParamServices() []ParamService {
	return []ParamService{DescribeParameters, GetParameterTypes, GetParameters, ListParameters, SetParameters, SetParametersAtomically}
}

// Type is the service's ROS 2 type, rcl_interfaces/srv/ListParameters.
func (s ParamService) Type() string {
	switch s {
	case ListParameters:
		return "rcl_interfaces/srv/ListParameters"
	case GetParameters:
		return "rcl_interfaces/srv/GetParameters"
	case SetParameters:
		return "rcl_interfaces/srv/SetParameters"
	case SetParametersAtomically:
		return "rcl_interfaces/srv/SetParametersAtomically"
	case DescribeParameters:
		return "rcl_interfaces/srv/DescribeParameters"
	case GetParameterTypes:
		return "rcl_interfaces/srv/GetParameterTypes"
	}
	return ""
}

// ParamRequest is a decoded parameter service request; which fields are
// set depends on the service.
type ParamRequest struct {
	Names      []string    // get, describe, get types
	Prefixes   []string    // list
	Depth      uint64      // list
	Parameters []Parameter // set, set atomically
}

// ParamResponse is a parameter service response; which fields are encoded
// depends on the service.
type ParamResponse struct {
	Names, Prefixes []string              // list
	Values          []ParameterValue      // get
	Results         []SetParametersResult // set; set atomically sends Results[0]
	Descriptors     []ParameterDescriptor // describe
	Types           []uint8               // get types
}

// DecodeParamRequest parses a request sample of service s.
func DecodeParamRequest(s ParamService, data []byte) (RequestHeader, ParamRequest, error) {
	var req ParamRequest
	r, err := newCDRReader(data)
	if err != nil {
		return RequestHeader{}, req, err
	}
	h := RequestHeader{GUID: r.u64(), Seq: int64(r.u64())}
	switch s {
	case ListParameters:
		req.Prefixes = r.strs()
		req.Depth = r.u64()
	case GetParameters, DescribeParameters, GetParameterTypes:
		req.Names = r.strs()
	case SetParameters, SetParametersAtomically:
		for range r.count(4+1+1+8+8+4*6, "parameters") {
			req.Parameters = append(req.Parameters, r.parameter())
		}
	default:
		return h, req, fmt.Errorf("no parameter service %q", s)
	}
	if r.err != nil {
		return h, req, fmt.Errorf("%s request: %w", s.Type(), r.err)
	}
	return h, req, nil
}

// EncodeParamResponse serialises the reply to a request of service s.
func EncodeParamResponse(s ParamService, h RequestHeader, resp ParamResponse) ([]byte, error) {
	w := cdrWriter{b: append([]byte(nil), cdrHeader...)}
	w.u64(h.GUID)
	w.u64(uint64(h.Seq))
	switch s {
	case ListParameters:
		w.strs(resp.Names)
		w.strs(resp.Prefixes)
	case GetParameters:
		w.u32(uint32(len(resp.Values)))
		for _, v := range resp.Values {
			w.parameterValue(v)
		}
	case SetParameters:
		w.u32(uint32(len(resp.Results)))
		for _, r := range resp.Results {
			w.setResult(r)
		}
	case SetParametersAtomically:
		if len(resp.Results) != 1 {
			return nil, fmt.Errorf("%s: want one result, got %d", s, len(resp.Results))
		}
		w.setResult(resp.Results[0])
	case DescribeParameters:
		w.u32(uint32(len(resp.Descriptors)))
		for _, d := range resp.Descriptors {
			w.descriptor(d)
		}
	case GetParameterTypes:
		w.bytes(resp.Types)
	default:
		return nil, fmt.Errorf("no parameter service %q", s)
	}
	return w.b, nil
}

// EncodeParamRequest serialises a request (for tests, and clients).
func EncodeParamRequest(s ParamService, h RequestHeader, req ParamRequest) ([]byte, error) {
	w := cdrWriter{b: append([]byte(nil), cdrHeader...)}
	w.u64(h.GUID)
	w.u64(uint64(h.Seq))
	switch s {
	case ListParameters:
		w.strs(req.Prefixes)
		w.u64(req.Depth)
	case GetParameters, DescribeParameters, GetParameterTypes:
		w.strs(req.Names)
	case SetParameters, SetParametersAtomically:
		w.u32(uint32(len(req.Parameters)))
		for _, p := range req.Parameters {
			w.str(p.Name)
			w.parameterValue(p.Value)
		}
	default:
		return nil, fmt.Errorf("no parameter service %q", s)
	}
	return w.b, nil
}

// EncodeParameterEventCDR serialises an rcl_interfaces/msg/ParameterEvent.
func EncodeParameterEventCDR(m *ParameterEvent) []byte {
	w := cdrWriter{b: append([]byte(nil), cdrHeader...)}
	w.time(m.Stamp)
	w.str(m.Node)
	for _, ps := range [][]Parameter{m.New, m.Changed, m.Deleted} {
		w.u32(uint32(len(ps)))
		for _, p := range ps {
			w.str(p.Name)
			w.parameterValue(p.Value)
		}
	}
	return w.b
}

// DecodeParameterEventCDR parses an rcl_interfaces/msg/ParameterEvent.
func DecodeParameterEventCDR(data []byte) (*ParameterEvent, error) {
	r, err := newCDRReader(data)
	if err != nil {
		return nil, err
	}
	m := &ParameterEvent{Stamp: r.time(), Node: r.str()}
	for _, ps := range []*[]Parameter{&m.New, &m.Changed, &m.Deleted} {
		for range r.count(4+1+1+8+8+4*6, "parameters") {
			*ps = append(*ps, r.parameter())
		}
	}
	if r.err != nil {
		return nil, fmt.Errorf("%s: %w", ROS2ParameterEvent, r.err)
	}
	return m, nil
}

// EncodeLogCDR serialises an rcl_interfaces/msg/Log.
func EncodeLogCDR(m *Log) []byte {
	w := cdrWriter{b: append([]byte(nil), cdrHeader...)}
	w.time(m.Stamp)
	w.u8(m.Level)
	w.str(m.Name)
	w.str(m.Msg)
	w.str(m.File)
	w.str(m.Function)
	w.u32(m.Line)
	return w.b
}

// DecodeLogCDR parses an rcl_interfaces/msg/Log.
func DecodeLogCDR(data []byte) (*Log, error) {
	r, err := newCDRReader(data)
	if err != nil {
		return nil, err
	}
	m := &Log{Stamp: r.time(), Level: r.u8()}
	m.Name, m.Msg, m.File, m.Function = r.str(), r.str(), r.str(), r.str()
	m.Line = r.u32()
	if r.err != nil {
		return nil, fmt.Errorf("%s: %w", ROS2Log, r.err)
	}
	return m, nil
}

// EncodeClockCDR serialises a rosgraph_msgs/msg/Clock.
func EncodeClockCDR(t time.Time) []byte {
	w := cdrWriter{b: append([]byte(nil), cdrHeader...)}
	w.time(t)
	return w.b
}

// DecodeClockCDR parses a rosgraph_msgs/msg/Clock.
func DecodeClockCDR(data []byte) (time.Time, error) {
	r, err := newCDRReader(data)
	if err != nil {
		return time.Time{}, err
	}
	t := r.time()
	if r.err != nil {
		return time.Time{}, fmt.Errorf("%s: %w", ROS2Clock, r.err)
	}
	return t, nil
}

func (w *cdrWriter) u64(v uint64) {
	w.align(8)
	w.b = binary.LittleEndian.AppendUint64(w.b, v)
}
func (w *cdrWriter) f64(v float64) { w.u64(math.Float64bits(v)) }
func (w *cdrWriter) boolean(v bool) {
	if v {
		w.u8(1)
	} else {
		w.u8(0)
	}
}
func (w *cdrWriter) strs(v []string) {
	w.u32(uint32(len(v)))
	for _, s := range v {
		w.str(s)
	}
}
func (w *cdrWriter) time(t time.Time) {
	w.u32(uint32(int32(t.Unix())))
	w.u32(uint32(t.Nanosecond()))
}
func (w *cdrWriter) parameterValue(v ParameterValue) {
	w.u8(v.Type)
	w.boolean(v.Bool)
	w.u64(uint64(v.Integer))
	w.f64(v.Double)
	w.str(v.String)
	w.bytes(v.ByteArray)
	w.u32(uint32(len(v.BoolArray)))
	for _, b := range v.BoolArray {
		w.boolean(b)
	}
	w.u32(uint32(len(v.IntegerArray)))
	for _, n := range v.IntegerArray {
		w.u64(uint64(n))
	}
	w.u32(uint32(len(v.DoubleArray)))
	for _, f := range v.DoubleArray {
		w.f64(f)
	}
	w.strs(v.StringArray)
}
func (w *cdrWriter) setResult(r SetParametersResult) {
	w.boolean(r.Successful)
	w.str(r.Reason)
}
func (w *cdrWriter) descriptor(d ParameterDescriptor) {
	w.str(d.Name)
	w.u8(d.Type)
	w.str(d.Description)
	w.str(d.AdditionalConstraints)
	w.boolean(d.ReadOnly)
	w.boolean(d.DynamicTyping)
	w.u32(uint32(len(d.FloatingPointRange)))
	for _, r := range d.FloatingPointRange {
		w.f64(r.From)
		w.f64(r.To)
		w.f64(r.Step)
	}
	w.u32(uint32(len(d.IntegerRange)))
	for _, r := range d.IntegerRange {
		w.u64(uint64(r.From))
		w.u64(uint64(r.To))
		w.u64(r.Step)
	}
}

func (r *cdrReader) u64() uint64 {
	r.align(8)
	if r.err != nil || r.pos+8 > len(r.b) {
		r.fail("truncated uint64")
		return 0
	}
	r.pos += 8
	return binary.LittleEndian.Uint64(r.b[r.pos-8:])
}
func (r *cdrReader) f64() float64 { return math.Float64frombits(r.u64()) }
func (r *cdrReader) boolean() bool {
	switch r.u8() {
	case 0:
		return false
	case 1:
		return true
	}
	r.fail("boolean neither 0 nor 1")
	return false
}
func (r *cdrReader) strs() []string {
	var out []string
	for range r.count(5, "strings") {
		out = append(out, r.str())
	}
	return out
}
func (r *cdrReader) time() time.Time {
	sec := int32(r.u32())
	nsec := r.u32()
	if nsec >= 1e9 {
		r.fail("nanoseconds out of range")
	}
	return time.Unix(int64(sec), int64(nsec))
}
func (r *cdrReader) parameter() Parameter {
	p := Parameter{Name: r.str()}
	v := &p.Value
	v.Type = r.u8()
	v.Bool = r.boolean()
	v.Integer = int64(r.u64())
	v.Double = r.f64()
	v.String = r.str()
	if n := r.count(1, "bytes"); n > 0 {
		v.ByteArray = append([]byte(nil), r.raw(uint32(n), "bytes")...)
	}
	for range r.count(1, "bools") {
		v.BoolArray = append(v.BoolArray, r.boolean())
	}
	for range r.count(8, "integers") {
		v.IntegerArray = append(v.IntegerArray, int64(r.u64()))
	}
	for range r.count(8, "doubles") {
		v.DoubleArray = append(v.DoubleArray, r.f64())
	}
	v.StringArray = r.strs()
	return p
}
