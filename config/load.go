package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
	"gopkg.in/yaml.v3"
)

// EnvPrefix prefixes environment overrides: OSR_RUNTIME_DEVICE=cuda.
const EnvPrefix = "OSR"

// Load builds the configuration from defaults, then the YAML file (if path
// is not empty), then OSR_* environment variables, then the flags in fs
// that were set and are named in flagKeys (flag name -> config key).
func Load(path string, fs *pflag.FlagSet, flagKeys map[string]string) (Config, error) {
	src := "defaults"
	v := viper.New()
	setDefaults(v, "", reflect.ValueOf(Default()))
	if path != "" {
		src = path
		if err := checkFile(path); err != nil {
			return Config{}, err
		}
		v.SetConfigFile(path)
		v.SetConfigType("yaml")
		if err := v.ReadInConfig(); err != nil {
			return Config{}, fmt.Errorf("config %s: %w", path, err)
		}
	}
	v.SetEnvPrefix(EnvPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	fromFlag := map[string]string{}
	for name, key := range flagKeys {
		if f := fs.Lookup(name); f != nil && f.Changed {
			if err := v.BindPFlag(key, f); err != nil {
				return Config{}, fmt.Errorf("flag --%s: %w", name, err)
			}
			fromFlag[key] = "--" + name
		}
	}
	var c Config
	err := v.Unmarshal(&c, func(dc *mapstructure.DecoderConfig) {
		dc.ErrorUnused = true
		dc.WeaklyTypedInput = true
		dc.DecodeHook = decodeHooks
	})
	if err != nil {
		return Config{}, fmt.Errorf("config %s (with OSR_* environment and flags): %w", src, err)
	}
	if len(c.Node.Cameras) == 0 {
		c.Node.Cameras = nil // "cameras: []" is the default, no cameras
	}
	if err := c.Validate(); err != nil {
		nameSources(err, func(key string) string {
			if f, ok := fromFlag[key]; ok {
				return f
			}
			if env := EnvVar(key); os.Getenv(env) != "" {
				return env
			}
			if path != "" && v.InConfig(key) {
				return path
			}
			return ""
		})
		return Config{}, fmt.Errorf("config %s (with OSR_* environment and flags): %w", src, err)
	}
	return c, nil
}

// EnvVar is the environment variable that overrides a config key:
// preprocess.resize -> OSR_PREPROCESS_RESIZE.
func EnvVar(key string) string {
	return EnvPrefix + "_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// nameSources fills in where each bad value came from, by the precedence
// Load merges them in: flag, then environment, then file.
func nameSources(err error, source func(key string) string) {
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	for _, e := range errs {
		var ke *KeyError
		if errors.As(e, &ke) {
			ke.Source = source(ke.Key)
		}
	}
}

// checkFile reports unknown keys and YAML syntax errors with the file name
// and line, before viper merges the file with everything else.
func checkFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	if len(doc.Content) == 0 {
		return nil
	}
	known := map[string]bool{}
	knownKeys(known, "", reflect.TypeOf(Config{}))
	var errs []error
	walkKeys(doc.Content[0], "", func(key string, line int) bool {
		if !known[key] {
			errs = append(errs, fmt.Errorf("%s:%d: unknown key %q (known: %s)", path, line, key, nearKeys(known, key)))
			return false
		}
		return true
	})
	if len(errs) > 0 {
		return fmt.Errorf("config %s: %w", path, errors.Join(errs...))
	}
	return nil
}

// walkKeys calls fn for every leaf or section key of a YAML mapping. It does
// not descend into a key that is itself unknown, to report it once.
func walkKeys(n *yaml.Node, prefix string, fn func(key string, line int) bool) {
	if n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key := prefix + n.Content[i].Value
		if fn(key, n.Content[i].Line) {
			walkKeys(n.Content[i+1], key+".", fn)
		}
	}
}

func knownKeys(known map[string]bool, prefix string, t reflect.Type) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		key := prefix + f.Tag.Get("mapstructure")
		known[key] = true
		if f.Type.Kind() == reflect.Struct {
			knownKeys(known, key+".", f.Type)
		}
	}
}

// nearKeys lists the known keys in the same section as key, for the hint.
func nearKeys(known map[string]bool, key string) string {
	section := ""
	if i := strings.LastIndex(key, "."); i >= 0 {
		section = key[:i+1]
	}
	var near []string
	for k := range known {
		if strings.HasPrefix(k, section) && !strings.Contains(k[len(section):], ".") {
			near = append(near, k)
		}
	}
	sort.Strings(near)
	return strings.Join(near, ", ")
}

func setDefaults(v *viper.Viper, prefix string, val reflect.Value) {
	t := val.Type()
	for i := 0; i < t.NumField(); i++ {
		key := prefix + t.Field(i).Tag.Get("mapstructure")
		if t.Field(i).Type.Kind() == reflect.Struct {
			setDefaults(v, key+".", val.Field(i))
			continue
		}
		v.SetDefault(key, val.Field(i).Interface())
	}
}
