package queue

import (
	"context"
	"fmt"
	"log/slog"
	"os"
)

// asynqLogger writes Asynq's own messages to slog, tagged component=asynq.
type asynqLogger struct{ l *slog.Logger }

func newAsynqLogger(l *slog.Logger) asynqLogger {
	return asynqLogger{l.With("component", "asynq")}
}

func (a asynqLogger) log(level slog.Level, args []any) {
	ctx := context.Background()
	if a.l.Enabled(ctx, level) {
		a.l.Log(ctx, level, fmt.Sprint(args...))
	}
}

func (a asynqLogger) Debug(args ...any) { a.log(slog.LevelDebug, args) }
func (a asynqLogger) Info(args ...any)  { a.log(slog.LevelInfo, args) }
func (a asynqLogger) Warn(args ...any)  { a.log(slog.LevelWarn, args) }
func (a asynqLogger) Error(args ...any) { a.log(slog.LevelError, args) }

// Fatal logs at error level and exits, as the asynq.Logger contract asks.
func (a asynqLogger) Fatal(args ...any) {
	a.log(slog.LevelError+4, args)
	os.Exit(1)
}
