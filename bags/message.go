package bags

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// Message is one message read from a bag, still serialised: ROS 1 wire
// format for .bag files, CDR for MCAP.
type Message struct {
	Topic    string
	Type     string // sensor_msgs/Image (ROS 1) or sensor_msgs/msg/Image (ROS 2)
	Time     time.Time
	Data     []byte
	Encoding string // "ros1" or "cdr"
}

// ReadStats counts what a read saw and skipped.
type ReadStats struct {
	Messages      int            `json:"messages"`
	Chunks        int            `json:"chunks"`
	CorruptChunks int            `json:"corrupt_chunks"`
	BadRecords    int            `json:"bad_records"`
	Compression   map[string]int `json:"compression"`
	Problems      []string       `json:"problems,omitempty"`
}

func (s *ReadStats) problem(format string, args ...any) {
	if len(s.Problems) < 20 {
		s.Problems = append(s.Problems, fmt.Sprintf(format, args...))
	}
}

// Format is a bag file format.
type Format string

// The formats osr reads and writes.
const (
	ROS1 Format = "ros1"
	MCAP Format = "mcap"
)

// FormatOf tells the format from a file name.
func FormatOf(path string) (Format, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".bag":
		return ROS1, nil
	case ".mcap":
		return MCAP, nil
	}
	return "", fmt.Errorf("%s: want a .bag (ROS 1) or .mcap (ROS 2) file", path)
}

// Read calls fn for every message of a bag in file order.
func Read(path string, fn func(Message) error) (ReadStats, error) {
	f, err := FormatOf(path)
	if err != nil {
		return ReadStats{}, err
	}
	if f == MCAP {
		return ReadMCAP(path, fn)
	}
	return ReadROS1(path, fn)
}

// Writer writes messages given as the msgs types (Image, CompressedImage,
// String) to a bag of either format.
type Writer interface {
	Write(topic string, t time.Time, msg any) error
	Close() error // finishes the file and moves it into place
	Abort()       // drops an unfinished file
}

// Create opens a bag writer, choosing the format from the file name. The
// file appears only when Close succeeds.
func Create(path string) (Writer, error) {
	f, err := FormatOf(path)
	if err != nil {
		return nil, err
	}
	if f == MCAP {
		return CreateMCAP(path)
	}
	return CreateROS1(path, "lz4", 0)
}
