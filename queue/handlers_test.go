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

func (s *stubWorker) RunBot(_ context.Context, id string) error { s.got = "bot " + id; return s.err }
func (s *stubWorker) Route(_ context.Context, id string) error  { s.got = "route " + id; return s.err }
func (s *stubWorker) Deliver(_ context.Context, id string) error {
	s.got = "deliver " + id
	return s.err
}
func (s *stubWorker) FailDelivery(_ context.Context, id, _ string) error {
	s.got += ", failed " + id
	return nil
}
func (s *stubWorker) FetchMedia(_ context.Context, id string) error {
	s.got = "fetch " + id
	return s.err
}
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
	fetch := mk(func() (*asynq.Task, error) { return NewMediaFetchTask("a1", "ingest") })
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
		{"media fetch", fetch, nil, "fetch a1", nil, false},
		{"media fetch retried", fetch, boom, "fetch a1", boom, false},
		{"media fetch without id", asynq.NewTask(TypeMediaFetch, []byte(`{"cause":"ingest"}`)), nil, "", asynq.SkipRetry, true},
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
	// A provider's retry_after: the retry waits at least that long, at
	// most an hour; a shorter one leaves the backoff as it is.
	for _, c := range []struct {
		n          int
		wait, want time.Duration
	}{
		{0, 30 * time.Second, 30 * time.Second},
		{3, 2 * time.Second, 8 * time.Second},
		{9, 20 * time.Minute, 20 * time.Minute},
		{0, 5 * time.Hour, time.Hour},
	} {
		err := fmt.Errorf("deliver message m1 on tg: %w", waitErr(c.wait))
		if d := retryDelay(c.n, err, deliver); d != c.want {
			t.Errorf("retry %d after a %s wait: delay %s, want %s", c.n, c.wait, d, c.want)
		}
	}
}

// waitErr is a send error that asks for a wait (core.RetryAfter).
type waitErr time.Duration

func (w waitErr) Error() string             { return "rate limited" }
func (w waitErr) RetryAfter() time.Duration { return time.Duration(w) }

// botsWorker records RunBot calls; errs gives the error of some ids.
type botsWorker struct {
	stubWorker
	ran  []string
	errs map[string]error
}

func (b *botsWorker) RunBot(_ context.Context, id string) error {
	b.ran = append(b.ran, id)
	return b.errs[id]
}

// A conv:bot task of several messages takes them in order; one that fails
// does not hold up the rest, and the task is retried with its error.
func TestBotBatchHandler(t *testing.T) {
	boom := errors.New("database down")
	gone := fmt.Errorf("run bot: %w", core.ErrNotFound)
	cases := []struct {
		name      string
		payload   string
		errs      map[string]error
		ran       string
		wantErr   error
		skipRetry bool
	}{
		{"in order", `{"message_id":"a","message_ids":["b","c"]}`, nil, "a b c", nil, false},
		{"a failure is retried after the rest ran", `{"message_id":"a","message_ids":["b","c"]}`, map[string]error{"b": boom}, "a b c", boom, false},
		{"a stale message is skipped", `{"message_id":"a","message_ids":["b","c"]}`, map[string]error{"a": gone}, "a b c", nil, false},
		{"an empty id in the list is refused", `{"message_id":"a","message_ids":["b",""]}`, nil, "", asynq.SkipRetry, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := &botsWorker{errs: tc.errs}
			h := NewHandler(w, slog.New(slog.NewTextHandler(io.Discard, nil)))
			err := h.ProcessTask(context.Background(), asynq.NewTask(TypeBot, []byte(tc.payload)))
			if got := strings.Join(w.ran, " "); got != tc.ran {
				t.Errorf("ran %q, want %q", got, tc.ran)
			}
			if (tc.wantErr == nil) != (err == nil) || (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if got := errors.Is(err, asynq.SkipRetry); got != tc.skipRetry {
				t.Fatalf("SkipRetry = %v, want %v", got, tc.skipRetry)
			}
		})
	}
}

// groupWorker also takes a group's turns at once; fail makes that fail.
type groupWorker struct {
	botsWorker
	groups [][]string
	fail   error
}

func (g *groupWorker) RunBots(_ context.Context, ids []string) error {
	g.groups = append(g.groups, ids)
	return g.fail
}

