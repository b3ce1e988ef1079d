package ros1

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/bluenviron/goroslib/v2"
	"github.com/bluenviron/goroslib/v2/pkg/apiparam"
	"github.com/bluenviron/goroslib/v2/pkg/xmlrpc"

	"osr/node"
)

// paramServer reads the node's private namespace on the parameter server
// (/ns/node/...), where roslaunch puts <param> and <rosparam> of the node.
type paramServer struct {
	names  *apiparam.Client
	values *xmlrpc.Client
	caller string
	prefix string // private namespace, with the trailing slash
}

func (t *Transport) paramServer() *paramServer {
	hc := &http.Client{Timeout: 3 * time.Second}
	caller := t.names.NodePath()
	return &paramServer{
		names:  apiparam.NewClient(t.master, caller, hc),
		values: xmlrpc.NewClient(t.master, hc),
		caller: caller,
		prefix: caller + "/",
	}
}

// getParamRes is a getParam response with any scalar value; a dictionary
// or a list fails to decode.
type getParamRes struct {
	Code          int
	StatusMessage string
	Res           any
}

// read returns the private parameters by name relative to the node
// ("threshold"; "a/b" for nested ones). Values that are not scalars (a
// list) are returned as nil: no setting takes one.
func (s *paramServer) read() (map[string]any, error) {
	all, err := s.names.GetParamNames()
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	for _, key := range all {
		name, ok := strings.CutPrefix(key, s.prefix)
		if !ok {
			continue
		}
		var res getParamRes
		if err := s.values.Do("getParam", apiparam.RequestGetParam{CallerID: s.caller, Key: key}, &res); err != nil || res.Code != 1 {
			out[name] = nil
			continue
		}
		out[name] = res.Res
	}
	return out, nil
}

// notScalar names a setting's parameter that holds a list on the server.
func notScalar(key string, p node.Param) error {
	return fmt.Errorf("parameter %s is a list; want a %s", key, p.Type)
}

// lookup finds a setting by its ROS name in the parameter table.
func lookup(name string) (node.Param, bool) {
	for _, p := range node.ParamTable() {
		if p.Name == name {
			return p, true
		}
	}
	return node.Param{}, false
}

// ServerParams waits for the ROS master and returns the node's private
// parameters on its parameter server (what roslaunch's <param> and
// <rosparam> under the node set), for the settings at start. A setting
// given as a list is an error; unknown names come back for the caller to
// warn about.
func ServerParams(ctx context.Context, opts Options) (map[string]any, error) {
	t, err := New(opts)
	if err != nil {
		return nil, err
	}
	s := t.paramServer()
	period := time.Duration(t.opts.ROS1.Watchdog * float64(time.Second))
	waiting := false
	for {
		values, err := s.read()
		if err == nil {
			for name, v := range values {
				if p, ok := lookup(name); ok && v == nil {
					return nil, notScalar(s.prefix+name, p)
				}
			}
			return values, nil
		}
		if !waiting {
			t.log.Warn("waiting for the ROS master", "master", t.master, "err", err)
			waiting = true
		}
		sleep(ctx, period/2)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
}

// paramWatch follows the private namespace while the node runs: a value
// that changed on the server (rosparam set /osr/threshold 0.9) is set live;
// refusals and unknown names are logged once per value.
type paramWatch struct {
	t       *Transport
	server  *paramServer
	seen    map[string]any // server values at the last poll
	warned  map[string]bool
	written bool // the command line's parameters are on the server
}

func (t *Transport) newParamWatch(initial map[string]any) *paramWatch {
	return &paramWatch{t: t, server: t.paramServer(), seen: initial, warned: map[string]bool{}}
}

// poll reads the namespace once and applies what changed since the last
// poll. Deleted parameters keep their value.
func (w *paramWatch) poll() {
	s := w.t.opts.Settings
	values, err := w.server.read()
	if err != nil {
		return // the watchdog reports an unreachable master
	}
	changed := map[string]any{}
	var unknown []string
	for name, v := range values {
		if old, ok := w.seen[name]; ok && reflect.DeepEqual(old, v) {
			continue
		}
		p, ok := s.Lookup(name)
		if !ok {
			if !w.warned[name] {
				unknown = append(unknown, name)
				w.warned[name] = true
			}
			continue
		}
		if v == nil {
			w.t.log.Warn("parameter change refused", "err", notScalar(w.server.prefix+name, p))
			continue
		}
		changed[name] = v
	}
	w.seen = values
	if len(unknown) > 0 {
		sort.Strings(unknown)
		w.t.log.Warn("ignoring unknown parameters", "namespace", w.server.prefix, "names", unknown)
	}
	if len(changed) == 0 {
		return
	}
	if err := s.Set(changed); err == nil {
		return
	}
	// All or none refused them together: apply each alone, so that one
	// bad value does not hold back the others, and name each refusal.
	// Passes repeat while one applies something, since a value may need
	// another first (objects_k above the old objects_n).
	names := make([]string, 0, len(changed))
	for name := range changed {
		names = append(names, name)
	}
	sort.Strings(names)
	refused := map[string]error{}
	for progress := true; progress; {
		progress = false
		clear(refused)
		for _, name := range names {
			if err := s.Set(map[string]any{name: changed[name]}); err != nil {
				refused[name] = err
			} else {
				progress = true
			}
		}
		names = slices.DeleteFunc(names, func(n string) bool { return refused[n] == nil })
	}
	for _, name := range names {
		w.t.log.Warn("parameter change refused", "name", w.server.prefix+name, "value", changed[name], "err", refused[name])
	}
}

// write puts the given settings on the server, as roscpp puts _name:=value
// arguments there, so that rosparam shows them; once per process.
func (w *paramWatch) write(rn *goroslib.Node, names []string) error {
	if w.written {
		return nil
	}
	w.written = true
	s := w.t.opts.Settings
	var errs []error
	slices.Sort(names)
	for _, name := range names {
		v, err := s.Get(name)
		if err != nil {
			continue // unknown: warned about at start
		}
		key := w.server.prefix + name
		switch v := v.(type) {
		case bool:
			err = rn.ParamSetBool(key, v)
		case int64:
			err = rn.ParamSetInt(key, int(v))
		case float64:
			err = rn.ParamSetFloat64(key, v)
		case string:
			err = rn.ParamSetString(key, v)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("set %s: %w", key, err))
			continue
		}
		w.seen[name] = v
		if i, ok := v.(int64); ok {
			w.seen[name] = int(i) // as the server returns it
		}
	}
	return errors.Join(errs...)
}
