package cluster

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/sirupsen/logrus"
)

// RouteSwarmkitLogs sends what swarmkit (and etcd's raft through it)
// logs with logrus's standard logger to log, at the same levels, so
// wharfd has one log format. swarmkit's chatty info lines become debug
// ones: a daemon's log should not grow with every raft tick or
// dispatcher session. It changes logrus's process-wide logger, so only
// the composition root calls it, once.
func RouteSwarmkitLogs(log *slog.Logger) {
	l := logrus.StandardLogger()
	l.SetOutput(io.Discard)
	// Below warnings everything is debug here: let logrus drop it early
	// unless the daemon logs debug.
	l.SetLevel(logrus.WarnLevel)
	if log.Enabled(context.Background(), slog.LevelDebug) {
		l.SetLevel(logrus.DebugLevel)
	}
	l.AddHook(slogHook{log: log.With("component", "swarmkit")})
}

type slogHook struct{ log *slog.Logger }

func (slogHook) Levels() []logrus.Level { return logrus.AllLevels }

func (h slogHook) Fire(e *logrus.Entry) error {
	level := slog.LevelDebug
	switch e.Level {
	case logrus.PanicLevel, logrus.FatalLevel, logrus.ErrorLevel:
		level = slog.LevelError
	case logrus.WarnLevel:
		level = slog.LevelWarn
	}
	ctx := e.Context
	if ctx == nil {
		ctx = context.Background()
	}
	if !h.log.Enabled(ctx, level) {
		return nil
	}
	attrs := make([]any, 0, 2*len(e.Data))
	for k, v := range e.Data {
		if err, ok := v.(error); ok {
			v = err.Error()
		}
		attrs = append(attrs, k, fmt.Sprint(v))
	}
	h.log.Log(ctx, level, e.Message, attrs...)
	return nil
}
