package queue

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/logging"
)

// syncBuffer is a bytes.Buffer for a handler written from go-redis's
// goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRedisLogsGoToSlog: go-redis's own message about a failed dial comes
// out of the process's slog handler, as a structured warning.
func TestRedisLogsGoToSlog(t *testing.T) {
	var out syncBuffer
	LogRedisTo(slog.New(slog.NewJSONHandler(&out, nil)))
	t.Cleanup(logging.Enable) // go-redis's own stderr logger again

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nobody answers there now
	client := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	defer client.Close()
	if err := client.Ping(context.Background()).Err(); err == nil {
		t.Fatal("ping of a closed port succeeded")
	}

	var rec map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(out.String()), "\n") {
		var r map[string]any
		if json.Unmarshal([]byte(line), &r) == nil && r["component"] == "redis" && strings.Contains(r["msg"].(string), "dial") {
			rec = r
		}
	}
	if rec == nil {
		t.Fatalf("no go-redis dial failure in the slog output:\n%s", out.String())
	}
	if rec["level"] != "WARN" || strings.HasPrefix(rec["msg"].(string), "redis: ") {
		t.Errorf("record = %v, want a WARN without go-redis's own prefix", rec)
	}
}
