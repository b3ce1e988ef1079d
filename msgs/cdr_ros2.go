package msgs

import (
	"fmt"
	"math"
)

// CDR codecs of the messages that only the ROS 2 transport sends: the
// header alone, diagnostics, vision_msgs label info and the rmw discovery
// message. Decoders check every length against the bytes present.

// EncodeHeaderCDR serialises a std_msgs/msg/Header.
func EncodeHeaderCDR(h Header) []byte {
	w := cdrWriter{b: append([]byte(nil), cdrHeader...)}
	w.header(h)
	return w.b
}

// DecodeHeaderCDR parses a std_msgs/msg/Header.
func DecodeHeaderCDR(data []byte) (Header, error) {
	r, err := newCDRReader(data)
	if err != nil {
		return Header{}, err
	}
	h := r.header()
	if r.err != nil {
		return Header{}, fmt.Errorf("%s: %w", ROS2Header, r.err)
	}
	return h, nil
}

// EncodeDiagnosticArrayCDR serialises a diagnostic_msgs/msg/DiagnosticArray.
func EncodeDiagnosticArrayCDR(m *DiagnosticArray) []byte {
	w := cdrWriter{b: append([]byte(nil), cdrHeader...)}
	w.header(m.Header)
	w.u32(uint32(len(m.Status)))
	for _, s := range m.Status {
		w.u8(uint8(s.Level))
		w.str(s.Name)
		w.str(s.Message)
		w.str(s.HardwareId)
		w.u32(uint32(len(s.Values)))
		for _, kv := range s.Values {
			w.str(kv.Key)
			w.str(kv.Value)
		}
	}
	return w.b
}

// DecodeDiagnosticArrayCDR parses a diagnostic_msgs/msg/DiagnosticArray.
func DecodeDiagnosticArrayCDR(data []byte) (*DiagnosticArray, error) {
	r, err := newCDRReader(data)
	if err != nil {
		return nil, err
	}
	m := &DiagnosticArray{Header: r.header()}
	// A status is at least a byte and four empty strings and a length.
	for range r.count(1+3*5+4, "statuses") {
		s := DiagnosticStatus{Level: int8(r.u8())}
		s.Name, s.Message, s.HardwareId = r.str(), r.str(), r.str()
		for range r.count(10, "key-values") {
			s.Values = append(s.Values, KeyValue{Key: r.str(), Value: r.str()})
		}
		m.Status = append(m.Status, s)
	}
	if r.err != nil {
		return nil, fmt.Errorf("%s: %w", ROS2DiagnosticArray, r.err)
	}
	return m, nil
}

// EncodeLabelInfoCDR serialises a vision_msgs/msg/LabelInfo.
func EncodeLabelInfoCDR(m *VisionLabelInfo) []byte {
	w := cdrWriter{b: append([]byte(nil), cdrHeader...)}
	w.header(m.Header)
	w.u32(uint32(len(m.ClassMap)))
	for _, c := range m.ClassMap {
		w.u16(c.ClassID)
		w.str(c.ClassName)
	}
	w.u32(math.Float32bits(m.Threshold))
	return w.b
}

// DecodeLabelInfoCDR parses a vision_msgs/msg/LabelInfo.
func DecodeLabelInfoCDR(data []byte) (*VisionLabelInfo, error) {
	r, err := newCDRReader(data)
	if err != nil {
		return nil, err
	}
	m := &VisionLabelInfo{Header: r.header()}
	for range r.count(2+2+5, "classes") {
		m.ClassMap = append(m.ClassMap, VisionClass{ClassID: r.u16(), ClassName: r.str()})
	}
	m.Threshold = math.Float32frombits(r.u32())
	if r.err != nil {
		return nil, fmt.Errorf("%s: %w", ROS2LabelInfo, r.err)
	}
	return m, nil
}

// EncodeParticipantEntitiesInfoCDR serialises an
// rmw_dds_common/msg/ParticipantEntitiesInfo with gids of gidSize bytes
// (GidSize, or GidSizeHumble).
func EncodeParticipantEntitiesInfoCDR(m *ParticipantEntitiesInfo, gidSize int) ([]byte, error) {
	if gidSize != GidSize && gidSize != GidSizeHumble {
		return nil, fmt.Errorf("gid size %d: want %d or %d", gidSize, GidSize, GidSizeHumble)
	}
	w := cdrWriter{b: append([]byte(nil), cdrHeader...)}
	gid := func(g Gid) { w.b = append(w.b, g[:gidSize]...) }
	gid(m.Gid)
	w.u32(uint32(len(m.Nodes)))
	for _, n := range m.Nodes {
		w.str(n.Namespace)
		w.str(n.Name)
		for _, seq := range [][]Gid{n.Readers, n.Writers} {
			w.u32(uint32(len(seq)))
			for _, g := range seq {
				gid(g)
			}
		}
	}
	return w.b, nil
}

// DecodeParticipantEntitiesInfoCDR parses an
// rmw_dds_common/msg/ParticipantEntitiesInfo with gids of gidSize bytes.
func DecodeParticipantEntitiesInfoCDR(data []byte, gidSize int) (*ParticipantEntitiesInfo, error) {
	if gidSize != GidSize && gidSize != GidSizeHumble {
		return nil, fmt.Errorf("gid size %d: want %d or %d", gidSize, GidSize, GidSizeHumble)
	}
	r, err := newCDRReader(data)
	if err != nil {
		return nil, err
	}
	gid := func() (g Gid) {
		copy(g[:], r.raw(uint32(gidSize), "gid"))
		return g
	}
	m := &ParticipantEntitiesInfo{Gid: gid()}
	for range r.count(5+5+4+4, "nodes") {
		n := NodeEntitiesInfo{Namespace: r.str(), Name: r.str()}
		for range r.count(gidSize, "reader gids") {
			n.Readers = append(n.Readers, gid())
		}
		for range r.count(gidSize, "writer gids") {
			n.Writers = append(n.Writers, gid())
		}
		m.Nodes = append(m.Nodes, n)
	}
	if r.err != nil {
		return nil, fmt.Errorf("%s: %w", ROS2ParticipantEntitiesInfo, r.err)
	}
	return m, nil
}

// GidSizeOf tells the layout of a ros_discovery_info sample by which gid
// size parses it to its end: GidSize (Iron and later) or GidSizeHumble.
func GidSizeOf(data []byte) (int, error) {
	for _, size := range []int{GidSize, GidSizeHumble} {
		r, err := newCDRReader(data)
		if err != nil {
			return 0, err
		}
		r.raw(uint32(size), "gid")
		for range r.count(5+5+4+4, "nodes") {
			r.str()
			r.str()
			for range 2 {
				for range r.count(size, "gids") {
					r.raw(uint32(size), "gid")
				}
			}
		}
		// CDR pads a sample to a multiple of 4.
		if r.err == nil && len(r.b)-r.pos < 4 {
			return size, nil
		}
	}
	return 0, fmt.Errorf("%s: neither %d- nor %d-byte gids parse %d bytes", ROS2ParticipantEntitiesInfo, GidSize, GidSizeHumble, len(data))
}
