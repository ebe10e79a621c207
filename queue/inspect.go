package queue

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// Inspector reports on and administers the namespaced queues.
type Inspector struct {
	in     *asynq.Inspector
	client redis.UniversalClient
	opts   Options
}

// NewInspector returns an Inspector on conn. It does not own conn.
func NewInspector(conn *Conn, opts Options) *Inspector {
	return &Inspector{in: asynq.NewInspectorFromRedisClient(conn.client), client: conn.client, opts: opts}
}

// QueueSize counts a queue's tasks by state.
type QueueSize struct {
	Pending, Active, Scheduled, Retry, Archived, Completed int
}

// Total is the number of tasks not finished: pending, active, scheduled
// and retrying.
func (q QueueSize) Total() int { return q.Pending + q.Active + q.Scheduled + q.Retry }

// Sizes returns the size of each queue by its plain name (critical,
// default, low); a queue that never held a task is all zeros.
func (i *Inspector) Sizes() (map[string]QueueSize, error) {
	known, err := i.in.Queues()
	if err != nil {
		return nil, fmt.Errorf("list queues: %w", err)
	}
	out := make(map[string]QueueSize, len(priorities))
	for q := range priorities {
		if !slices.Contains(known, i.opts.queueName(q)) {
			out[q] = QueueSize{}
			continue
		}
		info, err := i.in.GetQueueInfo(i.opts.queueName(q))
		if err != nil {
			return nil, fmt.Errorf("queue %s: %w", i.opts.queueName(q), err)
		}
		out[q] = QueueSize{Pending: info.Pending, Active: info.Active, Scheduled: info.Scheduled,
			Retry: info.Retry, Archived: info.Archived, Completed: info.Completed}
	}
	return out, nil
}

// DeleteQueues removes the three queues with all their tasks, retained
// ones and statistics included. It fails while a task is running; shut the
// Servers down first.
func (i *Inspector) DeleteQueues(ctx context.Context) error {
	known, err := i.in.Queues()
	if err != nil {
		return fmt.Errorf("list queues: %w", err)
	}
	var errs []error
	for _, q := range i.opts.QueueNames() {
		if slices.Contains(known, q) {
			if _, err := i.in.DeleteAllCompletedTasks(q); err != nil {
				errs = append(errs, fmt.Errorf("delete completed tasks of %s: %w", q, err))
				continue
			}
			if err := i.in.DeleteQueue(q, true); err != nil && !errors.Is(err, asynq.ErrQueueNotFound) {
				errs = append(errs, fmt.Errorf("delete queue %s: %w", q, err))
				continue
			}
		}
		// What DeleteQueue leaves: the processed and failed counters. All
		// keys of a queue share its hash tag, so one node holds them.
		if err := i.deleteKeys(ctx, "asynq:{"+q+"}:*"); err != nil {
			errs = append(errs, fmt.Errorf("delete statistics of %s: %w", q, err))
		}
	}
	return errors.Join(errs...)
}

// deleteKeys deletes the keys matching pattern on every master.
func (i *Inspector) deleteKeys(ctx context.Context, pattern string) error {
	del := func(ctx context.Context, c redis.UniversalClient) error {
		iter := c.Scan(ctx, 0, pattern, 100).Iterator()
		for iter.Next(ctx) {
			if err := c.Del(ctx, iter.Val()).Err(); err != nil {
				return err
			}
		}
		return iter.Err()
	}
	if cc, ok := i.client.(*redis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return del(ctx, c) })
	}
	return del(ctx, i.client)
}

// Asynq returns the underlying asynq.Inspector for everything else
// (listing, running or deleting single tasks).
func (i *Inspector) Asynq() *asynq.Inspector { return i.in }
