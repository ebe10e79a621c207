package queue_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/switchboard-chat/switchboard/core"
	"github.com/switchboard-chat/switchboard/queue"
)

// The suite runs on the embedded Redis always, and on a real Redis when
// SWITCHBOARD_TEST_REDIS_URL is set (e.g. redis://127.0.0.1:6379/9). Every
// test uses its own namespace and deletes its queues: other packages may
// share the database, so nothing is flushed.
const redisEnv = "SWITCHBOARD_TEST_REDIS_URL"

// wait bounds every wait for something the queue should do.
const wait = 15 * time.Second

type call struct {
	method, id string
	retried    int
}

// fakeWorker records calls on a channel. failDeliver makes Deliver of an id
// fail that many times first; block makes Deliver of an id wait for the
// channel to close (and reports whether its context was canceled first).
type fakeWorker struct {
	calls chan call

	mu          sync.Mutex
	failDeliver map[string]int
	throttle    map[string]time.Duration // Deliver's first attempt asks for this wait
	notFound    map[string]bool
	block       map[string]chan struct{}
	started     chan string
	canceled    chan bool
}

func newFakeWorker() *fakeWorker {
	return &fakeWorker{
		calls:       make(chan call, 100),
		failDeliver: map[string]int{},
		throttle:    map[string]time.Duration{},
		notFound:    map[string]bool{},
		block:       map[string]chan struct{}{},
		started:     make(chan string, 10),
		canceled:    make(chan bool, 10),
	}
}

func (f *fakeWorker) record(ctx context.Context, method, id string) {
	n, _ := asynq.GetRetryCount(ctx)
	f.calls <- call{method: method, id: id, retried: n}
}

func (f *fakeWorker) RunBot(ctx context.Context, id string) error {
	f.record(ctx, "RunBot", id)
	return nil
}

func (f *fakeWorker) Route(ctx context.Context, id string) error {
	f.record(ctx, "Route", id)
	return nil
}

func (f *fakeWorker) Deliver(ctx context.Context, id string) error {
	f.mu.Lock()
	release := f.block[id]
	fail := f.failDeliver[id] > 0
	if fail {
		f.failDeliver[id]--
	}
	gone := f.notFound[id]
	throttle := f.throttle[id]
	delete(f.throttle, id)
	f.mu.Unlock()
	if release != nil {
		f.started <- id
		select {
		case <-release:
			f.canceled <- false
		case <-ctx.Done():
			f.canceled <- true
		}
	}
	f.record(ctx, "Deliver", id)
	switch {
	case gone:
		return fmt.Errorf("deliver: read message %s: %w", id, core.ErrNotFound)
	case fail:
		return errors.New("provider unavailable")
	case throttle > 0:
		return fmt.Errorf("deliver message %s: %w", id, throttled(throttle))
	}
	return nil
}

// throttled is a provider's refusal that asks for a wait (core.RetryAfter).
type throttled time.Duration

func (w throttled) Error() string             { return "rate limited" }
func (w throttled) RetryAfter() time.Duration { return time.Duration(w) }

func (f *fakeWorker) FailDelivery(ctx context.Context, id, reason string) error {
	f.record(ctx, "FailDelivery", id)
	return nil
}

func (f *fakeWorker) FetchMedia(ctx context.Context, id string) error {
	f.record(ctx, "FetchMedia", id)
	return nil
}

func (f *fakeWorker) Sweep(ctx context.Context) (core.SweepReport, error) {
	f.record(ctx, "Sweep", "")
	return core.SweepReport{Deliver: 1}, nil
}

// next waits for the next call.
func (f *fakeWorker) next(t *testing.T) call {
	t.Helper()
	select {
	case c := <-f.calls:
		return c
	case <-time.After(wait):
		t.Fatalf("no worker call within %s", wait)
		return call{}
	}
}

// expect waits for the next call and checks it.
func (f *fakeWorker) expect(t *testing.T, method, id string) call {
	t.Helper()
	c := f.next(t)
	if c.method != method || c.id != id {
		t.Fatalf("worker call = %s(%q), want %s(%q)", c.method, c.id, method, id)
	}
	return c
}

