package queue_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/queue"
)

// benchEnv turns the measurements on; they take seconds and report
// figures, never assert on time.
const benchEnv = "SWITCHBOARD_BENCH"

// lateWorker records how late each escalation timer fired (negative:
// early, which Asynq's whole-second schedule allows and core accepts up to
// core.TimerSlack).
type lateWorker struct {
	*fakeWorker
	mu   sync.Mutex
	due  map[string]time.Time
	late []time.Duration
	done chan struct{}
	want int
}

func (w *lateWorker) Escalate(_ context.Context, id string, _ int) error {
	now := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.late = append(w.late, now.Sub(w.due[id]))
	if len(w.late) == w.want {
		close(w.done)
	}
	return nil
}

func (w *lateWorker) RerouteCheck(context.Context, string, time.Time) error { return nil }

// TestMeasureTimers: 10,000 request:escalate timers pending at once, due
// spread evenly over 5 s (SWITCHBOARD_BENCH_SPREAD to change), on the embedded Redis and (with
// SWITCHBOARD_TEST_REDIS_URL) a real one; it logs how late they fired.
// Run: SWITCHBOARD_BENCH=1 go test ./queue -run TestMeasureTimers -v
func TestMeasureTimers(t *testing.T) {
	if os.Getenv(benchEnv) == "" {
		t.Skipf("set %s=1 to measure", benchEnv)
	}
	const n = 10000
	spread := 5 * time.Second
	if v := os.Getenv("SWITCHBOARD_BENCH_SPREAD"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("SWITCHBOARD_BENCH_SPREAD: %v", err)
		}
		spread = d
	}
	for _, b := range []struct{ name, url string }{{"embedded", ""}, {"redis", os.Getenv(redisEnv)}} {
		t.Run(b.name, func(t *testing.T) {
			if b.name == "redis" && b.url == "" {
				t.Skipf("%s not set", redisEnv)
			}
			e := newEnv(t, b.url)
			w := &lateWorker{fakeWorker: newFakeWorker(), due: map[string]time.Time{}, done: make(chan struct{}), want: n}
			// Production defaults for the server (concurrency, intervals).
			opts := queue.Options{Namespace: e.opts.Namespace, Logger: e.opts.Logger, SweepEvery: -1}
			srv := queue.NewServer(e.conn, w, opts)
			must(t, srv.Start())
			t.Cleanup(srv.Shutdown)

			ctx := context.Background()
			first := time.Now().Add(6 * time.Second)
			ids := make([]string, n)
			for i := range n {
				ids[i] = fmt.Sprintf("r%05d", i)
				w.due[ids[i]] = first.Add(time.Duration(i) * spread / n)
			}
			var wg sync.WaitGroup
			errs := make(chan error, 16)
			for g := range 16 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := g; i < n; i += 16 {
						if err := e.enq.ScheduleEscalation(ctx, ids[i], 1, w.due[ids[i]]); err != nil {
							errs <- err
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			if time.Now().After(first) {
				t.Fatalf("enqueueing took too long to measure: the first timer was already due")
			}
			select {
			case <-w.done:
			case <-time.After(time.Minute):
				t.Fatalf("only %d of %d timers fired within a minute", len(w.late), n)
			}
			w.mu.Lock()
			late := slices.Clone(w.late)
			w.mu.Unlock()
			slices.Sort(late)
			within := 0
			for _, d := range late {
				if d < time.Second && d > -time.Second {
					within++
				}
			}
			q := func(p float64) time.Duration { return late[min(len(late)-1, int(p*float64(len(late))))] }
			t.Logf("%s: %d timers due over %v; fire time − due: min %v, p50 %v, p99 %v, max %v; within ±1 s: %d (%.2f%%)",
				b.name, n, spread, late[0].Round(time.Millisecond), q(0.5).Round(time.Millisecond), q(0.99).Round(time.Millisecond),
				late[len(late)-1].Round(time.Millisecond), within, 100*float64(within)/float64(n))
		})
	}
}
