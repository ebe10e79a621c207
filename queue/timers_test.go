package queue_test

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/core"
	"github.com/switchboard-chat/switchboard/queue"
)

// timerWorker is a fakeWorker that also runs timers. Stricter than
// core.Service (which acts up to core.TimerSlack early as of the due
// time), it answers *core.NotDueError whenever a timer starts before its
// time, so the handler must wait for the exact moment.
type timerWorker struct {
	*fakeWorker
	mu    sync.Mutex
	due   map[string]time.Time // "escalate:<id>" / "reroute:<id>" → due
	fired chan firing
}

type firing struct {
	key     string
	at, due time.Time
	step    int
	arg     time.Time
}

func newTimerWorker() *timerWorker {
	return &timerWorker{fakeWorker: newFakeWorker(), due: map[string]time.Time{}, fired: make(chan firing, 20000)}
}

func (w *timerWorker) setDue(key string, at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.due[key] = at
}

func (w *timerWorker) fire(key string, step int, at time.Time) error {
	now := time.Now()
	w.mu.Lock()
	due := w.due[key]
	w.mu.Unlock()
	if now.Before(due) {
		return &core.NotDueError{Wait: due.Sub(now)}
	}
	w.fired <- firing{key: key, at: now, due: due, step: step, arg: at}
	return nil
}

func (w *timerWorker) Escalate(_ context.Context, id string, step int) error {
	return w.fire("escalate:"+id, step, time.Time{})
}

func (w *timerWorker) RerouteCheck(_ context.Context, id string, at time.Time) error {
	return w.fire("reroute:"+id, 0, at)
}

func (w *timerWorker) next(t *testing.T) firing {
	t.Helper()
	select {
	case f := <-w.fired:
		return f
	case <-time.After(wait):
		t.Fatalf("no timer fired within %s", wait)
		return firing{}
	}
}

// TestTimers: second-scale request:escalate and request:reroute timers on
// the embedded and (with SWITCHBOARD_TEST_REDIS_URL) a real Redis fire in
// due order, never before their time, once per task id.
func TestTimers(t *testing.T) {
	for _, b := range []struct{ name, url string }{{"embedded", ""}, {"redis", os.Getenv(redisEnv)}} {
		t.Run(b.name, func(t *testing.T) {
			if b.name == "redis" && b.url == "" {
				t.Skipf("%s not set", redisEnv)
			}
			t.Parallel()
			e := newEnv(t, b.url)
			w := newTimerWorker()
			srv := queue.NewServer(e.conn, w, e.opts)
			must(t, srv.Start())
			t.Cleanup(srv.Shutdown)
			ctx := context.Background()

			// Due times off the whole second: Asynq keeps whole seconds, so
			// these tasks start up to a second early and must wait.
			start := time.Now()
			due2 := start.Add(2*time.Second + 300*time.Millisecond)
			due1 := start.Add(1*time.Second + 700*time.Millisecond)
			w.setDue("escalate:r2", due2)
			w.setDue("reroute:r1", due1)
			must(t, e.enq.ScheduleEscalation(ctx, "r2", 3, due2))
			must(t, e.enq.ScheduleEscalation(ctx, "r2", 3, due2)) // same id: one task
			must(t, e.enq.ScheduleRerouteCheck(ctx, "r1", due1))

			f := w.next(t)
			if f.key != "reroute:r1" || !f.arg.Equal(due1.Truncate(time.Microsecond)) {
				t.Fatalf("first timer = %+v, want reroute:r1 at %v", f, due1)
			}
			if f.at.Before(due1) {
				t.Fatalf("reroute fired %v before its time", due1.Sub(f.at))
			}
			t.Logf("reroute fired %v after due", f.at.Sub(due1))
			f = w.next(t)
			if f.key != "escalate:r2" || f.step != 3 || f.at.Before(due2) {
				t.Fatalf("second timer = %+v, want escalate:r2 step 3 not before %v", f, due2)
			}
			t.Logf("escalate fired %v after due", f.at.Sub(due2))
			select {
			case f := <-w.fired:
				t.Fatalf("a timer fired twice: %+v", f)
			case <-time.After(500 * time.Millisecond):
			}
		})
	}
}
