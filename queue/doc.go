// Package queue runs Switchboard's background work on Asynq.
//
// Six task types follow the domain:action naming of the design:
//
//	conv:bot           the bot's turn after a customer message   (queue "default";
//	                   "critical" when the message asks for a person)
//	msg:deliver        send an outbound message on its channel    (queue "critical")
//	request:route      offer a connection request to agents       (queue "critical")
//	request:escalate   move an offer on when its step times out   (queue "critical", at its time)
//	request:reroute    the reroute_within check of a declined one (queue "critical", at its time)
//	maintenance:sweep  re-enqueue what the database says is due   (queue "low")
//
// Each type has a payload struct, a NewXTask constructor and a thin handler
// that decodes the payload and makes one call on a [Worker] (core.Service
// satisfies it, and [TimerWorker] for the two timers). An undecodable
// payload is archived at once (asynq.SkipRetry); a core.ErrNotFound result
// is a stale task and counts as success; any other error is retried with
// the task's own exponential backoff. When a task has used up its retries
// it is dropped rather than archived, so its task id is free again and the
// periodic sweep can re-enqueue it from the database once the cause is
// gone.
//
// A conv:bot task may carry several messages (message_ids after
// message_id): [Enqueuer.QueueBots] queues the bot's turns on a group of
// messages stored by one group commit as one task per 32 messages, which
// the worker takes in order, so a busy gateway makes one enqueue, and the
// workers one dequeue, per group instead of per message.
//
// [Enqueuer] implements core.Jobs with deterministic task ids ("bot:<message
// id>" of the first message, "deliver:<message id>", "route:<request
// id>:<cause>", "escalate:<request id>:<step>", "reroute:<request id>:<at>"):
// enqueueing the same work twice while the first task is still queued,
// scheduled, running or waiting for a retry queues it once. Finished tasks
// are not retained, so the same id can be enqueued again afterwards.
// [Enqueuer.Enqueue] takes extra options, e.g. asynq.ProcessIn for
// [Enqueuer.QueueDeliveryIn] (a send the provider asked to wait). A retry
// waits at least as long as a failed send's provider asked
// (core.RetryAfter).
//
// [Server] processes the queues with weighted priorities (critical 6,
// default 3, low 1) and enqueues maintenance:sweep at start and once per
// sweep period under the task id "sweep:<unix time / period>". That one
// task is retained for a period after it ran, so any number of worker
// processes cause one sweep per period.
//
// [Inspector] reports queue sizes and deletes a namespace's queues.
//
// [Connect] opens Redis from a URL: redis://, rediss://, redis-sentinel://
// (with master_name), a comma-separated list of cluster addresses, or "" for
// an embedded in-process Redis (miniredis served over in-memory pipes, no
// port; a ticker fast-forwards its TTLs). The embedded queue lives only as
// long as the process; the sweep rebuilds lost tasks from the database.
//
// [Options].Namespace prefixes the queue names ("ns:critical", …) so that
// deployments or tests sharing one Redis do not take each other's tasks.
package queue
