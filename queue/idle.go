package queue

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// An idle server's polling. Asynq's workers look for new tasks every
// PollInterval when the queues are empty (it has no blocking pop): on a
// server where nothing happens that is 50 polls a second of three scripts
// each, most of the CPU an idle process spends. With IdlePoll set, a
// server that has found no task for idleAfter polls every IdlePoll
// instead, and is woken at once when a task is enqueued through the same
// Conn or a due timer or retry is moved to its queue; so the first task
// after a quiet spell waits no longer than before, as long as it was
// enqueued in this process.
//
// The gate sits in a go-redis hook on the Conn's client and recognises
// Asynq's dequeue and forward scripts by their keys (KEYS of dequeue:
// pending, paused, active, lease; of forward: scheduled or retry, then
// pending): TestIdlePollWakes fails if an Asynq upgrade changes them.

// idleAfter is how long the queues must have been empty before a server
// polls at its IdlePoll.
const idleAfter = time.Second

// idleGate is shared by the Enqueuer and Servers of one Conn.
type idleGate struct {
	mu       sync.Mutex
	poll     time.Duration // IdlePoll of the servers on the Conn; 0: off
	lastWork time.Time     // a dequeue found a task, or a task was enqueued
	lastPoll time.Time     // the last dequeue script ran
	wake     chan struct{} // closed and replaced by each wake-up

	// The scripts the hook recognised, for the test that would notice an
	// Asynq whose scripts it no longer recognises.
	dequeues, forwards atomic.Int64
}

func newIdleGate() *idleGate {
	return &idleGate{wake: make(chan struct{}), lastWork: time.Now()}
}

// use turns the gate on for a server polling every poll when idle (the
// shortest such period of the Conn's servers wins).
func (g *idleGate) use(poll time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if poll > 0 && (g.poll == 0 || poll < g.poll) {
		g.poll = poll
	}
}

// woken marks work and wakes every waiting poll.
func (g *idleGate) woken() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.lastWork = time.Now()
	close(g.wake)
	g.wake = make(chan struct{})
}

// beforeDequeue waits, when the server has been idle, until IdlePoll has
// passed since the last poll or a wake-up comes. The scripts of one poll
// (one per queue, back to back) wait only before the first.
func (g *idleGate) beforeDequeue(ctx context.Context) {
	g.mu.Lock()
	now := time.Now()
	since := now.Sub(g.lastPoll)
	idle := g.poll > 0 && now.Sub(g.lastWork) >= idleAfter && since > pollBurst && since < g.poll
	wait, wake := g.poll-since, g.wake
	g.mu.Unlock()
	if idle {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-wake:
		case <-ctx.Done():
		}
		t.Stop()
	}
}

// afterDequeue notes when a dequeue script ended, and wakes the others
// when it found a task.
func (g *idleGate) afterDequeue(found bool) {
	if found {
		g.woken()
	}
	g.mu.Lock()
	g.lastPoll = time.Now()
	g.mu.Unlock()
}

// pollBurst is the longest gap between the scripts of one poll (Asynq
// runs them back to back; its polls are PollInterval/2 or more apart).
const pollBurst = 5 * time.Millisecond

// hook is the go-redis hook that runs the gate.
func (g *idleGate) hook() redis.Hook { return gateHook{g} }

type gateHook struct{ g *idleGate }

func (gateHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h gateHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		switch asynqScript(cmd.Args()) {
		case scriptDequeue:
			h.g.dequeues.Add(1)
			h.g.beforeDequeue(ctx)
			err := next(ctx, cmd)
			h.g.afterDequeue(err == nil) // nil: a task, the server is busy
			return err
		case scriptForward:
			h.g.forwards.Add(1)
			err := next(ctx, cmd)
			if c, ok := cmd.(*redis.Cmd); ok && err == nil {
				if n, _ := c.Int64(); n > 0 {
					h.g.woken() // due timers or retries are pending now
				}
			}
			return err
		}
		return next(ctx, cmd)
	}
}

func (gateHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

type script int

const (
	scriptOther script = iota
	scriptDequeue
	scriptForward
)

// asynqScript tells Asynq's dequeue and forward scripts by their keys.
func asynqScript(args []any) script {
	if len(args) < 5 {
		return scriptOther
	}
	name, _ := args[0].(string)
	if name != "evalsha" && name != "eval" {
		return scriptOther
	}
	k1, _ := args[3].(string)
	k2, _ := args[4].(string)
	switch {
	case strings.HasSuffix(k1, ":pending") && strings.HasSuffix(k2, ":paused"):
		return scriptDequeue
	case (strings.HasSuffix(k1, ":scheduled") || strings.HasSuffix(k1, ":retry")) && strings.HasSuffix(k2, ":pending"):
		return scriptForward
	}
	return scriptOther
}
