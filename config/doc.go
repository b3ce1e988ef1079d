// Package config owns osr's configuration: the schema, its defaults, and
// loading it with viper from a YAML file, then OSR_* environment variables,
// then command-line flags, with validation that names the bad key and the
// file it came from.
package config
