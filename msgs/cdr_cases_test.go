package msgs

import (
	"bytes"
	"fmt"
	"strings"
	"time"
)

// cdrCase is one message for the byte-for-byte tests: osr's bytes, the
// message as the npm serializer takes it (JSON), as C initialiser for
// Cyclone's serializer, and a decode-then-encode round trip through osr.
type cdrCase struct {
	typ    string // ROS 2 type; "#humble" marks Humble's discovery layout
	osr    []byte
	json   map[string]any
	cType  string // idlc's C type
	cInit  string
	recode func([]byte) ([]byte, error)
}

type jsonBytes struct {
	Hex string `json:"$bytes"`
}

func jb(b []byte) jsonBytes { return jsonBytes{fmt.Sprintf("%x", b)} }

func jHeader(h Header) map[string]any {
	return map[string]any{"stamp": map[string]any{"sec": int32(h.Stamp.Unix()), "nanosec": h.Stamp.Nanosecond()}, "frame_id": h.FrameId}
}

// cStr is a C string literal; octal escapes cannot run into the next character.
func cStr(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "\\%03o", s[i])
	}
	b.WriteByte('"')
	return b.String()
}

func cSeq(elemType string, elems []string) string {
	if len(elems) == 0 {
		return "{0, 0, NULL, false}"
	}
	return fmt.Sprintf("{%d, %d, (%s[]){%s}, false}", len(elems), len(elems), elemType, strings.Join(elems, ", "))
}

func cBytes(b []byte) []string {
	var out []string
	for _, v := range b {
		out = append(out, fmt.Sprint(v))
	}
	return out
}

func cHeader(h Header) string {
	return fmt.Sprintf("{{%d, %d}, %s}", int32(h.Stamp.Unix()), h.Stamp.Nanosecond(), cStr(h.FrameId))
}

func recodeImage(b []byte) ([]byte, error) {
	m, err := DecodeImageCDR(b)
	if err != nil {
		return nil, err
	}
	return EncodeImageCDR(m), nil
}

