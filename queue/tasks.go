package queue

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/switchboard-chat/switchboard/core"
)

// Task type names.
const (
	TypeBot     = "conv:bot"
	TypeDeliver = "msg:deliver"
	TypeRoute   = "request:route"
	TypeSweep   = "maintenance:sweep"
	// TypeEscalate is the routing timer of one step: a tier's For or a
	// direct offer's timeout ran out.
	TypeEscalate = "request:escalate"
	// TypeReroute is the routing.reroute_within check after a decline.
	TypeReroute = "request:reroute"
	// TypeMediaFetch downloads, checks and stores an inbound attachment.
	TypeMediaFetch = "media:fetch"
)

// Queue names, before any Namespace prefix.
const (
	QueueCritical = "critical"
	QueueDefault  = "default"
	QueueLow      = "low"
)

// Queue priorities: the weight of each queue when a server picks its next
// task.
var priorities = map[string]int{QueueCritical: 6, QueueDefault: 3, QueueLow: 1}

// spec is how one task type is queued and retried.
type spec struct {
	queue    string
	maxRetry int
	timeout  time.Duration
	// retry delay: base·2^n, at most maxDelay.
	baseDelay, maxDelay time.Duration
}

var specs = map[string]spec{
	TypeBot: {queue: QueueDefault, maxRetry: 10, timeout: 30 * time.Second, baseDelay: time.Second, maxDelay: time.Minute},
	// Deliveries go ahead of the bot's turns: most bot answers are sent by
	// the worker that stored them, so msg:deliver carries what people wait
	// on (agents' replies, acknowledgments, system messages) and retries.
	// Under a backlog of bot turns an agent's reply no longer waits behind
	// it. Every enqueue of a type uses its spec, so the sweeper queues the
	// same task id on the same queue and a message is never queued twice.
	// The timeout leaves time to upload a file (WhatsApp takes documents
	// of 100 MB); a text send is bounded by its API client's own timeout.
	TypeDeliver: {queue: QueueCritical, maxRetry: 12, timeout: 5 * time.Minute, baseDelay: time.Second, maxDelay: 5 * time.Minute},
	// Routing must happen again soon after a failure: a declined request
	// is re-offered within routing.reroute_within (30 s by default).
	TypeRoute: {queue: QueueCritical, maxRetry: 10, timeout: 15 * time.Second, baseDelay: time.Second, maxDelay: 10 * time.Second},
	// Timers: on the critical queue next to routing, retried quickly.
	TypeEscalate: {queue: QueueCritical, maxRetry: 10, timeout: 15 * time.Second, baseDelay: time.Second, maxDelay: 10 * time.Second},
	TypeReroute:  {queue: QueueCritical, maxRetry: 10, timeout: 15 * time.Second, baseDelay: time.Second, maxDelay: 10 * time.Second},
	// Fetches retry transient failures (a provider's 5xx or 429, a blob
	// store or clamd that is down) for about an hour; the retry waits stay
	// under core.MediaSweepGrace, so the sweeper leaves a retrying fetch
	// alone and re-queues only a lost one.
	TypeMediaFetch: {queue: QueueDefault, maxRetry: 16, timeout: 5 * time.Minute, baseDelay: 2 * time.Second, maxDelay: 5 * time.Minute},
	// A failed sweep is not retried: the next period sweeps again.
	TypeSweep: {queue: QueueLow, maxRetry: 0, timeout: time.Minute, baseDelay: time.Second, maxDelay: time.Minute},
}

// specOf returns the spec of a task type; unknown types get conservative
// defaults on the default queue.
func specOf(typ string) spec {
	if s, ok := specs[typ]; ok {
		return s
	}
	return spec{queue: QueueDefault, maxRetry: 5, timeout: 30 * time.Second, baseDelay: time.Second, maxDelay: time.Minute}
}

// maxProviderWait bounds the wait a provider may ask for (core.RetryAfter)
// before a retry. While the retry waits, the sweeper cannot queue the
// message again (same task id), so a longer flood wait is tried after an
// hour and, if still refused, waits again.
const maxProviderWait = time.Hour

// retryDelay is the backoff before retry n+1 (n failures so far, from 0):
// base, 2·base, 4·base, … capped at the type's maximum; but no sooner than
// the provider asked for in err (a rate limit's retry_after), up to
// maxProviderWait, since an earlier retry would only be refused again.
func retryDelay(n int, err error, t *asynq.Task) time.Duration {
	s := specOf(t.Type())
	d := s.baseDelay
	for i := 0; i < n && d < s.maxDelay; i++ {
		d *= 2
	}
	d = min(d, s.maxDelay)
	if wait, ok := core.RetryAfter(err); ok {
		d = max(d, min(wait, maxProviderWait))
	}
	return d
}

