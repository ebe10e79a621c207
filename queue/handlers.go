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

// Worker does the work behind the tasks; core.Service satisfies it. Every
// method must be idempotent: a task may run more than once.
type Worker interface {
	RunBot(ctx context.Context, messageID string) error
	Route(ctx context.Context, requestID string) error
	Deliver(ctx context.Context, messageID string) error
	// FailDelivery gives up on a message whose msg:deliver retries are
	// spent, so it is marked failed rather than swept up and sent forever.
	FailDelivery(ctx context.Context, messageID, reason string) error
	Sweep(ctx context.Context) (core.SweepReport, error)
	// FetchMedia downloads, checks and stores a pending attachment.
	FetchMedia(ctx context.Context, attachmentID string) error
}

// BatchWorker takes the bot's turns on a group's messages at once, in
// order (one transaction); core.Service satisfies it. A Worker that also
// implements it gets the conv:bot tasks of several messages.
type BatchWorker interface {
	RunBots(ctx context.Context, messageIDs []string) error
}

// TimerWorker runs the routing timers; core.Service satisfies it. A
// Worker that also implements it gets request:escalate and request:reroute.
type TimerWorker interface {
	Escalate(ctx context.Context, requestID string, step int) error
	RerouteCheck(ctx context.Context, requestID string, at time.Time) error
}

var (
	_ Worker      = (*core.Service)(nil)
	_ TimerWorker = (*core.Service)(nil)
)

// maxEarly is how long a timer that started early waits in its handler
// for its exact time (Asynq schedules in whole seconds); a timer further
// off is retried instead.
const maxEarly = 3 * time.Second

// NewHandler returns the handler of the task types: decode the
// payload, make one Worker call, map its error. Server uses it; it is
// exported for callers that run their own asynq.Server.
func NewHandler(w Worker, log *slog.Logger) *asynq.ServeMux {
	if log == nil {
		log = slog.Default()
	}
	h := handlers{w: w, log: log}
	mux := asynq.NewServeMux()
	mux.HandleFunc(TypeBot, h.bot)
	mux.HandleFunc(TypeDeliver, h.deliver)
	mux.HandleFunc(TypeRoute, h.route)
	mux.HandleFunc(TypeSweep, h.sweep)
	mux.HandleFunc(TypeMediaFetch, h.mediaFetch)
	if tw, ok := w.(TimerWorker); ok {
		h.tw = tw
		mux.HandleFunc(TypeEscalate, h.escalate)
		mux.HandleFunc(TypeReroute, h.reroute)
	}
	return mux
}

type handlers struct {
	w   Worker
	tw  TimerWorker
	log *slog.Logger
}

func (h handlers) escalate(ctx context.Context, t *asynq.Task) error {
	var p EscalatePayload
	if err := decode(t, &p, func() string { return p.RequestID }); err != nil {
		return h.result(ctx, t, err)
	}
	err := onTime(ctx, func() error { return h.tw.Escalate(ctx, p.RequestID, p.Step) })
	return h.result(ctx, t, err, "request_id", p.RequestID, "step", p.Step)
}

func (h handlers) reroute(ctx context.Context, t *asynq.Task) error {
	var p ReroutePayload
	if err := decode(t, &p, func() string { return p.RequestID }); err != nil {
		return h.result(ctx, t, err)
	}
	err := onTime(ctx, func() error { return h.tw.RerouteCheck(ctx, p.RequestID, time.UnixMicro(p.At).UTC()) })
	return h.result(ctx, t, err, "request_id", p.RequestID)
}

// onTime runs a timer; when it reports it started early (by at most
// maxEarly) it waits and runs it again.
func onTime(ctx context.Context, run func() error) error {
	for range 3 {
		err := run()
		var nd *core.NotDueError
		if !errors.As(err, &nd) || nd.Wait > maxEarly {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(nd.Wait):
		}
	}
	return run()
}

// bot takes the bot's turn on each message of the task, in order. A
// message that fails does not hold up the others: the task is retried
// with the first error, and the turns that were taken are then no-ops.
func (h handlers) bot(ctx context.Context, t *asynq.Task) error {
	var p BotPayload
	if err := decode(t, &p, func() string { return p.MessageID }); err != nil {
		return h.result(ctx, t, err)
	}
	if slices.Contains(p.MessageIDs, "") {
		return h.result(ctx, t, fmt.Errorf("%s: payload: %w: %w", t.Type(), errEmptyID, asynq.SkipRetry))
	}
	ids := append([]string{p.MessageID}, p.MessageIDs...)
	if bw, ok := h.w.(BatchWorker); ok && len(ids) > 1 {
		err := bw.RunBots(ctx, ids)
		if err == nil || ctx.Err() != nil {
			return h.result(ctx, t, err, "message_id", p.MessageID, "messages", len(ids))
		}
		// One message's failure must not hold up the others: take them
		// one by one, and retry the task only for what still fails.
		h.log.WarnContext(ctx, "bot turns of a group failed; taking them one by one",
			"message_id", p.MessageID, "messages", len(ids), "err", err)
	}
	var first error // a stale (not found) message is done, as in result
	failed := p.MessageID
	for _, id := range ids {
		if err := h.w.RunBot(ctx, id); err != nil && !errors.Is(err, core.ErrNotFound) && first == nil {
			first, failed = err, id
		}
		if ctx.Err() != nil {
			break // timed out or shut down: retry what is left
		}
	}
	if first == nil {
		first = ctx.Err()
	}
	return h.result(ctx, t, first, "message_id", failed, "messages", len(ids))
}

