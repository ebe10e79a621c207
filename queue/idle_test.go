package queue_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/queue"
)

// TestIdlePollWakes: a server that polls only once an hour when idle
// still takes a task enqueued through its Conn, and a scheduled task that
// comes due, without waiting for the hour (the test would time out), and the
// gate recognises Asynq's scripts (an Asynq whose scripts it no longer
// knows would leave every server polling at PollInterval).
func TestIdlePollWakes(t *testing.T) {
	backends := []struct{ name, url string }{{"embedded", ""}, {"redis", os.Getenv(redisEnv)}}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			if b.name == "redis" && b.url == "" {
				t.Skipf("%s not set", redisEnv)
			}
			t.Parallel()
			e := newEnv(t, b.url)
			e.start(t, func(o *queue.Options) { o.IdlePoll = time.Hour })
			ctx := context.Background()
			idle := func() { // the queues empty for longer than idleAfter
				t.Helper()
				d0, _ := e.conn.GateSeen()
				time.Sleep(1500 * time.Millisecond)
				if d1, _ := e.conn.GateSeen(); d1 <= d0 {
					t.Fatalf("the gate saw no dequeue script in 1.5 s (%d before, %d after): Asynq's scripts changed?", d0, d1)
				}
			}

			idle()
			must(t, e.enq.QueueBot(ctx, "m1"))
			e.w.expect(t, "RunBot", "m1")

			idle()
			must(t, e.enq.QueueRoute(ctx, "r1", ""))
			e.w.expect(t, "Route", "r1")

			idle()
			must(t, e.enq.QueueDeliveryIn(ctx, "d1", time.Second)) // scheduled: moved by the forwarder
			e.w.expect(t, "Deliver", "d1")
			if _, f := e.conn.GateSeen(); f == 0 {
				t.Fatal("the gate saw no forward script: Asynq's scripts changed?")
			}
		})
	}
}