// crossCases covers every message osr sends or receives, with string and
// sequence lengths that exercise every padding.
func crossCases() []cdrCase {
	var cs []cdrCase
	frames := []string{"", "c", "ca", "cam", "camera_optical_frame"}
	for i, frame := range frames {
		h := Header{Stamp: time.Unix(int64(1000+i), int64(i*1000+7)), FrameId: frame}
		for j, enc := range []string{"rgb8", "mono8", "yuv422_yuy2", "32FC1"} {
			data := bytes.Repeat([]byte{byte(i), byte(j), 7}, i+j)
			m := &Image{Header: h, Height: uint32(i), Width: uint32(j), Encoding: enc, IsBigendian: uint8(j % 2), Step: uint32(3 * j), Data: data}
			cs = append(cs, cdrCase{typ: ROS2Image, osr: EncodeImageCDR(m), recode: recodeImage,
				json:  map[string]any{"header": jHeader(h), "height": i, "width": j, "encoding": enc, "is_bigendian": j % 2, "step": 3 * j, "data": jb(data)},
				cType: "sensor_msgs_msg_dds__Image_",
				cInit: fmt.Sprintf("{%s, %d, %d, %s, %d, %d, %s}", cHeader(h), i, j, cStr(enc), j%2, 3*j, cSeq("uint8_t", cBytes(data)))})
		}
		c := &CompressedImage{Header: h, Format: frame + "jpeg", Data: []byte{0xff, 0xd8, byte(i)}[:i%4]}
		cs = append(cs, cdrCase{typ: ROS2CompressedImage, osr: EncodeCompressedImageCDR(c),
			recode: func(b []byte) ([]byte, error) {
				m, err := DecodeCompressedImageCDR(b)
				if err != nil {
					return nil, err
				}
				return EncodeCompressedImageCDR(m), nil
			},
			json:  map[string]any{"header": jHeader(h), "format": c.Format, "data": jb(c.Data)},
			cType: "sensor_msgs_msg_dds__CompressedImage_",
			cInit: fmt.Sprintf("{%s, %s, %s}", cHeader(h), cStr(c.Format), cSeq("uint8_t", cBytes(c.Data)))})
		cs = append(cs, cdrCase{typ: ROS2String, osr: EncodeStringCDR(frame),
			recode: func(b []byte) ([]byte, error) {
				s, err := DecodeStringCDR(b)
				return EncodeStringCDR(s), err
			},
			json: map[string]any{"data": frame}, cType: "std_msgs_msg_dds__String_", cInit: fmt.Sprintf("{%s}", cStr(frame))})
		cs = append(cs, cdrCase{typ: ROS2Header, osr: EncodeHeaderCDR(h),
			recode: func(b []byte) ([]byte, error) {
				h, err := DecodeHeaderCDR(b)
				return EncodeHeaderCDR(h), err
			},
			json: jHeader(h), cType: "std_msgs_msg_dds__Header_", cInit: cHeader(h)})

		// Diagnostics: i statuses, status k with k key-values.
		d := &DiagnosticArray{Header: h}
		var jStatus []any
		var cStatus []string
		for k := range i {
			s := DiagnosticStatus{Level: int8(k % 4), Name: frames[k], Message: frames[(k+1)%5], HardwareId: frames[(k+2)%5]}
			var jkv []any
			var ckv []string
			for v := range k {
				kv := KeyValue{Key: frames[v], Value: frames[(v+3)%5]}
				s.Values = append(s.Values, kv)
				jkv = append(jkv, map[string]any{"key": kv.Key, "value": kv.Value})
				ckv = append(ckv, fmt.Sprintf("{%s, %s}", cStr(kv.Key), cStr(kv.Value)))
			}
			d.Status = append(d.Status, s)
			jStatus = append(jStatus, map[string]any{"level": k % 4, "name": s.Name, "message": s.Message, "hardware_id": s.HardwareId, "values": orEmpty(jkv)})
			cStatus = append(cStatus, fmt.Sprintf("{%d, %s, %s, %s, %s}", k%4, cStr(s.Name), cStr(s.Message), cStr(s.HardwareId),
				cSeq("diagnostic_msgs_msg_dds__KeyValue_", ckv)))
		}
		cs = append(cs, cdrCase{typ: ROS2DiagnosticArray, osr: EncodeDiagnosticArrayCDR(d),
			recode: func(b []byte) ([]byte, error) {
				m, err := DecodeDiagnosticArrayCDR(b)
				if err != nil {
					return nil, err
				}
				return EncodeDiagnosticArrayCDR(m), nil
			},
			json:  map[string]any{"header": jHeader(h), "status": orEmpty(jStatus)},
			cType: "diagnostic_msgs_msg_dds__DiagnosticArray_",
			cInit: fmt.Sprintf("{%s, %s}", cHeader(h), cSeq("diagnostic_msgs_msg_dds__DiagnosticStatus_", cStatus))})

		// Label info: i classes.
		li := &VisionLabelInfo{Header: h, Threshold: 0.57 + float32(i)}
		var jClasses []any
		var cClasses []string
		for k := range i {
			c := VisionClass{ClassID: uint16(k * 300), ClassName: frames[(k+i)%5]}
			li.ClassMap = append(li.ClassMap, c)
			jClasses = append(jClasses, map[string]any{"class_id": c.ClassID, "class_name": c.ClassName})
			cClasses = append(cClasses, fmt.Sprintf("{%d, %s}", c.ClassID, cStr(c.ClassName)))
		}
		cs = append(cs, cdrCase{typ: ROS2LabelInfo, osr: EncodeLabelInfoCDR(li),
			recode: func(b []byte) ([]byte, error) {
				m, err := DecodeLabelInfoCDR(b)
				if err != nil {
					return nil, err
				}
				return EncodeLabelInfoCDR(m), nil
			},
			json:  map[string]any{"header": jHeader(h), "class_map": orEmpty(jClasses), "threshold": li.Threshold},
			cType: "vision_msgs_msg_dds__LabelInfo_",
			cInit: fmt.Sprintf("{%s, %s, %.9g}", cHeader(h), cSeq("vision_msgs_msg_dds__VisionClass_", cClasses), li.Threshold)})

		// Discovery info, in both gid layouts: i nodes with k readers and i-k writers.
		for _, size := range []int{GidSize, GidSizeHumble} {
			gid := func(seed int) Gid {
				var g Gid
				for b := range GidSize {
					g[b] = byte(seed*17 + b)
				}
				return g
			}
			typ, cPrefix := ROS2ParticipantEntitiesInfo, "rmw_dds_common_msg_dds__"
			if size == GidSizeHumble {
				typ, cPrefix = typ+"#humble", "humble_rmw_dds_common_msg_dds__"
			}
			jGid := func(g Gid) any { return map[string]any{"data": jb(g[:size])} }
			cGid := func(g Gid) string { return "{{" + strings.Join(cBytes(g[:size]), ", ") + "}}" }
			p := &ParticipantEntitiesInfo{Gid: gid(i)}
			var jNodes []any
			var cNodes []string
			for k := range i {
				n := NodeEntitiesInfo{Namespace: "/" + frames[k], Name: frames[(k+1)%5] + "n"}
				var jr, jw []any
				var cr, cw []string
				for r := range k {
					n.Readers = append(n.Readers, gid(10*k+r))
					jr, cr = append(jr, jGid(gid(10*k+r))), append(cr, cGid(gid(10*k+r)))
				}
				for w := range i - k {
					n.Writers = append(n.Writers, gid(100*k+w))
					jw, cw = append(jw, jGid(gid(100*k+w))), append(cw, cGid(gid(100*k+w)))
				}
				p.Nodes = append(p.Nodes, n)
				jNodes = append(jNodes, map[string]any{"node_namespace": n.Namespace, "node_name": n.Name, "reader_gid_seq": orEmpty(jr), "writer_gid_seq": orEmpty(jw)})
				cNodes = append(cNodes, fmt.Sprintf("{%s, %s, %s, %s}", cStr(n.Namespace), cStr(n.Name), cSeq(cPrefix+"Gid_", cr), cSeq(cPrefix+"Gid_", cw)))
			}
			b, err := EncodeParticipantEntitiesInfoCDR(p, size)
			if err != nil {
				panic(err)
			}
			cs = append(cs, cdrCase{typ: typ, osr: b,
				recode: func(b []byte) ([]byte, error) {
					m, err := DecodeParticipantEntitiesInfoCDR(b, size)
					if err != nil {
						return nil, err
					}
					return EncodeParticipantEntitiesInfoCDR(m, size)
				},
				json:  map[string]any{"gid": jGid(p.Gid), "node_entities_info_seq": orEmpty(jNodes)},
				cType: cPrefix + "ParticipantEntitiesInfo_",
				cInit: fmt.Sprintf("{%s, %s}", cGid(p.Gid), cSeq(cPrefix+"NodeEntitiesInfo_", cNodes))})
		}
	}
	return cs
}

// orEmpty keeps empty sequences as [] rather than null in JSON.
func orEmpty(v []any) []any {
	if v == nil {
		return []any{}
	}
	return v
}
