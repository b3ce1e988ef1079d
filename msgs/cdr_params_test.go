package msgs

import (
	"bytes"
	"encoding/hex"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"

	"osr/internal/ros2test"
)

// rclpyCDR serialises the messages that the Python expressions build with
// rclpy (rmw_cyclonedds's serializer) and returns their bytes.
func rclpyCDR(t *testing.T, exprs ...string) [][]byte {
	t.Helper()
	g := ros2test.NewGraph(t)
	script := `import sys
from rclpy.serialization import serialize_message
from builtin_interfaces.msg import Time
from rcl_interfaces.msg import *
from rcl_interfaces.srv import *
from rosgraph_msgs.msg import Clock
from geometry_msgs.msg import *
from vision_msgs.msg import *
from std_msgs.msg import Header
for e in sys.argv[1:]:
    print(serialize_message(eval(e)).hex())
`
	cmd := exec.Command("/usr/bin/python3", append([]string{"-c", script}, exprs...)...)
	cmd.Env = g.Env()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("rclpy: %v\n%s", err, out)
	}
	var res [][]byte
	for _, l := range ros2test.Lines(string(out)) {
		b, err := hex.DecodeString(l)
		if err != nil {
			t.Fatalf("rclpy output %q: %v", l, err)
		}
		res = append(res, b)
	}
	if len(res) != len(exprs) {
		t.Fatalf("rclpy gave %d messages for %d", len(res), len(exprs))
	}
	return res
}

// withoutRequestHeader drops rmw_cyclonedds's request header, which
// rclpy's serialize_message does not write: the payload after it keeps its
// alignment (the header is 16 bytes).
func withoutRequestHeader(b []byte) []byte { return append(append([]byte(nil), b[:4]...), b[20:]...) }

// osr's encoders write what rclpy writes, byte for byte.
func TestParamCDRMatchesRclpy(t *testing.T) {
	stamp := time.Unix(1700000000, 123456789)
	ev := &ParameterEvent{Stamp: stamp, Node: "/osr", Changed: []Parameter{
		{Name: "threshold", Value: ParameterValue{Type: ParamDouble, Double: 0.99}},
		{Name: "open_set", Value: ParameterValue{Type: ParamBool, Bool: true}},
		{Name: "score", Value: ParameterValue{Type: ParamString, String: "msp"}},
		{Name: "gpu_id", Value: ParameterValue{Type: ParamInteger, Integer: -3, IntegerArray: []int64{1, 2}, DoubleArray: []float64{0.5}, StringArray: []string{"a", "bc"}, BoolArray: []bool{true, false}, ByteArray: []byte{7}}},
	}}
	logMsg := &Log{Stamp: stamp, Level: 30, Name: "osr", Msg: "hello", File: "node.go", Function: "Run", Line: 42}
	h := RequestHeader{GUID: 0x1122334455667788, Seq: 5}
	desc := ParamResponse{Descriptors: []ParameterDescriptor{
		{Name: "threshold", Type: ParamDouble, Description: "d", AdditionalConstraints: "c", FloatingPointRange: []FloatingPointRange{{From: -1, To: 1}}},
		{Name: "gpu_id", Type: ParamInteger, ReadOnly: true, IntegerRange: []IntegerRange{{From: 0, To: 64, Step: 1}}},
	}}
	descBytes, err := EncodeParamResponse(DescribeParameters, h, desc)
	if err != nil {
		t.Fatal(err)
	}
	listBytes, _ := EncodeParamResponse(ListParameters, h, ParamResponse{Names: []string{"a", "threshold"}})
	setReq, _ := EncodeParamRequest(SetParameters, h, ParamRequest{Parameters: ev.Changed[:2]})
	typesBytes, _ := EncodeParamResponse(GetParameterTypes, h, ParamResponse{Types: []uint8{3, 1, 0}})
	ours := [][]byte{EncodeParameterEventCDR(ev), EncodeLogCDR(logMsg), EncodeClockCDR(stamp),
		withoutRequestHeader(descBytes), withoutRequestHeader(listBytes), withoutRequestHeader(setReq), withoutRequestHeader(typesBytes)}
	theirs := rclpyCDR(t,
		`ParameterEvent(stamp=Time(sec=1700000000, nanosec=123456789), node="/osr", changed_parameters=[`+
			`Parameter(name="threshold", value=ParameterValue(type=3, double_value=0.99)),`+
			`Parameter(name="open_set", value=ParameterValue(type=1, bool_value=True)),`+
			`Parameter(name="score", value=ParameterValue(type=4, string_value="msp")),`+
			`Parameter(name="gpu_id", value=ParameterValue(type=2, integer_value=-3, integer_array_value=[1, 2], double_array_value=[0.5], string_array_value=["a", "bc"], bool_array_value=[True, False], byte_array_value=[bytes([7])]))])`,
		`Log(stamp=Time(sec=1700000000, nanosec=123456789), level=30, name="osr", msg="hello", file="node.go", function="Run", line=42)`,
		`Clock(clock=Time(sec=1700000000, nanosec=123456789))`,
		`DescribeParameters.Response(descriptors=[ParameterDescriptor(name="threshold", type=3, description="d", additional_constraints="c", floating_point_range=[FloatingPointRange(from_value=-1.0, to_value=1.0)]),`+
			`ParameterDescriptor(name="gpu_id", type=2, read_only=True, integer_range=[IntegerRange(from_value=0, to_value=64, step=1)])])`,
		`ListParameters.Response(result=ListParametersResult(names=["a", "threshold"]))`,
		`SetParameters.Request(parameters=[Parameter(name="threshold", value=ParameterValue(type=3, double_value=0.99)), Parameter(name="open_set", value=ParameterValue(type=1, bool_value=True))])`,
		`GetParameterTypes.Response(types=[3, 1, 0])`,
	)
	names := []string{"ParameterEvent", "Log", "Clock", "DescribeParameters response", "ListParameters response", "SetParameters request", "GetParameterTypes response"}
	for i := range ours {
		// rclpy pads the last member to the alignment of 4; drop trailing zeros past the data.
		a, b := ours[i], theirs[i]
		if !bytes.Equal(a, b[:min(len(a), len(b))]) || strings.Trim(hex.EncodeToString(b[min(len(a), len(b)):]), "0") != "" {
			t.Errorf("%s:\n osr   %x\n rclpy %x", names[i], a, b)
		}
	}
	// And the decoders read what the encoders write.
	back, err := DecodeParameterEventCDR(ours[0])
	if err != nil || !reflect.DeepEqual(back.Changed, ev.Changed) || back.Node != "/osr" || !back.Stamp.Equal(stamp) {
		t.Errorf("ParameterEvent round trip: %+v, %v", back, err)
	}
	gotH, req, err := DecodeParamRequest(SetParameters, setReq)
	if err != nil || gotH != h || !reflect.DeepEqual(req.Parameters, ev.Changed[:2]) {
		t.Errorf("SetParameters request round trip: %v %+v %v", gotH, req, err)
	}
	if lg, err := DecodeLogCDR(ours[1]); err != nil || *lg != (Log{Stamp: lg.Stamp, Level: 30, Name: "osr", Msg: "hello", File: "node.go", Function: "Run", Line: 42}) || !lg.Stamp.Equal(stamp) {
		t.Errorf("Log round trip: %+v %v", lg, err)
	}
}

