package node

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"osr/config"
)

// Settings is the node's configuration as parameters: read by the
// transports' parameter interfaces, set at start from ROS parameters and
// live between frames.
type Settings struct {
	mu       sync.Mutex
	cfg      config.Config
	params   []Param
	apply    func(config.Config) error
	watchers []func(changed []string)
}

// NewSettings holds cfg, which must be valid. ROS 2-only parameters are
// listed only for the ros2 transport.
func NewSettings(cfg config.Config) *Settings {
	s := &Settings{cfg: cfg}
	for _, p := range ParamTable() {
		if !p.ROS2 || cfg.Node.Transport == "ros2" {
			s.params = append(s.params, p)
		}
	}
	return s
}

// Params lists the parameters in the table's order.
func (s *Settings) Params() []Param { return slices.Clone(s.params) }

// Lookup finds a parameter by name.
func (s *Settings) Lookup(name string) (Param, bool) {
	for _, p := range s.params {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

// Get reads a parameter: bool, int64, float64 or string.
func (s *Settings) Get(name string) (any, error) {
	p, ok := s.Lookup(name)
	if !ok {
		return nil, fmt.Errorf("no parameter %q (osr has: %s)", name, s.names())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return p.value(&s.cfg), nil
}

// Config is the configuration in effect.
func (s *Settings) Config() config.Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg
}

// OnApply sets what a live change runs before it takes effect (rescoring
// the engine, say). An error refuses the change and keeps the old values.
func (s *Settings) OnApply(fn func(config.Config) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apply = fn
}

// Watch adds fn, called with the changed names after each live change.
func (s *Settings) Watch(fn func(changed []string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.watchers = append(s.watchers, fn)
}

// Init applies values before the node starts; read-only parameters are
// allowed. All or none: any bad value refuses them all.
func (s *Settings) Init(values map[string]any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cfg, _, err := s.merged(values, false)
	if err != nil {
		return err
	}
	s.cfg = cfg
	return nil
}

// Set changes live parameters, all or none: an unknown name, a read-only
// parameter, a wrong type or an invalid value refuses the whole change
// with the reason, as does a failing OnApply. Watchers run afterwards.
func (s *Settings) Set(values map[string]any) error {
	s.mu.Lock()
	cfg, changed, err := s.merged(values, true)
	if err == nil && len(changed) > 0 && s.apply != nil {
		err = s.apply(cfg)
	}
	if err != nil || len(changed) == 0 {
		s.mu.Unlock()
		return err
	}
	s.cfg = cfg
	watchers := slices.Clone(s.watchers)
	s.mu.Unlock()
	for _, w := range watchers {
		w(changed)
	}
	return nil
}

// merged is the configuration with values applied and checked, and the
// names whose value changed.
func (s *Settings) merged(values map[string]any, live bool) (config.Config, []string, error) {
	cfg := s.cfg
	cfg.Overlay.OutlierColor = slices.Clone(cfg.Overlay.OutlierColor)
	var errs []error
	var changed []string
	for name, v := range values {
		p, ok := s.Lookup(name)
		if !ok {
			errs = append(errs, fmt.Errorf("no parameter %q (osr has: %s)", name, s.names()))
			continue
		}
		old := p.value(&cfg)
		if err := p.set(&cfg, v); err != nil {
			errs = append(errs, err)
			continue
		}
		if p.value(&cfg) == old {
			continue
		}
		if live && !p.Live {
			errs = append(errs, fmt.Errorf("%s is read-only while the node runs: set it at start (config file, -p %s:=... or _%s:=...) and restart", name, name, name))
			continue
		}
		changed = append(changed, name)
	}
	if len(errs) == 0 {
		if err := cfg.Validate(); err != nil {
			errs = append(errs, s.byName(err))
		}
	}
	sort.Strings(changed)
	return cfg, changed, errors.Join(errs...)
}

// byName rewrites config keys in a validation error as parameter names.
func (s *Settings) byName(err error) error {
	msg := err.Error()
	for _, p := range s.params {
		msg = strings.ReplaceAll(msg, p.Key+":", p.Name+":")
	}
	return errors.New(msg)
}

func (s *Settings) names() string {
	var n []string
	for _, p := range s.params {
		n = append(n, p.Name)
	}
	return strings.Join(n, ", ")
}