// BotPayload is the payload of conv:bot: the bot's turn on MessageID and
// then on each of MessageIDs, in order (inbound messages stored together
// by group commit).
type BotPayload struct {
	MessageID  string   `json:"message_id"`
	MessageIDs []string `json:"message_ids,omitempty"`
}

// maxBotBatch is the most messages one conv:bot task takes: big enough
// that a busy gateway queues a few tasks per group, small enough that
// the workers share a group's turns.
const maxBotBatch = 32

// DeliverPayload is the payload of msg:deliver.
type DeliverPayload struct {
	MessageID string `json:"message_id"`
}

// RoutePayload is the payload of request:route. Cause (open, decline:N,
// sweep:N, …) is part of the task id only; routing looks at the request's
// current state.
type RoutePayload struct {
	RequestID string `json:"request_id"`
	Cause     string `json:"cause,omitempty"`
}

// EscalatePayload is the payload of request:escalate: the routing step the
// timer was set for and its due time (unix microseconds).
type EscalatePayload struct {
	RequestID string `json:"request_id"`
	Step      int    `json:"step"`
	At        int64  `json:"at"`
}

// ReroutePayload is the payload of request:reroute: the check's due time
// (unix microseconds).
type ReroutePayload struct {
	RequestID string `json:"request_id"`
	At        int64  `json:"at"`
}

// MediaFetchPayload is the payload of media:fetch: the fetch of
// AttachmentID and then of each of AttachmentIDs (files of messages
// stored together by group commit). Cause (ingest, sweep:N) is part of
// the task id only.
type MediaFetchPayload struct {
	AttachmentID  string   `json:"attachment_id"`
	AttachmentIDs []string `json:"attachment_ids,omitempty"`
	Cause         string   `json:"cause,omitempty"`
}

// maxFetchBatch is the most files one media:fetch task takes, one after
// the other: a group's files are spread over a few tasks the workers
// fetch side by side, and one task holds at most this many files in
// turn.
const maxFetchBatch = 8

// SweepPayload is the payload of maintenance:sweep: the sweep period it
// was enqueued for (unix time / period length).
type SweepPayload struct {
	Period int64 `json:"period"`
}

// errEmptyID rejects a payload without the id its task needs.
var errEmptyID = errors.New("empty id")

// NewBotTask returns a conv:bot task for an inbound customer message, with
// task id "bot:<messageID>".
func NewBotTask(messageID string) (*asynq.Task, error) {
	if messageID == "" {
		return nil, fmt.Errorf("%s task: message id: %w", TypeBot, errEmptyID)
	}
	return newTask(TypeBot, BotPayload{MessageID: messageID}, "bot:"+messageID)
}

// NewBotBatchTask returns one conv:bot task for several inbound messages,
// taken in order, with the task id of the first ("bot:<first id>").
func NewBotBatchTask(messageIDs []string) (*asynq.Task, error) {
	if len(messageIDs) == 0 {
		return nil, fmt.Errorf("%s task: message ids: %w", TypeBot, errEmptyID)
	}
	for _, id := range messageIDs {
		if id == "" {
			return nil, fmt.Errorf("%s task: message id: %w", TypeBot, errEmptyID)
		}
	}
	first := messageIDs[0]
	return newTask(TypeBot, BotPayload{MessageID: first, MessageIDs: messageIDs[1:]}, "bot:"+first)
}

// NewDeliverTask returns a msg:deliver task for an outbound message, with
// task id "deliver:<messageID>".
func NewDeliverTask(messageID string) (*asynq.Task, error) {
	if messageID == "" {
		return nil, fmt.Errorf("%s task: message id: %w", TypeDeliver, errEmptyID)
	}
	return newTask(TypeDeliver, DeliverPayload{MessageID: messageID}, "deliver:"+messageID)
}

// NewRouteTask returns a request:route task, with task id
// "route:<requestID>:<cause>".
func NewRouteTask(requestID, cause string) (*asynq.Task, error) {
	if requestID == "" {
		return nil, fmt.Errorf("%s task: request id: %w", TypeRoute, errEmptyID)
	}
	return newTask(TypeRoute, RoutePayload{RequestID: requestID, Cause: cause}, "route:"+requestID+":"+cause)
}

