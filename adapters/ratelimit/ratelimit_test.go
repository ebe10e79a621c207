package ratelimit_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/adapters/ratelimit"
	"github.com/switchboard-chat/switchboard/queue"
)

func TestFailures(t *testing.T) {
	urls := map[string]string{"embedded": ""}
	if u := os.Getenv("SWITCHBOARD_TEST_REDIS_URL"); u != "" {
		urls["redis"] = u
	} else {
		t.Log("real-Redis variant skipped: set SWITCHBOARD_TEST_REDIS_URL to run it")
	}
	for name, url := range urls {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			conn, err := queue.Connect(ctx, url, queue.ConnectOptions{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			prefix := "rltest:" + time.Now().Format("150405.000000") + ":"
			f := ratelimit.NewFailures(conn.Client(), prefix, 3, time.Minute)
			defer func() {
				keys, _ := conn.Client().Keys(ctx, prefix+"*").Result()
				if len(keys) > 0 {
					conn.Client().Del(ctx, keys...)
				}
			}()
			for i := range 3 {
				if wait, err := f.Blocked(ctx, "ada@example.com"); err != nil || wait != 0 {
					t.Fatalf("before failure %d: blocked %s, %v", i+1, wait, err)
				}
				if err := f.Fail(ctx, "ada@example.com"); err != nil {
					t.Fatal(err)
				}
			}
			wait, err := f.Blocked(ctx, "ada@example.com")
			if err != nil || wait <= 0 || wait > time.Minute {
				t.Fatalf("after 3 failures: blocked %s, %v; want up to a minute", wait, err)
			}
			if wait, _ := f.Blocked(ctx, "bob@example.com"); wait != 0 {
				t.Fatalf("another key is blocked for %s", wait)
			}
			keys, _ := conn.Client().Keys(ctx, prefix+"*").Result()
			for _, k := range keys {
				if len(k) > len(prefix)+30 || k == prefix+"ada@example.com" {
					t.Fatalf("key %q holds the e-mail in the clear", k)
				}
			}
		})
	}
}
