package node

import (
	"fmt"
	"strings"
)

// ROSArgs are the ROS arguments of a node's command line.
type ROSArgs struct {
	Remaps  map[string]string // from:=to, both ROS 1 and ROS 2 style
	Rest    []string          // arguments that are not ROS arguments
	Ignored []string          // ROS 2 arguments osr does not support (parameters, log levels)
}

// ParseROSArgs reads ROS 1 remappings (from:=to anywhere) and the ROS 2
// section that ros2 launch and ros2 run append: --ros-args followed by
// -r/--remap [node:]from:=to, until "--". Parameters (-p, --params-file),
// --log-level and --enclave take a value and are reported in Ignored:
// osr's settings come from its config file.
func ParseROSArgs(args []string) (ROSArgs, error) {
	a := ROSArgs{Remaps: map[string]string{}}
	remap := func(s string) error {
		from, to, ok := strings.Cut(s, ":=")
		if !ok || from == "" || to == "" {
			return fmt.Errorf("remapping %q: want from:=to", s)
		}
		// A node-targeted rule (node:from:=to); osr runs one node.
		if i := strings.LastIndex(from, ":"); i >= 0 {
			from = from[i+1:]
		}
		// ROS 2 writes private names ~/x, ROS 1 (and osr's config) ~x.
		if rest, ok := strings.CutPrefix(from, "~/"); ok {
			from = "~" + rest
		}
		a.Remaps[from] = to
		return nil
	}
	ros := false
	for i := 0; i < len(args); i++ {
		s := args[i]
		if !ros {
			switch {
			case s == "--ros-args":
				ros = true
			case strings.Contains(s, ":="):
				if err := remap(s); err != nil {
					return a, err
				}
			default:
				a.Rest = append(a.Rest, s)
			}
			continue
		}
		value := func() (string, error) {
			if i+1 >= len(args) {
				return "", fmt.Errorf("--ros-args: %s needs a value", s)
			}
			i++
			return args[i], nil
		}
		switch s {
		case "--":
			ros = false
		case "--ros-args":
		case "-r", "--remap":
			v, err := value()
			if err != nil {
				return a, err
			}
			if err := remap(v); err != nil {
				return a, err
			}
		case "-p", "--param", "--params-file", "--log-level", "-e", "--enclave", "--log-config-file":
			v, err := value()
			if err != nil {
				return a, err
			}
			a.Ignored = append(a.Ignored, s+" "+v)
		case "--disable-rosout-logs", "--enable-rosout-logs", "--disable-stdout-logs", "--enable-stdout-logs",
			"--disable-external-lib-logs", "--enable-external-lib-logs":
			a.Ignored = append(a.Ignored, s)
		default:
			return a, fmt.Errorf("--ros-args: unsupported argument %q", s)
		}
	}
	return a, nil
}

// SplitRemaps separates ROS remapping arguments (from:=to) from the other
// arguments. Special keys (__name, __ns, __master, __ip, __hostname,
// __log) are returned in the map like any other.
func SplitRemaps(args []string) (map[string]string, []string, error) {
	a, err := ParseROSArgs(args)
	if err != nil {
		return nil, nil, err
	}
	return a.Remaps, a.Rest, nil
}
