package node

import (
	"fmt"
	"strings"
)

// ROSArgs are the ROS arguments of a node's command line.
type ROSArgs struct {
	Remaps map[string]string // from:=to, both ROS 1 and ROS 2 style
	// Params are parameter values as written: ROS 1's _name:=value and
	// ROS 2's -p name:=value (ParseParamValue reads them).
	Params     map[string]string
	ParamFiles []string // ROS 2's --params-file, in order
	Rest       []string // arguments that are not ROS arguments
	Ignored    []string // ROS 2 arguments osr does not support (log levels, enclaves)
}

// ParseROSArgs reads ROS 1 remappings and private parameters (from:=to and
// _name:=value anywhere) and the ROS 2 section that ros2 launch and ros2 run
// append: --ros-args followed by -r/--remap [node:]from:=to, -p/--param
// [node:]name:=value and --params-file FILE, until "--". --log-level and
// --enclave take a value and are reported in Ignored.
func ParseROSArgs(args []string) (ROSArgs, error) {
	a := ROSArgs{Remaps: map[string]string{}, Params: map[string]string{}}
	// cut splits [node:]from:=to, dropping a node name: osr runs one node.
	cut := func(s, what string) (string, string, error) {
		from, to, ok := strings.Cut(s, ":=")
		if !ok || from == "" || what == "remapping" && to == "" {
			return "", "", fmt.Errorf("%s %q: want name:=value", what, s)
		}
		if i := strings.LastIndex(from, ":"); i >= 0 {
			from = from[i+1:]
		}
		return from, to, nil
	}
	remap := func(s string) error {
		from, to, err := cut(s, "remapping")
		if err != nil {
			return err
		}
		// ROS 2 writes private names ~/x, ROS 1 (and osr's config) ~x.
		if rest, ok := strings.CutPrefix(from, "~/"); ok {
			from = "~" + rest
		}
		// ROS 1's _name:=value is a private parameter, __name a special key.
		if name, ok := strings.CutPrefix(from, "_"); ok && !strings.HasPrefix(name, "_") {
			a.Params[name] = to
			return nil
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
		case "-p", "--param":
			v, err := value()
			if err != nil {
				return a, err
			}
			name, val, err := cut(v, "parameter")
			if err != nil {
				return a, err
			}
			a.Params[name] = val
		case "--params-file":
			v, err := value()
			if err != nil {
				return a, err
			}
			a.ParamFiles = append(a.ParamFiles, v)
		case "--log-level", "-e", "--enclave", "--log-config-file", "--log-file-name":
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