// NewMediaFetchTask returns a media:fetch task for a pending attachment,
// with task id "fetch:<attachmentID>:<cause>".
func NewMediaFetchTask(attachmentID, cause string) (*asynq.Task, error) {
	if attachmentID == "" {
		return nil, fmt.Errorf("%s task: attachment id: %w", TypeMediaFetch, errEmptyID)
	}
	return newTask(TypeMediaFetch, MediaFetchPayload{AttachmentID: attachmentID, Cause: cause}, "fetch:"+attachmentID+":"+cause)
}

// NewMediaFetchBatchTask returns one media:fetch task for several
// pending attachments, with the task id of the first
// ("fetch:<first id>:<cause>").
func NewMediaFetchBatchTask(attachmentIDs []string, cause string) (*asynq.Task, error) {
	if len(attachmentIDs) == 0 {
		return nil, fmt.Errorf("%s task: attachment ids: %w", TypeMediaFetch, errEmptyID)
	}
	for _, id := range attachmentIDs {
		if id == "" {
			return nil, fmt.Errorf("%s task: attachment id: %w", TypeMediaFetch, errEmptyID)
		}
	}
	first := attachmentIDs[0]
	return newTask(TypeMediaFetch, MediaFetchPayload{AttachmentID: first, AttachmentIDs: attachmentIDs[1:], Cause: cause}, "fetch:"+first+":"+cause)
}

// NewEscalateTask returns the request:escalate timer of a routing step,
// with task id "escalate:<requestID>:<step>", to run at `at` (Asynq keeps
// whole seconds: it may start up to a second early, and the handler then
// waits for the exact time).
func NewEscalateTask(requestID string, step int, at time.Time) (*asynq.Task, error) {
	if requestID == "" {
		return nil, fmt.Errorf("%s task: request id: %w", TypeEscalate, errEmptyID)
	}
	return newTask(TypeEscalate, EscalatePayload{RequestID: requestID, Step: step, At: at.UnixMicro()},
		fmt.Sprintf("escalate:%s:%d", requestID, step), asynq.ProcessAt(at))
}

// NewRerouteTask returns the request:reroute check due at `at`, with task
// id "reroute:<requestID>:<at in unix microseconds>".
func NewRerouteTask(requestID string, at time.Time) (*asynq.Task, error) {
	if requestID == "" {
		return nil, fmt.Errorf("%s task: request id: %w", TypeReroute, errEmptyID)
	}
	return newTask(TypeReroute, ReroutePayload{RequestID: requestID, At: at.UnixMicro()},
		fmt.Sprintf("reroute:%s:%d", requestID, at.UnixMicro()), asynq.ProcessAt(at))
}

// NewSweepTask returns the maintenance:sweep task of the period containing
// now, with task id "sweep:<unix/period>". Unlike the other tasks it is
// retained for one period after it ran.
func NewSweepTask(now time.Time, period time.Duration) (*asynq.Task, error) {
	secs := int64(period / time.Second)
	if secs < 1 {
		secs = 1
	}
	p := now.Unix() / secs
	// The finished sweep keeps its id for one period, so that the other
	// worker processes enqueueing the same period find it taken.
	return newTask(TypeSweep, SweepPayload{Period: p}, fmt.Sprintf("sweep:%d", p),
		asynq.Retention(time.Duration(secs)*time.Second))
}

// newTask encodes the payload and attaches the type's options. The queue
// set here is the plain name; the Enqueuer replaces it with the namespaced
// one.
func newTask(typ string, payload any, taskID string, extra ...asynq.Option) (*asynq.Task, error) {
	b, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("%s task: encode payload: %w", typ, err)
	}
	s := specOf(typ)
	opts := append([]asynq.Option{
		asynq.TaskID(taskID),
		asynq.Queue(s.queue),
		asynq.MaxRetry(s.maxRetry),
		asynq.Timeout(s.timeout),
	}, extra...)
	return asynq.NewTask(typ, b, opts...), nil
}

// decode unmarshals a task payload strictly. Any problem is wrapped with
// asynq.SkipRetry: a payload that cannot be read now never will be.
func decode(t *asynq.Task, v any, id func() string) error {
	if err := json.Unmarshal(t.Payload(), v); err != nil {
		return fmt.Errorf("%s: decode payload: %v: %w", t.Type(), err, asynq.SkipRetry)
	}
	if id != nil && id() == "" {
		return fmt.Errorf("%s: payload: %w: %w", t.Type(), errEmptyID, asynq.SkipRetry)
	}
	return nil
}