func TestParamRequestErrors(t *testing.T) {
	h := RequestHeader{GUID: 1, Seq: 2}
	good, _ := EncodeParamRequest(GetParameters, h, ParamRequest{Names: []string{"threshold"}})
	for i := 4; i < len(good); i++ {
		if _, _, err := DecodeParamRequest(GetParameters, good[:i]); err == nil {
			t.Errorf("truncated at %d of %d: no error", i, len(good))
		}
	}
	if _, _, err := DecodeParamRequest("nope", good); err == nil {
		t.Error("unknown service: no error")
	}
	huge := append([]byte(nil), good...)
	huge[20] = 0xff // names count
	if _, _, err := DecodeParamRequest(GetParameters, huge); err == nil {
		t.Error("huge count: no error")
	}
}

// osr's ros_discovery_info in each distro's layout: rclpy (Jazzy,
// uint8[16] gids) reads the 16-byte one as osr wrote it, and the layout
// of either is recognised by its gid size.
func TestParticipantEntitiesInfoLayouts(t *testing.T) {
	var g1, g2, g3 Gid
	for i := range 16 {
		g1[i], g2[i], g3[i] = byte(i+1), byte(0x20+i), byte(0x40+i)
	}
	m := &ParticipantEntitiesInfo{Gid: g1, Nodes: []NodeEntitiesInfo{{Namespace: "/robot1", Name: "osr", Readers: []Gid{g2}, Writers: []Gid{g2, g3}}}}
	for _, size := range []int{GidSize, GidSizeHumble} {
		data, err := EncodeParticipantEntitiesInfoCDR(m, size)
		if err != nil {
			t.Fatal(err)
		}
		got, err := GidSizeOf(data)
		if err != nil || got != size {
			t.Errorf("%d-byte layout recognised as %d (%v)", size, got, err)
		}
		back, err := DecodeParticipantEntitiesInfoCDR(data, size)
		if err != nil || !reflect.DeepEqual(back, m) {
			t.Errorf("%d-byte layout round trip: %+v %v", size, back, err)
		}
	}
	jazzy, _ := EncodeParticipantEntitiesInfoCDR(m, GidSize)
	theirs := rclpyCDR(t, `__import__("rmw_dds_common.msg", fromlist=["x"]).ParticipantEntitiesInfo(`+
		`gid=__import__("rmw_dds_common.msg", fromlist=["x"]).Gid(data=list(range(1, 17))), node_entities_info_seq=[`+
		`__import__("rmw_dds_common.msg", fromlist=["x"]).NodeEntitiesInfo(node_namespace="/robot1", node_name="osr", `+
		`reader_gid_seq=[__import__("rmw_dds_common.msg", fromlist=["x"]).Gid(data=list(range(0x20, 0x30)))], `+
		`writer_gid_seq=[__import__("rmw_dds_common.msg", fromlist=["x"]).Gid(data=list(range(0x20, 0x30))), __import__("rmw_dds_common.msg", fromlist=["x"]).Gid(data=list(range(0x40, 0x50)))])])`)
	if !bytes.Equal(jazzy, theirs[0][:min(len(jazzy), len(theirs[0]))]) || len(theirs[0])-len(jazzy) > 3 {
		t.Errorf("Jazzy layout:\n osr   %x\n rclpy %x", jazzy, theirs[0])
	}
	if _, err := GidSizeOf(jazzy[:len(jazzy)-9]); err == nil {
		t.Error("a truncated sample has a layout")
	}
}
