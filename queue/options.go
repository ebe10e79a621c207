package queue

import (
	"log/slog"
	"time"
)

// Options configure an Enqueuer, a Server and an Inspector. Zero values
// take the defaults noted on each field.
type Options struct {
	// Namespace prefixes the queue names ("ns:critical", "ns:default",
	// "ns:low") so that deployments or tests sharing one Redis do not take
	// each other's tasks. Empty: the plain names.
	Namespace string
	// Logger receives task failures and Asynq's own messages; default
	// slog.Default().
	Logger *slog.Logger

	// The settings below apply to a Server only.

	// Concurrency is how many tasks a server runs at once; default 20.
	Concurrency int
	// SweepEvery is the sweep period; default 15 s. Negative: no sweeper.
	SweepEvery time.Duration
	// ShutdownTimeout is how long Shutdown waits for running tasks before
	// it puts them back in their queue; default 10 s.
	ShutdownTimeout time.Duration
	// PollInterval is how often an idle server looks for new tasks;
	// default 20 ms, which bounds the wait of each queue hop (webhook → bot
	// → routing → panel) on a quiet server; an idle server polls 50 times
	// a second. Lower means lower latency and more Redis load. On the
	// embedded Redis the default is 100 ms.
	PollInterval time.Duration
	// IdlePoll is how often a server polls once it has found no task for
	// a second; a task enqueued through the same Conn, or a timer or retry
	// that comes due, wakes it at once (see idle.go). Set it where every
	// enqueue that must start at once goes through this process's Conn,
	// as in `serve`; a worker fed by a gateway elsewhere would see the
	// gateway's tasks up to IdlePoll late. Default: PollInterval, never
	// slower; on the embedded Redis, which only this process reaches,
	// EmbeddedIdlePoll.
	IdlePoll time.Duration
	// TimerInterval is how often scheduled (ProcessIn) and retrying tasks
	// that are due are moved to their queue; default 500 ms. Asynq keeps
	// due times in whole seconds, so a timer starts between a second
	// early and TimerInterval late (core acts as of its due time).
	TimerInterval time.Duration
}

// EmbeddedIdlePoll is IdlePoll's default on the embedded Redis, and what
// `serve` sets on a real one.
const EmbeddedIdlePoll = time.Second

// embeddedPollInterval is PollInterval's default on the embedded Redis.
const embeddedPollInterval = 100 * time.Millisecond

func (o Options) logger() *slog.Logger {
	if o.Logger == nil {
		return slog.Default()
	}
	return o.Logger
}

// queueName returns the namespaced name of a queue.
func (o Options) queueName(q string) string {
	if o.Namespace == "" {
		return q
	}
	return o.Namespace + ":" + q
}

// QueueNames returns the three namespaced queue names, critical first.
func (o Options) QueueNames() []string {
	return []string{o.queueName(QueueCritical), o.queueName(QueueDefault), o.queueName(QueueLow)}
}

func (o Options) withDefaults() Options {
	if o.Concurrency <= 0 {
		o.Concurrency = 20
	}
	if o.SweepEvery == 0 {
		o.SweepEvery = 15 * time.Second
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = 10 * time.Second
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 20 * time.Millisecond
	}
	if o.TimerInterval <= 0 {
		o.TimerInterval = 500 * time.Millisecond
	}
	return o
}
