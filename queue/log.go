package queue

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/redis/go-redis/v9"
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

// redisLogger writes go-redis's own messages to slog, tagged
// component=redis. go-redis gives them no level and by default logs only
// trouble (a failed dial, a bad pooled connection, Sentinel failing to name
// a master), so they are warnings.
type redisLogger struct{ l *slog.Logger }

func (r redisLogger) Printf(ctx context.Context, format string, v ...any) {
	if ctx == nil {
		ctx = context.Background()
	}
	msg := strings.TrimPrefix(strings.TrimSpace(fmt.Sprintf(format, v...)), "redis: ")
	r.l.Log(ctx, slog.LevelWarn, msg)
}

// LogRedisTo sends go-redis's messages, which it would otherwise print to
// stderr in a format of its own, to l. go-redis keeps one logger per
// process, so the composition root calls this once.
func LogRedisTo(l *slog.Logger) {
	redis.SetLogger(redisLogger{l.With("component", "redis")})
}
