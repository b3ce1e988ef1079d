package msgs

import (
	"github.com/bluenviron/goroslib/v2/pkg/msgs/diagnostic_msgs"
	"github.com/bluenviron/goroslib/v2/pkg/msgs/sensor_msgs"
	"github.com/bluenviron/goroslib/v2/pkg/msgs/std_msgs"
)

// The message types are goroslib's, which carry the ROS 1 definitions and
// MD5 sums; the ROS 2 transport serialises the same structs as CDR.
type (
	Header           = std_msgs.Header
	String           = std_msgs.String
	Image            = sensor_msgs.Image
	CompressedImage  = sensor_msgs.CompressedImage
	CameraInfo       = sensor_msgs.CameraInfo
	DiagnosticArray  = diagnostic_msgs.DiagnosticArray
	DiagnosticStatus = diagnostic_msgs.DiagnosticStatus
	KeyValue         = diagnostic_msgs.KeyValue
)

// Diagnostic levels.
const (
	DiagOK    = diagnostic_msgs.DiagnosticStatus_OK
	DiagWarn  = diagnostic_msgs.DiagnosticStatus_WARN
	DiagError = diagnostic_msgs.DiagnosticStatus_ERROR
	DiagStale = diagnostic_msgs.DiagnosticStatus_STALE
)
