package bags

import (
	"errors"
	"fmt"

	"osr/msgs"
)

// ErrUnknownType is a message of a type osr does not read.
var ErrUnknownType = errors.New("unknown message type")

// Decode turns a bag message into *msgs.Image, *msgs.CompressedImage or
// *msgs.String, from ROS 1 or CDR serialisation.
func Decode(m Message) (any, error) {
	switch {
	case m.Encoding == "ros1" && m.Type == "sensor_msgs/Image":
		var v msgs.Image
		return &v, DecodeROS1(m.Data, &v)
	case m.Encoding == "ros1" && m.Type == "sensor_msgs/CompressedImage":
		var v msgs.CompressedImage
		return &v, DecodeROS1(m.Data, &v)
	case m.Encoding == "ros1" && m.Type == "std_msgs/String":
		var v msgs.String
		return &v, DecodeROS1(m.Data, &v)
	case m.Encoding == "cdr" && m.Type == msgs.ROS2Image:
		return msgs.DecodeImageCDR(m.Data)
	case m.Encoding == "cdr" && m.Type == msgs.ROS2CompressedImage:
		return msgs.DecodeCompressedImageCDR(m.Data)
	case m.Encoding == "cdr" && m.Type == msgs.ROS2String:
		s, err := msgs.DecodeStringCDR(m.Data)
		return &msgs.String{Data: s}, err
	}
	return nil, fmt.Errorf("%w %q (%s) on %s", ErrUnknownType, m.Type, m.Encoding, m.Topic)
}
