//go:build ros2

package ros2

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync/atomic"

	"osr/msgs"
)

// rosout is a slog handler that also publishes each record on /rosout as
// rcl_interfaces/msg/Log, named as rcl names a node's logger (the node's
// fully qualified name with dots: osr, robot1.osr), so that ros2 topic
// echo /rosout and rqt_console show the node's log.
type rosout struct {
	inner slog.Handler
	t     *Transport
	w     *atomic.Int32 // the /rosout writer; 0 before Run and after it
	attrs string        // attributes of With, pre-formatted
	group string
}

func (h *rosout) Enabled(ctx context.Context, l slog.Level) bool { return h.inner.Enabled(ctx, l) }

func (h *rosout) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.inner = h.inner.WithAttrs(as)
	var b strings.Builder
	b.WriteString(h.attrs)
	for _, a := range as {
		fmt.Fprintf(&b, " %s%s=%v", h.group, a.Key, a.Value)
	}
	c.attrs = b.String()
	return &c
}

func (h *rosout) WithGroup(name string) slog.Handler {
	c := *h
	c.inner = h.inner.WithGroup(name)
	c.group += name + "."
	return &c
}

func (h *rosout) Handle(ctx context.Context, r slog.Record) error {
	err := h.inner.Handle(ctx, r)
	w := entity(h.w.Load())
	if w <= 0 || h.t.closed.Load() {
		return err
	}
	var b strings.Builder
	b.WriteString(r.Message)
	b.WriteString(h.attrs)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s%s=%v", h.group, a.Key, a.Value)
		return true
	})
	m := &msgs.Log{Stamp: h.t.Now(), Level: rosLevel(r.Level), Name: h.t.plan.Names.LoggerName(), Msg: b.String()}
	if r.PC != 0 {
		f, _ := runtime.CallersFrames([]uintptr{r.PC}).Next()
		m.File, m.Function, m.Line = f.File, f.Function, uint32(f.Line)
	}
	write(w, msgs.EncodeLogCDR(m)) // best effort: a lost log line must not fail the caller
	return err
}

// rosLevel maps slog's levels to rcl_interfaces/msg/Log's.
func rosLevel(l slog.Level) uint8 {
	switch {
	case l < slog.LevelInfo:
		return 10 // DEBUG
	case l < slog.LevelWarn:
		return 20 // INFO
	case l < slog.LevelError:
		return 30 // WARN
	case l < slog.LevelError+4:
		return 40 // ERROR
	}
	return 50 // FATAL
}
