package msgs

import (
	"bufio"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// ROS 2 type hashes (REP 2011, RIHS01): the SHA-256 of a type's
// description (its fields and those of every type it refers to) written
// as JSON the way rosidl_generator_type_description does. Jazzy peers read
// them from each endpoint's USER_DATA (typehash=RIHS01_<hex>;).

//go:embed interfaces.txt
var interfacesText string

// Field is one field of a ROS 2 type description
// (type_description_interfaces/msg/Field, less its default value, which
// the hash leaves out).
type Field struct {
	Name           string
	TypeID         int // type_description_interfaces/msg/FieldType
	Capacity       int
	StringCapacity int
	Nested         string // nested type name, pkg/msg/Name
}

// Interfaces are type descriptions by type name (pkg/msg/Name, pkg/srv/Name).
type Interfaces map[string][]Field

// FieldType ids of the basic types, by their .msg names.
var basicTypeIDs = map[string]int{
	"int8": 2, "uint8": 3, "int16": 4, "uint16": 5, "int32": 6, "uint32": 7, "int64": 8, "uint64": 9,
	"float32": 10, "float64": 11, "char": 13, "bool": 15, "byte": 16, "string": 17, "wstring": 18,
}

// LoadInterfaces parses the descriptions of the interfaces osr uses
// (msgs/interfaces.txt, written by scripts/ros2_interfaces.py).
func LoadInterfaces() (Interfaces, error) {
	return ParseInterfaces(interfacesText)
}

// ParseInterfaces reads type descriptions: a type name on a line of its
// own, then its fields indented, "type name" (.msg types; [] sequence,
// [N] array, [<=N] bounded sequence, string<=N bounded string).
func ParseInterfaces(text string) (Interfaces, error) {
	out := Interfaces{}
	cur := ""
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		if t == line {
			cur = t
			if _, dup := out[cur]; dup {
				return nil, fmt.Errorf("interfaces line %d: %s described twice", n, cur)
			}
			out[cur] = []Field{}
			continue
		}
		typ, name, ok := strings.Cut(t, " ")
		if !ok || cur == "" {
			return nil, fmt.Errorf("interfaces line %d: want an indented \"type name\" under a type, got %q", n, t)
		}
		f, err := parseField(typ)
		if err != nil {
			return nil, fmt.Errorf("interfaces line %d: %w", n, err)
		}
		f.Name = name
		out[cur] = append(out[cur], f)
	}
	return out, nil
}

func parseField(typ string) (Field, error) {
	var f Field
	kind := 0 // 0 single, 1 array, 2 bounded sequence, 3 sequence (FieldType blocks of 48)
	if i := strings.IndexByte(typ, '['); i >= 0 {
		suffix := typ[i:]
		typ = typ[:i]
		switch {
		case suffix == "[]":
			kind = 3
		case strings.HasPrefix(suffix, "[<=") && strings.HasSuffix(suffix, "]"):
			kind = 2
			suffix = suffix[3 : len(suffix)-1]
		case strings.HasSuffix(suffix, "]"):
			kind = 1
			suffix = suffix[1 : len(suffix)-1]
		default:
			return f, fmt.Errorf("type %q: bad array suffix", typ+suffix)
		}
		if kind != 3 {
			n, err := strconv.Atoi(suffix)
			if err != nil || n <= 0 {
				return f, fmt.Errorf("type %q: bad capacity %q", typ, suffix)
			}
			f.Capacity = n
		}
	}
	base := 1
	if s, cap, ok := strings.Cut(typ, "<="); ok {
		n, err := strconv.Atoi(cap)
		if err != nil || n <= 0 || (s != "string" && s != "wstring") {
			return f, fmt.Errorf("type %q: want string<=N", typ)
		}
		f.StringCapacity = n
		base = map[string]int{"string": 21, "wstring": 22}[s]
	} else if id, ok := basicTypeIDs[typ]; ok {
		base = id
	} else if strings.Count(typ, "/") == 2 {
		f.Nested = typ
	} else {
		return f, fmt.Errorf("unknown type %q", typ)
	}
	f.TypeID = base + 48*kind
	return f, nil
}

// Hash is the RIHS01 type hash of a message or service type:
// "RIHS01_" and 64 hex digits.
func (in Interfaces) Hash(typeName string) (string, error) {
	if _, ok := in[typeName]; !ok {
		return "", fmt.Errorf("no type description for %s (add it to scripts/ros2_interfaces.py and rerun it)", typeName)
	}
	refs := map[string]bool{}
	queue := []string{typeName}
	for len(queue) > 0 {
		t := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		for _, f := range in[t] {
			if f.Nested == "" || refs[f.Nested] {
				continue
			}
			if _, ok := in[f.Nested]; !ok {
				return "", fmt.Errorf("%s refers to %s, which has no type description", t, f.Nested)
			}
			refs[f.Nested] = true
			queue = append(queue, f.Nested)
		}
	}
	names := make([]string, 0, len(refs))
	for r := range refs {
		names = append(names, r)
	}
	sort.Strings(names)
	// json.dumps(..., separators=(', ', ': '), sort_keys=False), as rosidl does.
	var b strings.Builder
	b.WriteString(`{"type_description": `)
	in.writeType(&b, typeName)
	b.WriteString(`, "referenced_type_descriptions": [`)
	for i, r := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		in.writeType(&b, r)
	}
	b.WriteString("]}")
	sum := sha256.Sum256([]byte(b.String()))
	return "RIHS01_" + hex.EncodeToString(sum[:]), nil
}

func (in Interfaces) writeType(b *strings.Builder, name string) {
	fmt.Fprintf(b, `{"type_name": %s, "fields": [`, strconv.QuoteToASCII(name))
	for i, f := range in[name] {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(b, `{"name": %s, "type": {"type_id": %d, "capacity": %d, "string_capacity": %d, "nested_type_name": %s}}`,
			strconv.QuoteToASCII(f.Name), f.TypeID, f.Capacity, f.StringCapacity, strconv.QuoteToASCII(f.Nested))
	}
	b.WriteString("]}")
}

// TypeHashUserData is the USER_DATA entry rmw_dds_common puts on an
// endpoint for its type hash.
func TypeHashUserData(hash string) string {
	if hash == "" {
		return ""
	}
	return "typehash=" + hash + ";"
}
