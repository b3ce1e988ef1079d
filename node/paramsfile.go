package node

import (
	"fmt"
	"os"
	"path"
	"strings"

	"gopkg.in/yaml.v3"
)

// ReadParamsFile reads the parameters that a ROS 2 parameters file
// (--params-file) gives the node nodeFQN (/ns/name): the ros__parameters of
// every entry whose node name matches it, "/**" and "/*" wildcards and
// nesting by namespace included, later entries winning, as rcl reads them.
// Nested parameter maps are flattened with dots (qos.depth).
func ReadParamsFile(file, nodeFQN string) (map[string]any, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("params file: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("params file %s: %w", file, err)
	}
	out := map[string]any{}
	if len(doc.Content) == 0 {
		return out, nil
	}
	var walk func(n *yaml.Node, prefix string) error
	walk = func(n *yaml.Node, prefix string) error {
		if n.Kind != yaml.MappingNode {
			return fmt.Errorf("params file %s line %d: want node names mapping to ros__parameters", file, n.Line)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, val := n.Content[i].Value, n.Content[i+1]
			if key == "ros__parameters" {
				if !matchNode(prefix, nodeFQN) {
					continue
				}
				var params map[string]any
				if err := val.Decode(&params); err != nil {
					return fmt.Errorf("params file %s line %d: %w", file, val.Line, err)
				}
				flatten(out, "", params)
				continue
			}
			if err := walk(val, prefix+"/"+strings.Trim(key, "/")); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(doc.Content[0], ""); err != nil {
		return nil, err
	}
	return out, nil
}

// matchNode matches a params file's node path against a node's fully
// qualified name: "*" is one name segment, "**" any number of them.
func matchNode(pattern, fqn string) bool {
	p := strings.Split(strings.Trim(pattern, "/"), "/")
	n := strings.Split(strings.Trim(fqn, "/"), "/")
	var match func(p, n []string) bool
	match = func(p, n []string) bool {
		switch {
		case len(p) == 0:
			return len(n) == 0
		case p[0] == "**":
			for i := 0; i <= len(n); i++ {
				if match(p[1:], n[i:]) {
					return true
				}
			}
			return false
		case len(n) == 0:
			return false
		}
		ok, err := path.Match(p[0], n[0])
		return err == nil && ok && match(p[1:], n[1:])
	}
	return match(p, n)
}

func flatten(out map[string]any, prefix string, m map[string]any) {
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok {
			flatten(out, prefix+k+".", sub)
			continue
		}
		out[prefix+k] = v
	}
}
