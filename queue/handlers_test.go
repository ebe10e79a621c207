package queue

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/switchboard-chat/switchboard/core"
)

// stubWorker returns err from every method and records the id it got.
type stubWorker struct {
	err error
	got string
}

func (s *stubWorker) RunBot(_ context.Context, id string) error  { s.got = "bot " + id; return s.err }
func (s *stubWorker) Route(_ context.Context, id string) error   { s.got = "route " + id; return s.err }
func (s *stubWorker) Deliver(_ context.Context, id string) error { s.got = "deliver " + id; return s.err }
func (s *stubWorker) Sweep(context.Context) (core.SweepReport, error) {
	s.got = "sweep"
	return core.SweepReport{}, s.err
}

func TestHandler(t *testing.T) {
	mk := func(f func() (*asynq.Task, error)) *asynq.Task {
		task, err := f()
		if err != nil {
			t.Fatal(err)
		}
		return task
	}
	bot := mk(func() (*asynq.Task, error) { return NewBotTask("m1") })
	route := mk(func() (*asynq.Task, error) { return NewRouteTask("r1", "open") })
	deliver := mk(func() (*asynq.Task, error) { return NewDeliverTask("m2") })
	sweep := mk(func() (*asynq.Task, error) { return NewSweepTask(time.Unix(100, 0), 15*time.Second) })
	boom := errors.New("database down")

	cases := []struct {
		name      string
		task      *asynq.Task
		werr      error
		got       string
		wantErr   error // nil: success
		skipRetry bool
	}{
		{"bot", bot, nil, "bot m1", nil, false},
		{"route", route, nil, "route r1", nil, false},
		{"deliver", deliver, nil, "deliver m2", nil, false},
		{"sweep", sweep, nil, "sweep", nil, false},
		{"stale task", deliver, fmt.Errorf("deliver: %w", core.ErrNotFound), "deliver m2", nil, false},
		{"failure is retried", route, boom, "route r1", boom, false},
		{"bad json", asynq.NewTask(TypeBot, []byte("{")), nil, "", asynq.SkipRetry, true},
		{"missing id", asynq.NewTask(TypeDeliver, []byte(`{}`)), nil, "", asynq.SkipRetry, true},
		{"unknown field type", asynq.NewTask(TypeRoute, []byte(`{"request_id":5}`)), nil, "", asynq.SkipRetry, true},
		{"bad sweep payload", asynq.NewTask(TypeSweep, []byte(`[]`)), nil, "", asynq.SkipRetry, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := &stubWorker{err: tc.werr}
			h := NewHandler(w, slog.New(slog.NewTextHandler(io.Discard, nil)))
			err := h.ProcessTask(context.Background(), tc.task)
			if w.got != tc.got {
				t.Errorf("worker got %q, want %q", w.got, tc.got)
			}
			switch {
			case tc.wantErr == nil && err != nil:
				t.Fatalf("err = %v, want success", err)
			case tc.wantErr != nil && !errors.Is(err, tc.wantErr):
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if got := errors.Is(err, asynq.SkipRetry); got != tc.skipRetry {
				t.Fatalf("SkipRetry = %v, want %v (err %v)", got, tc.skipRetry, err)
			}
		})
	}
}

func TestTaskIDs(t *testing.T) {
	if _, err := NewBotTask(""); err == nil {
		t.Error("NewBotTask accepted an empty id")
	}
	if _, err := NewRouteTask("", "open"); err == nil {
		t.Error("NewRouteTask accepted an empty id")
	}
	task, err := NewSweepTask(time.Unix(1_000_000, 0), 15*time.Second)
	if err != nil || string(task.Payload()) != `{"period":66666}` {
		t.Fatalf("sweep task = %s, %v", task.Payload(), err)
	}
}

func TestRetryDelay(t *testing.T) {
	deliver := asynq.NewTask(TypeDeliver, nil)
	want := []time.Duration{1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300}
	for n, w := range want {
		if d := retryDelay(n, nil, deliver); d != w*time.Second {
			t.Errorf("deliver retry %d: delay %s, want %s", n, d, w*time.Second)
		}
	}
	route := asynq.NewTask(TypeRoute, nil)
	if d := retryDelay(20, nil, route); d != 10*time.Second {
		t.Errorf("route delay after 20 failures = %s, want 10s", d)
	}
	if d := retryDelay(1000, nil, asynq.NewTask("other:thing", nil)); d != time.Minute {
		t.Errorf("unknown type delay = %s, want 1m", d)
	}
}

func TestEmbeddedTTLsExpire(t *testing.T) {
	ctx := context.Background()
	conn, err := Connect(ctx, "", ConnectOptions{FastForwardEvery: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if !conn.Embedded() || conn.Ping(ctx) != nil {
		t.Fatalf("embedded = %v, ping = %v", conn.Embedded(), conn.Ping(ctx))
	}
	if err := conn.Client().Set(ctx, "k", "v", 100*time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for conn.Client().Exists(ctx, "k").Val() == 1 {
		if time.Now().After(deadline) {
			t.Fatal("a key with a 100 ms TTL still exists after 5 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestConnectURLs(t *testing.T) {
	for _, u := range []string{"mysql://x", "redis-sentinel://h:1", "host-without-port", "redis://%zz"} {
		if _, err := Connect(context.Background(), u, ConnectOptions{}); err == nil {
			t.Errorf("Connect(%q) succeeded", u)
		}
	}
	_, err := Connect(context.Background(), "redis://user:s3cret@127.0.0.1:1/0", ConnectOptions{})
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("unreachable Redis: err = %v (must fail without the password)", err)
	}
}
