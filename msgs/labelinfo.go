package msgs

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// LabelInfo describes the label image: class names by id, their colours,
// and how outliers are marked. ROS 2 sends it as vision_msgs/LabelInfo;
// ROS 1, which has no such message, as a latched std_msgs/String of YAML.
type LabelInfo struct {
	Model       string     `yaml:"model"`
	Classes     []string   `yaml:"classes"`
	Palette     [][3]uint8 `yaml:"palette"`
	UnknownID   *int       `yaml:"unknown_id,omitempty"`
	Score       string     `yaml:"score"` // msp or entropy
	Threshold   float32    `yaml:"threshold"`
	Temperature float32    `yaml:"temperature"`
}

// YAML is the ROS 1 payload.
func (l LabelInfo) YAML() (string, error) {
	b, err := yaml.Marshal(l)
	if err != nil {
		return "", fmt.Errorf("label info: %w", err)
	}
	return string(b), nil
}

// ParseLabelInfo reads the ROS 1 payload back.
func ParseLabelInfo(s string) (LabelInfo, error) {
	var l LabelInfo
	if err := yaml.Unmarshal([]byte(s), &l); err != nil {
		return l, fmt.Errorf("label info: %w", err)
	}
	return l, nil
}
