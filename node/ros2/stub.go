//go:build !ros2

package ros2

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"osr/node"
)

// Built reports whether this binary has the ROS 2 transport.
const Built = false

// ErrNotBuilt is what New returns in a binary built without the ros2 tag.
var ErrNotBuilt = errors.New("node.transport ros2: this osr was built without the ROS 2 transport; " +
	"install Cyclone DDS (apt-get install cyclonedds-dev) and build with: go build -tags ros2 -o bin/osr ./cmd/osr " +
	"(bash scripts/setup.sh does both)")

// Transport is the ROS 2 transport's API; without the ros2 tag it cannot
// be created.
type Transport struct{}

// New reports ErrNotBuilt.
func New(Options) (*Transport, error) { return nil, ErrNotBuilt }

// Sinks are the pipeline's outputs on this transport.
func (t *Transport) Sinks() node.Sinks { return node.Sinks{} }

// Cameras are none.
func (t *Transport) Cameras() []node.Camera { return nil }

// Logger is the default logger.
func (t *Transport) Logger() *slog.Logger { return slog.Default() }

// Now is wall time.
func (t *Transport) Now() time.Time { return time.Now() }

// NodePath is the node's absolute name.
func (t *Transport) NodePath() string { return "" }

// Run reports ErrNotBuilt.
func (t *Transport) Run(context.Context, *node.Pipeline) error { return ErrNotBuilt }
