package console

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
)

// textHandler is --log-format text: one line per record in the shape people
// expect from a command-line tool and grep can still take apart:
//
//	azvalidate: warning: key file k is readable by others (mode -rw-r--r--); chmod 600 it
//	azvalidate: progress rows=12345 percent=45 rows_per_second=1234
//
// The time is left out: a terminal does not need it and log collectors add
// their own. Each record is one Write, so w must serialise writes itself
// (validate's stderr is a LockedWriter, shared with the progress line).
type textHandler struct {
	w     io.Writer
	attrs string // preformatted attributes of With
}

func newTextHandler(w io.Writer) *textHandler { return &textHandler{w: w} }

func (h *textHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }

func (h *textHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString("azvalidate: ")
	switch {
	case r.Level >= slog.LevelError:
		b.WriteString("error: ")
	case r.Level >= slog.LevelWarn:
		b.WriteString("warning: ")
	}
	b.WriteString(r.Message)
	b.WriteString(h.attrs)
	r.Attrs(func(a slog.Attr) bool {
		appendAttr(&b, a)
		return true
	})
	b.WriteByte('\n')
	_, err := io.WriteString(h.w, b.String())
	return err
}

func (h *textHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	var b strings.Builder
	b.WriteString(h.attrs)
	for _, a := range attrs {
		appendAttr(&b, a)
	}
	return &textHandler{w: h.w, attrs: b.String()}
}

// WithGroup is not used by azvalidate; groups are flattened.
func (h *textHandler) WithGroup(string) slog.Handler { return h }

// appendAttr writes " key=value", quoting values with spaces or quotes.
func appendAttr(b *strings.Builder, a slog.Attr) {
	v := a.Value.Resolve().String()
	b.WriteByte(' ')
	b.WriteString(a.Key)
	b.WriteByte('=')
	if v == "" || strings.ContainsAny(v, " \t\n\"=") {
		v = strconv.Quote(v)
	}
	b.WriteString(v)
}

// NewLogger is the run's logger on stderr: "azvalidate: ..." lines for people
// and line-oriented log pipelines, or one JSON object per line
// (--log-format json) for log collectors.
func NewLogger(w io.Writer, json bool) *slog.Logger {
	if json {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(newTextHandler(w))
}

// LockedWriter serialises writes to W from several goroutines: the log
// and the progress line share stderr.
type LockedWriter struct {
	mu sync.Mutex
	W  io.Writer
}

func (l *LockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.W.Write(p)
}
