package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/hibiken/asynq"
	"github.com/switchboard-chat/switchboard/core"
)

var _ core.Jobs = (*Enqueuer)(nil)

// Enqueuer puts tasks in the queues; it implements core.Jobs. It is safe
// for concurrent use.
type Enqueuer struct {
	client *asynq.Client
	gate   *idleGate
	opts   Options
	log    *slog.Logger
}

// NewEnqueuer returns an Enqueuer on conn. It does not own conn.
func NewEnqueuer(conn *Conn, opts Options) *Enqueuer {
	return &Enqueuer{client: asynq.NewClientFromRedisClient(conn.client), gate: conn.gate, opts: opts, log: opts.logger()}
}

// QueueBot enqueues conv:bot for an inbound customer message.
func (e *Enqueuer) QueueBot(ctx context.Context, messageID string) error {
	t, err := NewBotTask(messageID)
	if err != nil {
		return err
	}
	return e.Enqueue(ctx, t)
}

// QueueBots enqueues conv:bot for several inbound messages, at most
// maxBotBatch per task, each task taking its messages in order.
func (e *Enqueuer) QueueBots(ctx context.Context, messageIDs []string) error {
	for ids := range slices.Chunk(messageIDs, maxBotBatch) {
		t, err := NewBotBatchTask(ids)
		if err != nil {
			return err
		}
		if err := e.Enqueue(ctx, t); err != nil {
			return err
		}
	}
	return nil
}

// QueueBotFirst enqueues conv:bot on the critical queue, ahead of
// ordinary bot work: the message asks for a person. Asynq keeps
// task ids per queue, so should the sweeper later queue the same message
// on the default queue, that second run finds it processed and does
// nothing (conv:bot is idempotent).
func (e *Enqueuer) QueueBotFirst(ctx context.Context, messageID string) error {
	t, err := NewBotTask(messageID)
	if err != nil {
		return err
	}
	return e.Enqueue(ctx, t, asynq.Queue(e.opts.queueName(QueueCritical)))
}

// QueueRoute enqueues request:route; the same request and cause queue once.
func (e *Enqueuer) QueueRoute(ctx context.Context, requestID, cause string) error {
	t, err := NewRouteTask(requestID, cause)
	if err != nil {
		return err
	}
	return e.Enqueue(ctx, t)
}

// ScheduleEscalation schedules request:escalate for a routing step at
// `at`; the same request and step schedule once.
func (e *Enqueuer) ScheduleEscalation(ctx context.Context, requestID string, step int, at time.Time) error {
	t, err := NewEscalateTask(requestID, step, at)
	if err != nil {
		return err
	}
	return e.Enqueue(ctx, t)
}

// ScheduleRerouteCheck schedules request:reroute at `at`; the same
// request and time schedule once.
func (e *Enqueuer) ScheduleRerouteCheck(ctx context.Context, requestID string, at time.Time) error {
	t, err := NewRerouteTask(requestID, at)
	if err != nil {
		return err
	}
	return e.Enqueue(ctx, t)
}

// QueueMediaFetch enqueues media:fetch for a pending attachment; the same
// attachment and cause queue once.
func (e *Enqueuer) QueueMediaFetch(ctx context.Context, attachmentID, cause string) error {
	t, err := NewMediaFetchTask(attachmentID, cause)
	if err != nil {
		return err
	}
	return e.Enqueue(ctx, t)
}

// QueueMediaFetches enqueues media:fetch for several pending attachments,
// at most maxFetchBatch per task.
func (e *Enqueuer) QueueMediaFetches(ctx context.Context, attachmentIDs []string, cause string) error {
	for ids := range slices.Chunk(attachmentIDs, maxFetchBatch) {
		t, err := NewMediaFetchBatchTask(ids, cause)
		if err != nil {
			return err
		}
		if err := e.Enqueue(ctx, t); err != nil {
			return err
		}
	}
	return nil
}

// QueueDelivery enqueues msg:deliver for an outbound message.
func (e *Enqueuer) QueueDelivery(ctx context.Context, messageID string) error {
	t, err := NewDeliverTask(messageID)
	if err != nil {
		return err
	}
	return e.Enqueue(ctx, t)
}

// QueueDeliveryIn enqueues msg:deliver for an outbound message to run no sooner
// than wait from now, at most maxProviderWait (Asynq keeps the time in
// whole seconds).
func (e *Enqueuer) QueueDeliveryIn(ctx context.Context, messageID string, wait time.Duration) error {
	t, err := NewDeliverTask(messageID)
	if err != nil {
		return err
	}
	return e.Enqueue(ctx, t, asynq.ProcessIn(min(wait, maxProviderWait)))
}

// Enqueue puts a task made by one of the NewXTask constructors in its
// type's (namespaced) queue; opts are added last, e.g. asynq.ProcessIn for
// a timer. A task whose id is already queued counts as enqueued.
func (e *Enqueuer) Enqueue(ctx context.Context, t *asynq.Task, opts ...asynq.Option) error {
	opts = append([]asynq.Option{asynq.Queue(e.opts.queueName(specOf(t.Type()).queue))}, opts...)
	_, err := e.client.EnqueueContext(ctx, t, opts...)
	switch {
	case err == nil:
		e.gate.woken() // an idle server of this Conn takes it now
		return nil
	case errors.Is(err, asynq.ErrTaskIDConflict), errors.Is(err, asynq.ErrDuplicateTask):
		return nil // queued already
	default:
		return fmt.Errorf("enqueue %s: %w: %w", t.Type(), core.ErrUnavailable, err)
	}
}