// none checks that no call arrives for d.
func (f *fakeWorker) none(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case c := <-f.calls:
		t.Fatalf("unexpected worker call %s(%q)", c.method, c.id)
	case <-time.After(d):
	}
}

// env is one test's queue: a connection, a namespace, an enqueuer, an
// inspector and a fake worker.
type env struct {
	url  string
	conn *queue.Conn
	opts queue.Options
	enq  *queue.Enqueuer
	insp *queue.Inspector
	w    *fakeWorker
}

func newEnv(t *testing.T, url string) *env {
	t.Helper()
	// The queues are deleted through a connection of their own, closed
	// last, so that a test may close and replace e.conn.
	admin := connect(t, url)
	conn := admin
	if url != "" {
		conn = connect(t, url)
	}
	opts := queue.Options{
		Namespace:       "queuetest" + randHex(t),
		Logger:          testLogger(),
		Concurrency:     4,
		SweepEvery:      -1,
		ShutdownTimeout: 5 * time.Second,
		PollInterval:    20 * time.Millisecond,
		TimerInterval:   100 * time.Millisecond,
	}
	e := &env{url: url, conn: conn, opts: opts, enq: queue.NewEnqueuer(conn, opts),
		insp: queue.NewInspector(admin, opts), w: newFakeWorker()}
	t.Cleanup(func() { // runs after the servers' cleanups: queues are idle
		if err := e.insp.DeleteQueues(context.Background()); err != nil {
			t.Errorf("delete queues: %v", err)
		}
	})
	return e
}

func connect(t *testing.T, url string) *queue.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := queue.Connect(ctx, url, queue.ConnectOptions{Logger: testLogger()})
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// start starts a server on the env's connection, shut down at cleanup.
func (e *env) start(t *testing.T, change ...func(*queue.Options)) *queue.Server {
	t.Helper()
	opts := e.opts
	for _, c := range change {
		c(&opts)
	}
	srv := queue.NewServer(e.conn, e.w, opts)
	if err := srv.Start(); err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(srv.Shutdown)
	return srv
}

func (e *env) sizes(t *testing.T) map[string]queue.QueueSize {
	t.Helper()
	s, err := e.insp.Sizes()
	if err != nil {
		t.Fatalf("queue sizes: %v", err)
	}
	return s
}

