//go:build ros2

package ros2

import (
	"fmt"

	"osr/msgs"
	"osr/node"
)

// encode serialises an output message for its DDS writer.
func encode(m any) ([]byte, error) {
	switch m := m.(type) {
	case *msgs.Image:
		return msgs.EncodeImageCDR(m), nil
	case *msgs.DiagnosticArray:
		return msgs.EncodeDiagnosticArrayCDR(m), nil
	case *msgs.VisionLabelInfo:
		return msgs.EncodeLabelInfoCDR(m), nil
	}
	return nil, fmt.Errorf("no CDR encoding for %T", m)
}

// decodeFrame parses a camera message of the plan's input kind.
func decodeFrame(input string, data []byte) (node.Frame, error) {
	if input == "compressed" {
		m, err := msgs.DecodeCompressedImageCDR(data)
		return node.Frame{Compressed: m}, err
	}
	m, err := msgs.DecodeImageCDR(data)
	return node.Frame{Raw: m}, err
}