// A worker that takes a group at once gets the whole task in one call; if
// that fails, each message is taken alone so one cannot hold up the rest.
func TestBotGroupHandler(t *testing.T) {
	boom := errors.New("deadlock detected")
	cases := []struct {
		name    string
		payload string
		fail    error
		errs    map[string]error
		groups  string
		ran     string
		wantErr error
	}{
		{"the group at once", `{"message_id":"a","message_ids":["b","c"]}`, nil, nil, "[a b c]", "", nil},
		{"one message alone", `{"message_id":"a"}`, nil, nil, "", "a", nil},
		{"a failed group is taken one by one", `{"message_id":"a","message_ids":["b","c"]}`, boom, nil, "[a b c]", "a b c", nil},
		{"what still fails alone is retried", `{"message_id":"a","message_ids":["b","c"]}`, boom, map[string]error{"c": boom}, "[a b c]", "a b c", boom},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := &groupWorker{botsWorker: botsWorker{errs: tc.errs}, fail: tc.fail}
			h := NewHandler(w, slog.New(slog.NewTextHandler(io.Discard, nil)))
			err := h.ProcessTask(context.Background(), asynq.NewTask(TypeBot, []byte(tc.payload)))
			var groups []string
			for _, g := range w.groups {
				groups = append(groups, fmt.Sprint(g))
			}
			if got := strings.Join(groups, " "); got != tc.groups {
				t.Errorf("groups %q, want %q", got, tc.groups)
			}
			if got := strings.Join(w.ran, " "); got != tc.ran {
				t.Errorf("one by one %q, want %q", got, tc.ran)
			}
			if (tc.wantErr == nil) != (err == nil) || (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
		})
	}
}

func TestBotBatchTask(t *testing.T) {
	task, err := NewBotBatchTask([]string{"m1", "m2", "m3"})
	if err != nil || string(task.Payload()) != `{"message_id":"m1","message_ids":["m2","m3"]}` {
		t.Fatalf("task = %s, %v", task.Payload(), err)
	}
	for _, ids := range [][]string{nil, {"m1", ""}} {
		if _, err := NewBotBatchTask(ids); !errors.Is(err, errEmptyID) {
			t.Errorf("NewBotBatchTask(%q) = %v, want errEmptyID", ids, err)
		}
	}
}

// fetchesWorker records FetchMedia calls; errs gives the error of some ids.
type fetchesWorker struct {
	stubWorker
	ran  []string
	errs map[string]error
}

func (f *fetchesWorker) FetchMedia(_ context.Context, id string) error {
	f.ran = append(f.ran, id)
	return f.errs[id]
}

// A media:fetch task of several files fetches them in turn; one that
// fails does not hold up the rest, and the task is retried with its
// error (the retry finds the others ready: FetchMedia leaves them).
func TestMediaFetchBatchHandler(t *testing.T) {
	boom := errors.New("provider answered 503")
	cases := []struct {
		name      string
		payload   string
		errs      map[string]error
		ran       string
		wantErr   error
		skipRetry bool
	}{
		{"one file", `{"attachment_id":"a","cause":"ingest"}`, nil, "a", nil, false},
		{"in order", `{"attachment_id":"a","attachment_ids":["b","c"],"cause":"ingest"}`, nil, "a b c", nil, false},
		{"a failure is retried after the rest ran", `{"attachment_id":"a","attachment_ids":["b","c"]}`, map[string]error{"b": boom}, "a b c", boom, false},
		{"an empty id in the list is refused", `{"attachment_id":"a","attachment_ids":["b",""]}`, nil, "", asynq.SkipRetry, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := &fetchesWorker{errs: tc.errs}
			h := NewHandler(w, slog.New(slog.NewTextHandler(io.Discard, nil)))
			err := h.ProcessTask(context.Background(), asynq.NewTask(TypeMediaFetch, []byte(tc.payload)))
			if got := strings.Join(w.ran, " "); got != tc.ran {
				t.Errorf("fetched %q, want %q", got, tc.ran)
			}
			if (tc.wantErr == nil) != (err == nil) || (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if got := errors.Is(err, asynq.SkipRetry); got != tc.skipRetry {
				t.Fatalf("SkipRetry = %v, want %v", got, tc.skipRetry)
			}
		})
	}
}

func TestMediaFetchBatchTask(t *testing.T) {
	task, err := NewMediaFetchBatchTask([]string{"a1", "a2", "a3"}, "ingest")
	if err != nil || string(task.Payload()) != `{"attachment_id":"a1","attachment_ids":["a2","a3"],"cause":"ingest"}` {
		t.Fatalf("task = %s, %v", task.Payload(), err)
	}
	single, _ := NewMediaFetchTask("a1", "ingest")
	if string(single.Payload()) != `{"attachment_id":"a1","cause":"ingest"}` {
		t.Errorf("a single fetch's payload changed: %s", single.Payload())
	}
	for _, ids := range [][]string{nil, {"a1", ""}} {
		if _, err := NewMediaFetchBatchTask(ids, "ingest"); !errors.Is(err, errEmptyID) {
			t.Errorf("NewMediaFetchBatchTask(%q) = %v, want errEmptyID", ids, err)
		}
	}
}
