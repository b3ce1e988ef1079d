package ros1

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/bluenviron/goroslib/v2"
	"github.com/bluenviron/goroslib/v2/pkg/msg"

	"osr/node"
)

// loggerName is osr's logger as ~get_loggers lists it, named as roscpp
// names a package's logger.
const loggerName = "ros.osr"

// rosoutHandler sends each record to next (the console) and, while the
// node is registered, to /rosout, at the level ~set_logger_level sets.
// goroslib's node is created at info level, so /rosout carries info and
// above; debug lines reach the console only.
type rosoutHandler struct {
	next  slog.Handler
	level *slog.LevelVar
	node  func() *goroslib.Node // nil between registrations
	attrs string                // " key=value" of WithAttrs, for /rosout
	group string                // prefix of attribute keys
}

func (h *rosoutHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level.Level() }

func (h *rosoutHandler) Handle(ctx context.Context, r slog.Record) error {
	// Built-in handlers check the level in Enabled only, so next writes
	// debug lines once ~set_logger_level allows them.
	err := h.next.Handle(ctx, r)
	if n := h.node(); n != nil && r.Level >= slog.LevelInfo {
		var b strings.Builder
		b.WriteString(r.Message)
		b.WriteString(h.attrs)
		r.Attrs(func(a slog.Attr) bool {
			writeAttr(&b, h.group, a)
			return true
		})
		n.Log(goroslibLevel(r.Level), "%s", b.String())
	}
	return err
}

func (h *rosoutHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.next = h.next.WithAttrs(as)
	var b strings.Builder
	for _, a := range as {
		writeAttr(&b, h.group, a)
	}
	c.attrs += b.String()
	return &c
}

func (h *rosoutHandler) WithGroup(name string) slog.Handler {
	c := *h
	c.next = h.next.WithGroup(name)
	c.group += name + "."
	return &c
}

func writeAttr(b *strings.Builder, group string, a slog.Attr) {
	v := a.Value.Resolve()
	if v.Kind() == slog.KindGroup {
		for _, g := range v.Group() {
			writeAttr(b, group+a.Key+".", g)
		}
		return
	}
	s := v.String()
	if s == "" || strings.ContainsAny(s, " \"=\n") {
		s = fmt.Sprintf("%q", s)
	}
	fmt.Fprintf(b, " %s%s=%s", group, a.Key, s)
}

func goroslibLevel(l slog.Level) goroslib.LogLevel {
	switch {
	case l >= slog.LevelError:
		return goroslib.LogLevelError
	case l >= slog.LevelWarn:
		return goroslib.LogLevelWarn
	case l >= slog.LevelInfo:
		return goroslib.LogLevelInfo
	}
	return goroslib.LogLevelDebug
}

// The roscpp services behind rosconsole and rqt_logger_level.
type (
	Logger struct {
		msg.Package `ros:"roscpp"`
		Name        string
		Level       string
	}
	GetLoggersReq struct {
		msg.Package `ros:"roscpp"`
	}
	GetLoggersRes struct {
		msg.Package `ros:"roscpp"`
		Loggers     []Logger
	}
	GetLoggers struct {
		msg.Package `ros:"roscpp"`
		GetLoggersReq
		GetLoggersRes
	}
	SetLoggerLevelReq struct {
		msg.Package `ros:"roscpp"`
		Logger      string
		Level       string
	}
	SetLoggerLevelRes struct {
		msg.Package `ros:"roscpp"`
	}
	SetLoggerLevel struct {
		msg.Package `ros:"roscpp"`
		SetLoggerLevelReq
		SetLoggerLevelRes
	}
)

// levels are roscpp's level names, as get_loggers reports them.
var levels = []struct {
	name  string
	level slog.Level
}{
	{"debug", slog.LevelDebug}, {"info", slog.LevelInfo}, {"warn", slog.LevelWarn},
	{"error", slog.LevelError}, {"fatal", slog.LevelError + 4},
}

// loggers answers ~get_loggers.
func loggers(v *slog.LevelVar) *GetLoggersRes {
	name := levels[len(levels)-1].name
	for _, l := range levels {
		if v.Level() <= l.level {
			name = l.name
			break
		}
	}
	return &GetLoggersRes{Loggers: []Logger{{Name: loggerName, Level: name}}}
}

// setLevel answers ~set_logger_level: the logger must be osr's and the
// level one of roscpp's (any case); a refusal fails the call.
func setLevel(v *slog.LevelVar, req *SetLoggerLevelReq) error {
	if req.Logger != loggerName {
		return fmt.Errorf("unknown logger %q: this node has %s", req.Logger, loggerName)
	}
	for _, l := range levels {
		if strings.EqualFold(req.Level, l.name) {
			v.Set(l.level)
			return nil
		}
	}
	return fmt.Errorf("unknown level %q: want debug, info, warn, error or fatal", req.Level)
}

// loggerServices provides ~get_loggers and ~set_logger_level. A refused
// request is logged and answered as done: goroslib (v2.1.5) sends a failed
// call without its error text, and rospy clients then wait forever.
// rosconsole checks the logger and the level before it calls.
func loggerServices(rn *goroslib.Node, names node.Names, v *slog.LevelVar, log *slog.Logger) ([]*goroslib.ServiceProvider, error) {
	get, err := goroslib.NewServiceProvider(goroslib.ServiceProviderConf{
		Node: rn, Name: names.Resolve("~get_loggers"), Srv: &GetLoggers{},
		Callback: func(*GetLoggersReq) (*GetLoggersRes, bool) { return loggers(v), true },
	})
	if err != nil {
		return nil, fmt.Errorf("service ~get_loggers: %w", err)
	}
	set, err := goroslib.NewServiceProvider(goroslib.ServiceProviderConf{
		Node: rn, Name: names.Resolve("~set_logger_level"), Srv: &SetLoggerLevel{},
		Callback: func(req *SetLoggerLevelReq) (*SetLoggerLevelRes, bool) {
			if err := setLevel(v, req); err != nil {
				log.Warn("~set_logger_level refused", "err", err)
			}
			return &SetLoggerLevelRes{}, true
		},
	})
	if err != nil {
		get.Close()
		return nil, fmt.Errorf("service ~set_logger_level: %w", err)
	}
	return []*goroslib.ServiceProvider{get, set}, nil
}