func (h handlers) deliver(ctx context.Context, t *asynq.Task) error {
	var p DeliverPayload
	if err := decode(t, &p, func() string { return p.MessageID }); err != nil {
		return h.result(ctx, t, err)
	}
	err := h.w.Deliver(ctx, p.MessageID)
	if err != nil && lastAttempt(ctx) && !errors.Is(err, core.ErrNotFound) {
		if ferr := h.w.FailDelivery(ctx, p.MessageID, err.Error()); ferr != nil {
			h.log.ErrorContext(ctx, "record failed delivery", "message_id", p.MessageID, "err", ferr)
		}
	}
	return h.result(ctx, t, err, "message_id", p.MessageID)
}

// lastAttempt reports whether the running task has no retry left.
func lastAttempt(ctx context.Context) bool {
	retried, ok1 := asynq.GetRetryCount(ctx)
	maxRetry, ok2 := asynq.GetMaxRetry(ctx)
	return ok1 && ok2 && retried >= maxRetry
}

func (h handlers) route(ctx context.Context, t *asynq.Task) error {
	var p RoutePayload
	if err := decode(t, &p, func() string { return p.RequestID }); err != nil {
		return h.result(ctx, t, err)
	}
	return h.result(ctx, t, h.w.Route(ctx, p.RequestID), "request_id", p.RequestID, "cause", p.Cause)
}

// mediaFetch fetches the task's attachments in turn; a transient failure
// of any is retried with backoff (the retry finds the others no longer
// pending and leaves them), a permanent one the Worker records as the
// attachment's error.
func (h handlers) mediaFetch(ctx context.Context, t *asynq.Task) error {
	var p MediaFetchPayload
	if err := decode(t, &p, func() string { return p.AttachmentID }); err != nil {
		return h.result(ctx, t, err)
	}
	if len(p.AttachmentIDs) == 0 {
		return h.result(ctx, t, h.w.FetchMedia(ctx, p.AttachmentID), "attachment_id", p.AttachmentID)
	}
	if slices.Contains(p.AttachmentIDs, "") {
		return h.result(ctx, t, fmt.Errorf("%s: payload: %w: %w", t.Type(), errEmptyID, asynq.SkipRetry))
	}
	ids := append([]string{p.AttachmentID}, p.AttachmentIDs...)
	var first error
	failed := p.AttachmentID
	for _, id := range ids {
		if err := h.w.FetchMedia(ctx, id); err != nil && first == nil {
			first, failed = err, id
		}
		if ctx.Err() != nil {
			break // timed out or shut down: retry what is left
		}
	}
	if first == nil {
		first = ctx.Err()
	}
	return h.result(ctx, t, first, "attachment_id", failed, "attachments", len(ids))
}

func (h handlers) sweep(ctx context.Context, t *asynq.Task) error {
	var p SweepPayload
	if err := decode(t, &p, nil); err != nil {
		return h.result(ctx, t, err)
	}
	rep, err := h.w.Sweep(ctx)
	if err == nil && rep != (core.SweepReport{}) {
		h.log.InfoContext(ctx, "sweep re-enqueued due work", "bot", rep.Bot, "deliver", rep.Deliver, "route", rep.Route,
			"media", rep.Media, "timers", rep.Timers, "abandoned", rep.Abandoned, "resolved", rep.Resolved)
	}
	return h.result(ctx, t, err, "period", p.Period)
}

// result maps a Worker error to what Asynq should do and logs it:
//   - nil, or core.ErrNotFound (stale task): done;
//   - asynq.SkipRetry (bad payload): archived, never retried;
//   - anything else: retried; on the last attempt the task is revoked
//     instead of archived, so its id is free for the sweeper to re-enqueue.
//
// attrs are the ids to log, never the payload itself.
func (h handlers) result(ctx context.Context, t *asynq.Task, err error, attrs ...any) error {
	taskID, _ := asynq.GetTaskID(ctx)
	attrs = append([]any{"task", t.Type(), "task_id", taskID}, attrs...)
	switch {
	case err == nil:
		h.log.DebugContext(ctx, "task done", attrs...)
		return nil
	case errors.Is(err, core.ErrNotFound):
		h.log.DebugContext(ctx, "stale task: nothing to do", append(attrs, "err", err)...)
		return nil
	case errors.Is(err, asynq.SkipRetry):
		h.log.ErrorContext(ctx, "task rejected without retry", append(attrs, "err", err)...)
		return err
	}
	retried, _ := asynq.GetRetryCount(ctx)
	attrs = append(attrs, "retried", retried, "err", err)
	if lastAttempt(ctx) {
		h.log.ErrorContext(ctx, "task failed for the last time; the sweeper will re-enqueue it if still due", attrs...)
		return fmt.Errorf("%w (%w)", err, asynq.RevokeTask)
	}
	h.log.WarnContext(ctx, "task failed; will retry", attrs...)
	return err
}
