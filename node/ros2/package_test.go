package ros2

import (
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"osr/config"
)

// The ROS 2 package: launch/osr_node.launch and package.xml. No ROS 2 is
// installable here, so these tests check the files against what
// launch_xml, launch_ros and colcon (through catkin_pkg) do with them.

type launchFile struct {
	XMLName xml.Name `xml:"launch"`
	Args    []struct {
		Name        string  `xml:"name,attr"`
		Default     *string `xml:"default,attr"`
		Description string  `xml:"description,attr"`
	} `xml:"arg"`
	Nodes []struct {
		Pkg       string `xml:"pkg,attr"`
		Exec      string `xml:"exec,attr"`
		Name      string `xml:"name,attr"`
		Namespace string `xml:"namespace,attr"`
		Args      string `xml:"args,attr"`
		Output    string `xml:"output,attr"`
		Remaps    []struct {
			From string `xml:"from,attr"`
			To   string `xml:"to,attr"`
		} `xml:"remap"`
		Params []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
			From  string `xml:"from,attr"`
		} `xml:"param"`
	} `xml:"node"`
}

var substRe = regexp.MustCompile(`\$\(([a-z-]+) ([^)]*)\)`)

// launchCommand is the command line launch_ros builds from the launch file
// for the given arguments: the executable's arguments with substitutions
// resolved, then --ros-args with the node name, namespace and remappings.
func launchCommand(t *testing.T, share string, set map[string]string) []string {
	t.Helper()
	data, err := os.ReadFile("../../launch/osr_node.launch")
	if err != nil {
		t.Fatal(err)
	}
	var lf launchFile
	if err := xml.Unmarshal(data, &lf); err != nil {
		t.Fatalf("osr_node.launch is not XML launch: %v", err)
	}
	vars := map[string]string{}
	for _, a := range lf.Args {
		if a.Default == nil || a.Description == "" {
			t.Errorf("arg %s: wants a default and a description", a.Name)
			continue
		}
		vars[a.Name] = *a.Default
	}
	for k, v := range set {
		if _, ok := vars[k]; !ok {
			t.Fatalf("launch file has no arg %q", k)
		}
		vars[k] = v
	}
	var subst func(string) string
	subst = func(s string) string {
		return substRe.ReplaceAllStringFunc(s, func(m string) string {
			p := substRe.FindStringSubmatch(m)
			switch p[1] {
			case "var":
				v, ok := vars[p[2]]
				if !ok {
					t.Errorf("$(var %s) names no declared arg", p[2])
				}
				return subst(v)
			case "find-pkg-share":
				if p[2] != "osr" {
					t.Errorf("$(find-pkg-share %s): want osr", p[2])
				}
				return share
			}
			t.Errorf("substitution %s is not one launch_xml knows here", m)
			return m
		})
	}
	if len(lf.Nodes) != 1 {
		t.Fatalf("%d nodes, want 1", len(lf.Nodes))
	}
	n := lf.Nodes[0]
	if n.Pkg != "osr" || n.Exec != "osr" || n.Output != "screen" {
		t.Errorf("node pkg=%q exec=%q output=%q", n.Pkg, n.Exec, n.Output)
	}
	cmd := strings.Fields(subst(n.Args))
	cmd = append(cmd, "--ros-args", "-r", "__node:="+subst(n.Name))
	if ns := subst(n.Namespace); ns != "" {
		cmd = append(cmd, "-r", "__ns:="+ns)
	}
	// launch_ros writes name/value parameters to a params file of its own
	// and passes every file in order.
	for i, p := range n.Params {
		if p.From != "" {
			cmd = append(cmd, "--params-file", subst(p.From))
			continue
		}
		f := filepath.Join(t.TempDir(), fmt.Sprintf("launch_params_%d.yaml", i))
		if err := os.WriteFile(f, []byte("/**:\n  ros__parameters:\n    "+p.Name+": "+subst(p.Value)+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd = append(cmd, "--params-file", f)
	}
	for _, r := range n.Remaps {
		cmd = append(cmd, "-r", subst(r.From)+":="+subst(r.To))
	}
	return cmd
}

func TestLaunchFileStructure(t *testing.T) {
	cmd := launchCommand(t, "/opt/ros/jazzy/share/osr", map[string]string{"image": "/cam/image_raw"})
	got := regexp.MustCompile(`\S*/launch_params_\d+\.yaml`).ReplaceAllString(strings.Join(cmd, " "), "PARAMS")
	want := "node --transport ros2 --config /opt/ros/jazzy/share/osr/config/osr.yaml " +
		"--ros-args -r __node:=osr --params-file PARAMS --params-file PARAMS --params-file PARAMS --params-file PARAMS " +
		"--params-file /opt/ros/jazzy/share/osr/config/osr_params.yaml -r image:=/cam/image_raw"
	if got != want {
		t.Fatalf("launch_ros would run\n osr %s\nwant\n osr %s", got, want)
	}
	// The files it names are where colcon installs them (CMakeLists.txt).
	for _, f := range []string{"../../config/osr.yaml", "../../config/osr_params.yaml", "../../models/camvid-so/model.yaml"} {
		if _, err := os.Stat(f); err != nil {
			t.Error(err)
		}
	}
}

// colcon reads package.xml with catkin_pkg and evaluates its conditions:
// ROS 1 builds with catkin, ROS 2 with ament_cmake and Cyclone DDS.
func TestPackageXMLServesROS1AndROS2(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import catkin_pkg").Run(); err != nil {
		t.Skip("python3-catkin-pkg not installed (OSR_SETUP_ROS=1 bash scripts/setup.sh installs it with ROS 1)")
	}
	script := `import sys
from catkin_pkg.package import parse_package
for v in ("1", "2"):
    p = parse_package(sys.argv[1])
    p.evaluate_conditions({"ROS_VERSION": v})
    deps = sorted(set(d.name for d in p.buildtool_depends + p.build_depends + p.exec_depends if d.evaluated_condition))
    print(v, p.get_build_type(), ",".join(deps))
`
	pkg, _ := filepath.Abs("../../package.xml")
	out, err := exec.Command(py, "-c", script, pkg).CombinedOutput()
	if err != nil {
		t.Fatalf("catkin_pkg: %v\n%s", err, out)
	}
	want := "1 catkin catkin,diagnostic_msgs,roslaunch,sensor_msgs,std_msgs\n" +
		"2 ament_cmake ament_cmake,cyclonedds,diagnostic_msgs,launch_ros,launch_xml,sensor_msgs,std_msgs,vision_msgs\n"
	if string(out) != want {
		t.Fatalf("catkin_pkg reads package.xml as\n%s\nwant\n%s", out, want)
	}
}

// The RViz 2 config shows the node's overlay and mask, as Image displays
// on the topics the default node publishes, with a QoS they match.
func TestRViz2Config(t *testing.T) {
	data, err := os.ReadFile("../../launch/osr_overlay.rviz2")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Manager struct {
			Displays []struct {
				Class string `yaml:"Class"`
				Topic struct {
					Value       string `yaml:"Value"`
					Reliability string `yaml:"Reliability Policy"`
				} `yaml:"Topic"`
			} `yaml:"Displays"`
		} `yaml:"Visualization Manager"`
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatalf("osr_overlay.rviz2: %v", err)
	}
	c := config.Default()
	plan, err := NewPlan(Options{Node: c.Node, ROS2: c.ROS2})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{plan.Overlay.Name: false, plan.Mask.Name: false}
	for _, d := range cfg.Manager.Displays {
		if d.Class != "rviz_default_plugins/Image" {
			t.Errorf("display %s, want rviz_default_plugins/Image", d.Class)
			continue
		}
		if _, ok := want[d.Topic.Value]; !ok {
			t.Errorf("Image display on %q, not an output of the node", d.Topic.Value)
		}
		want[d.Topic.Value] = true
		if d.Topic.Reliability != "Reliable" && d.Topic.Reliability != "Best Effort" {
			t.Errorf("%s: reliability %q", d.Topic.Value, d.Topic.Reliability)
		}
	}
	for topic, seen := range want {
		if !seen {
			t.Errorf("no Image display for %s", topic)
		}
	}
}