// eventually polls the queue state until cond holds (state changes in Redis
// have no event to wait on).
func (e *env) eventually(t *testing.T, what string, cond func(map[string]queue.QueueSize) bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		s := e.sizes(t)
		if cond(s) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s; sizes %+v", what, wait, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func randHex(t *testing.T) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func testLogger() *slog.Logger {
	level := slog.LevelError + 8 // quiet
	if os.Getenv("QUEUE_TEST_LOG") != "" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

var suite = []struct {
	name string
	run  func(t *testing.T, e *env)
}{
	{"each task reaches its worker method", func(t *testing.T, e *env) {
		ctx := context.Background()
		e.start(t)
		must(t, e.enq.QueueBot(ctx, "m1"))
		e.w.expect(t, "RunBot", "m1")
		must(t, e.enq.QueueDelivery(ctx, "m2"))
		e.w.expect(t, "Deliver", "m2")
		must(t, e.enq.QueueRoute(ctx, "r1", "open"))
		e.w.expect(t, "Route", "r1")
	}},
	{"Ping answers while the server runs", func(t *testing.T, e *env) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv := queue.NewServer(e.conn, e.w, e.opts)
		if err := srv.Ping(ctx); err == nil {
			t.Error("Ping before Start: no error")
		}
		must(t, srv.Start())
		if err := srv.Ping(ctx); err != nil {
			t.Errorf("Ping of a running server: %v", err)
		}
		srv.Shutdown()
		if err := srv.Ping(ctx); err == nil {
			t.Error("Ping after Shutdown: no error")
		}
	}},
	{"tasks go to their namespaced queues", func(t *testing.T, e *env) {
		ctx := context.Background()
		must(t, e.enq.QueueBot(ctx, "m1"))
		must(t, e.enq.QueueDelivery(ctx, "m2"))
		must(t, e.enq.QueueRoute(ctx, "r1", "open"))
		s := e.sizes(t)
		if s["default"].Pending != 1 || s["critical"].Pending != 2 || s["low"].Pending != 0 {
			t.Fatalf("sizes = %+v, want 1 default and 2 critical", s)
		}
		for id, q := range map[string]string{"bot:m1": "default", "deliver:m2": "critical", "route:r1:open": "critical"} {
			info, err := e.insp.Asynq().GetTaskInfo(e.opts.Namespace+":"+q, id)
			if err != nil {
				t.Fatalf("task %s in %s: %v", id, q, err)
			}
			if info.Timeout <= 0 || info.MaxRetry < 0 {
				t.Errorf("task %s: timeout %s, max retry %d", id, info.Timeout, info.MaxRetry)
			}
		}
	}},
	{"a bot turn that asks for a person goes on the critical queue, once", func(t *testing.T, e *env) {
		ctx := context.Background()
		must(t, e.enq.QueueBotFirst(ctx, "m1"))
		must(t, e.enq.QueueBotFirst(ctx, "m1"))
		must(t, e.enq.QueueBot(ctx, "m2"))
		s := e.sizes(t)
		if s["critical"].Pending != 1 || s["default"].Pending != 1 {
			t.Fatalf("sizes = %+v, want 1 critical (m1) and 1 default (m2)", s)
		}
		if _, err := e.insp.Asynq().GetTaskInfo(e.opts.Namespace+":critical", "bot:m1"); err != nil {
			t.Fatalf("bot:m1 on the critical queue: %v", err)
		}
		e.start(t)
		got := map[string]int{}
		for range 2 {
			c := e.w.next(t)
			got[c.method+":"+c.id]++
		}
		if got["RunBot:m1"] != 1 || got["RunBot:m2"] != 1 {
			t.Fatalf("calls = %v", got)
		}
	}},
	{"a delivery goes ahead of a backlog of bot turns", func(t *testing.T, e *env) {
		ctx := context.Background()
		const backlog = 40
		for i := range backlog {
			must(t, e.enq.QueueBot(ctx, fmt.Sprintf("b%02d", i)))
		}
		must(t, e.enq.QueueDelivery(ctx, "reply")) // queued last
		e.start(t, func(o *queue.Options) { o.Concurrency = 1 })
		// The critical queue is picked with weight 6 against 3: the reply
		// stays behind 20 bot turns with a chance of (1/3)^20. On one
		// queue it would run last.
		for i := range backlog + 1 {
			c := e.w.next(t)
			if c.method == "Deliver" {
				if i >= backlog/2 {
					t.Fatalf("the reply ran after %d bot turns", i)
				}
				return
			}
		}
		t.Fatal("the reply never ran")
	}},
	{"a group's bot turns are queued in tasks of at most 32, each taken in order", func(t *testing.T, e *env) {
		ctx := context.Background()
		ids := make([]string, 70)
		for i := range ids {
			ids[i] = fmt.Sprintf("g%02d", i)
		}
		must(t, e.enq.QueueBots(ctx, ids))
		must(t, e.enq.QueueBots(ctx, ids)) // the same group again: queued once
		if s := e.sizes(t); s["default"].Pending != 3 {
			t.Fatalf("sizes = %+v, want 3 tasks on the default queue", s)
		}
		for _, first := range []string{"g00", "g32", "g64"} {
			if _, err := e.insp.Asynq().GetTaskInfo(e.opts.Namespace+":default", "bot:"+first); err != nil {
				t.Fatalf("task bot:%s: %v", first, err)
			}
		}
		e.start(t)
		last := map[int]int{} // task (by its first id) → last index run
		for range ids {
			c := e.w.next(t)
			var i int
			if c.method != "RunBot" || len(c.id) != 3 {
				t.Fatalf("worker call %s(%q)", c.method, c.id)
			}
			fmt.Sscanf(c.id[1:], "%d", &i)
			if p, ok := last[i/32]; ok && i != p+1 {
				t.Fatalf("task %d ran %s after g%02d", i/32, c.id, p)
			}
			last[i/32] = i
		}
		if len(last) != 3 || last[0] != 31 || last[1] != 63 || last[2] != 69 {
			t.Fatalf("last message run per task = %v", last)
		}
	}},
	{"a group's files are queued for their fetch in tasks of at most 8, every file fetched once", func(t *testing.T, e *env) {
		ctx := context.Background()
		ids := make([]string, 20)
		for i := range ids {
			ids[i] = fmt.Sprintf("f%02d", i)
		}
		must(t, e.enq.QueueMediaFetches(ctx, ids, "ingest"))
		must(t, e.enq.QueueMediaFetches(ctx, ids, "ingest")) // the same group again: queued once
		if s := e.sizes(t); s["default"].Pending != 3 {
			t.Fatalf("sizes = %+v, want 3 tasks on the default queue", s)
		}
		for _, first := range []string{"f00", "f08", "f16"} {
			if _, err := e.insp.Asynq().GetTaskInfo(e.opts.Namespace+":default", "fetch:"+first+":ingest"); err != nil {
				t.Fatalf("task fetch:%s:ingest: %v", first, err)
			}
		}
		e.start(t)
		got := map[string]int{}
		for range ids {
			c := e.w.next(t)
			if c.method != "FetchMedia" {
				t.Fatalf("worker call %s(%q)", c.method, c.id)
			}
			got[c.id]++
		}
		for _, id := range ids {
			if got[id] != 1 {
				t.Errorf("file %s fetched %d times, want 1", id, got[id])
			}
		}
	}},
	{"the same task id is queued once", func(t *testing.T, e *env) {
		ctx := context.Background()
		for range 3 {
			must(t, e.enq.QueueBot(ctx, "m1"))
			must(t, e.enq.QueueRoute(ctx, "r1", "decline:1"))
		}
		must(t, e.enq.QueueRoute(ctx, "r1", "decline:2")) // another cause: another task
		s := e.sizes(t)
		if s["default"].Pending != 1 || s["critical"].Pending != 2 {
			t.Fatalf("sizes = %+v, want 1 default and 2 critical", s)
		}
		e.start(t)
		got := map[string]int{}
		for range 3 {
			c := e.w.next(t)
			got[c.method+":"+c.id]++
		}
		if got["RunBot:m1"] != 1 || got["Route:r1"] != 2 {
			t.Fatalf("calls = %v", got)
		}
		e.eventually(t, "queues drained", func(s map[string]queue.QueueSize) bool {
			return s["default"].Total() == 0 && s["critical"].Total() == 0
		})
		// A finished task is not retained: its id can be queued again.
		must(t, e.enq.QueueBot(ctx, "m1"))
		e.w.expect(t, "RunBot", "m1")
	}},
	{"a failing delivery is retried until it succeeds", func(t *testing.T, e *env) {
		e.w.failDeliver["m1"] = 2
		e.start(t)
		must(t, e.enq.QueueDelivery(context.Background(), "m1"))
		for want := range 3 {
			c := e.w.expect(t, "Deliver", "m1")
			if c.retried != want {
				t.Fatalf("attempt %d: retried = %d", want+1, c.retried)
			}
		}
		e.eventually(t, "delivered task removed", func(s map[string]queue.QueueSize) bool {
			return s["critical"].Total() == 0 && s["critical"].Archived == 0
		})
	}},
	{"a rate-limited delivery is retried no sooner than the provider asked", func(t *testing.T, e *env) {
		const asked = 3 * time.Second // the backoff alone would retry after 1 s
		e.w.throttle["m1"] = asked
		e.start(t)
		must(t, e.enq.QueueDelivery(context.Background(), "m1"))
		e.w.expect(t, "Deliver", "m1")
		refused := time.Now()
		if c := e.w.expect(t, "Deliver", "m1"); c.retried != 1 {
			t.Fatalf("second attempt: retried = %d", c.retried)
		}
		// Asynq schedules retries in whole seconds (a retry may come up to
		// a second early); the backoff alone would have retried within 1 s.
		if waited := time.Since(refused); waited < asked-time.Second {
			t.Fatalf("retried after %s, want at least %s", waited, asked-time.Second)
		}
	}},
	{"a delivery queued with a wait starts no sooner, once", func(t *testing.T, e *env) {
		ctx := context.Background()
		const wait = 2 * time.Second
		queued := time.Now()
		must(t, e.enq.QueueDeliveryIn(ctx, "m1", wait))
		must(t, e.enq.QueueDelivery(ctx, "m1")) // the sweeper meanwhile: the same task id
		info, err := e.insp.Asynq().GetTaskInfo(e.opts.Namespace+":critical", "deliver:m1")
		if err != nil || info.State != asynq.TaskStateScheduled {
			t.Fatalf("task deliver:m1: %+v, %v; want it scheduled", info, err)
		}
		e.start(t)
		e.w.expect(t, "Deliver", "m1")
		// Asynq keeps the time in whole seconds: up to a second early.
		if waited := time.Since(queued); waited < wait-time.Second {
			t.Fatalf("ran after %s, want at least %s", waited, wait-time.Second)
		}
		e.w.none(t, 300*time.Millisecond)
		// A wait of a day is cut to an hour, as for retries.
		must(t, e.enq.QueueDeliveryIn(ctx, "m2", 24*time.Hour))
		info, err = e.insp.Asynq().GetTaskInfo(e.opts.Namespace+":critical", "deliver:m2")
		if err != nil || info.NextProcessAt.After(time.Now().Add(time.Hour+time.Minute)) {
			t.Fatalf("task deliver:m2 runs at %v (%v), want within the hour", info.NextProcessAt, err)
		}
	}},
	{"a task out of retries is dropped, so it can be enqueued again", func(t *testing.T, e *env) {
		e.w.failDeliver["m1"] = 2
		e.start(t)
		task, err := queue.NewDeliverTask("m1")
		must(t, err)
		must(t, e.enq.Enqueue(context.Background(), task, asynq.MaxRetry(1)))
		e.w.expect(t, "Deliver", "m1")
		e.w.expect(t, "Deliver", "m1")      // the one retry, failing again
		e.w.expect(t, "FailDelivery", "m1") // retries spent: the message is marked failed
		e.eventually(t, "task dropped, not archived", func(s map[string]queue.QueueSize) bool {
			return s["critical"].Total() == 0 && s["critical"].Archived == 0
		})
		must(t, e.enq.QueueDelivery(context.Background(), "m1")) // what the sweeper does
		e.w.expect(t, "Deliver", "m1")
	}},
	{"a stale task (ErrNotFound) succeeds without retry", func(t *testing.T, e *env) {
		e.w.notFound["gone"] = true
		e.start(t)
		must(t, e.enq.QueueDelivery(context.Background(), "gone"))
		e.w.expect(t, "Deliver", "gone")
		e.eventually(t, "task done", func(s map[string]queue.QueueSize) bool {
			return s["critical"].Total() == 0 && s["critical"].Archived == 0
		})
	}},
	{"an undecodable payload is archived without retry", func(t *testing.T, e *env) {
		e.start(t)
		bad := asynq.NewTask(queue.TypeDeliver, []byte("{not json"), asynq.TaskID("deliver:bad"))
		must(t, e.enq.Enqueue(context.Background(), bad))
		empty := asynq.NewTask(queue.TypeRoute, []byte(`{"request_id":""}`), asynq.TaskID("route::x"))
		must(t, e.enq.Enqueue(context.Background(), empty))
		e.eventually(t, "bad tasks archived", func(s map[string]queue.QueueSize) bool {
			return s["critical"].Archived == 2 && s["critical"].Total() == 0
		})
		e.w.none(t, 0)
	}},
	{"a task enqueued with ProcessIn waits for its time", func(t *testing.T, e *env) {
		e.start(t)
		const delay = 3 * time.Second
		task, err := queue.NewRouteTask("r1", "timer")
		must(t, err)
		at := time.Now()
		must(t, e.enq.Enqueue(context.Background(), task, asynq.ProcessIn(delay)))
		if s := e.sizes(t); s["critical"].Scheduled != 1 {
			t.Fatalf("sizes = %+v, want 1 scheduled", s)
		}
		// Asynq keeps due times in whole seconds, so a timer may fire up to
		// a second early, never more.
		e.w.none(t, delay-time.Second-300*time.Millisecond)
		e.w.expect(t, "Route", "r1")
		if d := time.Since(at); d < delay-time.Second {
			t.Fatalf("fired after %s, want at least %s", d, delay-time.Second)
		}
	}},
	{"the sweeper enqueues maintenance:sweep", func(t *testing.T, e *env) {
		e.start(t, func(o *queue.Options) { o.SweepEvery = time.Second })
		e.w.expect(t, "Sweep", "")
		e.w.expect(t, "Sweep", "") // the next period
	}},
	{"servers sharing a queue sweep once per period", func(t *testing.T, e *env) {
		// A long period, so that the servers start within one.
		period := func(o *queue.Options) { o.SweepEvery = 1000 * time.Hour }
		e.start(t, period)
		e.w.expect(t, "Sweep", "")
		e.start(t, period)
		e.start(t, period)
		e.w.none(t, time.Second)
	}},
	{"shutdown lets the running task finish", func(t *testing.T, e *env) {
		release := make(chan struct{})
		e.w.block["m1"] = release
		srv := e.start(t)
		must(t, e.enq.QueueDelivery(context.Background(), "m1"))
		<-e.w.started
		stopped := make(chan struct{})
		go func() { srv.Shutdown(); close(stopped) }()
		select {
		case <-stopped:
			t.Fatal("Shutdown returned while a task was running")
		case <-time.After(200 * time.Millisecond):
		}
		close(release)
		select {
		case <-stopped:
		case <-time.After(wait):
			t.Fatal("Shutdown did not return")
		}
		if <-e.w.canceled {
			t.Fatal("the running task's context was canceled")
		}
		e.w.expect(t, "Deliver", "m1")
		if s := e.sizes(t); s["critical"].Total() != 0 {
			t.Fatalf("sizes after shutdown = %+v, want empty", s)
		}
		// Stopped: new work waits in the queue.
		must(t, e.enq.QueueBot(context.Background(), "m2"))
		e.w.none(t, 300*time.Millisecond)
		if s := e.sizes(t); s["default"].Pending != 1 {
			t.Fatalf("sizes = %+v, want 1 pending", s)
		}
	}},
	{"a task outlives a server restart", func(t *testing.T, e *env) {
		srv := e.start(t)
		srv.Shutdown()
		must(t, e.enq.QueueBot(context.Background(), "m1"))
		enq := e.enq
		conn := e.conn
		if e.url != "" {
			// A real Redis keeps tasks across processes: enqueue, drop
			// the connection, and process from a new one.
			must(t, enq.QueueDelivery(context.Background(), "m2"))
			must(t, conn.Close())
			e.conn = connect(t, e.url)
		}
		e.start(t)
		want := map[string]bool{"RunBot:m1": true}
		if e.url != "" {
			want["Deliver:m2"] = true
		}
		for range len(want) {
			c := e.w.next(t)
			if !want[c.method+":"+c.id] {
				t.Fatalf("unexpected call %s(%q)", c.method, c.id)
			}
			delete(want, c.method+":"+c.id)
		}
	}},
}

func TestQueue(t *testing.T) {
	backends := []struct{ name, url string }{{"embedded", ""}, {"redis", os.Getenv(redisEnv)}}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			if b.name == "redis" && b.url == "" {
				t.Skipf("%s not set; set it (e.g. redis://127.0.0.1:6379/9) to run the suite on a real Redis", redisEnv)
			}
			t.Parallel()
			for _, tc := range suite {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					tc.run(t, newEnv(t, b.url))
				})
			}
		})
	}
}
