package ros1

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/bluenviron/goroslib/v2"
	"github.com/bluenviron/goroslib/v2/pkg/serviceproc"
)

// The service types must match roscpp's, or rosconsole's calls are refused.
func TestLoggerServiceTypesMatchRoscpp(t *testing.T) {
	// roscpp/GetLoggers and roscpp/SetLoggerLevel, as python3-roscpp-msg has them.
	for _, tc := range []struct {
		srv  any
		want string
	}{
		{GetLoggers{}, "32e97e85527d4678a8f9279894bb64b0"},
		{SetLoggerLevel{}, "51da076440d78ca1684d36c868df61ea"},
	} {
		srv, want := tc.srv, tc.want
		typ, _ := serviceproc.Type(srv)
		if got, err := serviceproc.MD5(srv); err != nil || got != want {
			t.Errorf("%s: md5 %s (%v), want %s", typ, got, err, want)
		}
		if !strings.HasPrefix(typ, "roscpp/") {
			t.Errorf("type %s, want roscpp/...", typ)
		}
	}
}

func TestSetLoggerLevel(t *testing.T) {
	v := new(slog.LevelVar)
	if got := loggers(v).Loggers; len(got) != 1 || got[0] != (Logger{Name: "ros.osr", Level: "info"}) {
		t.Fatalf("loggers %+v", got)
	}
	for _, tc := range []struct {
		logger, level, want string // want "" = refused
	}{
		{"ros.osr", "DEBUG", "debug"},
		{"ros.osr", "warn", "warn"},
		{"ros.osr", "Fatal", "fatal"},
		{"ros.osr", "verbose", ""},
		{"ros.roscpp", "debug", ""},
	} {
		before := loggers(v).Loggers[0].Level
		err := setLevel(v, &SetLoggerLevelReq{Logger: tc.logger, Level: tc.level})
		got := loggers(v).Loggers[0].Level
		switch {
		case tc.want == "" && (err == nil || got != before):
			t.Errorf("%s %s: accepted (level %s)", tc.logger, tc.level, got)
		case tc.want != "" && (err != nil || got != tc.want):
			t.Errorf("%s %s: level %s, err %v; want %s", tc.logger, tc.level, got, err, tc.want)
		}
	}
}

// The handler's level, not the console handler's, decides what is written,
// and attributes reach /rosout's text as key=value.
func TestRosoutHandlerLevelAndText(t *testing.T) {
	var buf bytes.Buffer
	v := new(slog.LevelVar)
	h := &rosoutHandler{next: slog.NewTextHandler(&buf, nil), level: v, node: func() *goroslib.Node { return nil }}
	log := slog.New(h).With("node", "/robot1/osr")
	log.Debug("hidden")
	v.Set(slog.LevelDebug)
	log.Debug("shown")
	v.Set(slog.LevelError)
	log.Warn("hidden too")
	out := buf.String()
	if strings.Contains(out, "hidden") || !strings.Contains(out, "msg=shown node=/robot1/osr") {
		t.Errorf("console output:\n%s", out)
	}
	var b strings.Builder
	writeAttr(&b, "", slog.Group("g", slog.String("reason", "new node registered"), slog.Int("n", 2)))
	if b.String() != ` g.reason="new node registered" g.n=2` {
		t.Errorf("attribute text %q", b.String())
	}
	if !h.Enabled(context.Background(), slog.LevelError) || h.Enabled(context.Background(), slog.LevelWarn) {
		t.Error("Enabled does not follow the level")
	}
}

func TestNamespace(t *testing.T) {
	for _, tc := range []struct{ config, env, arg, want string }{
		{"/", "", "", "/"},
		{"/fleet", "", "", "/fleet"},
		{"/", "/robot1", "", "/robot1"}, // roslaunch <group ns="robot1">
		{"/", "robot1/", "", "/robot1"},
		{"/fleet", "/robot1", "/robot2", "/robot2"}, // __ns:= wins
		{"/", "/a/b", "c", "/c"},
	} {
		if got := namespace(tc.config, tc.env, tc.arg); got != tc.want {
			t.Errorf("namespace(%q, %q, %q) = %q, want %q", tc.config, tc.env, tc.arg, got, tc.want)
		}
	}
}
