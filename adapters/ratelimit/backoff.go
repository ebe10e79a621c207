package ratelimit

import (
	"context"
	"fmt"
	"time"

	"github.com/go-redis/redis_rate/v10"
)

// backoffBase is the first delay of a Backoff past its free events.
const backoffBase = 250 * time.Millisecond

// Backoff slows a key down instead of refusing it: the first Count events
// per Per are free; each further one waits twice as long as the one
// before (250 ms, 500 ms, 1 s, …) up to a maximum. Events drain at the
// rate's pace, so the delay falls back to nothing once they stop.
//
// It is a GCRA cell like Rule whose burst is the free events plus the
// doubling steps: a key past the burst waits the maximum and adds
// nothing, so however long an attack lasts, its owner is slowed for at
// most that burst's drain time after it ends.
type Backoff struct {
	l     *Limiter
	name  string
	free  int
	base  time.Duration
	max   time.Duration
	limit redis_rate.Limit
}

// Backoff makes a backoff named name: r.Count free events per r.Per, then
// delays doubling up to maxDelay. A nil Limiter, an Off rate or a zero
// maxDelay gives one that never delays.
func (l *Limiter) Backoff(name string, r Rate, maxDelay time.Duration) *Backoff {
	if l == nil || r.Off() || maxDelay <= 0 {
		return nil
	}
	base := min(backoffBase, maxDelay)
	steps := 1
	for d := base; d < maxDelay; d *= 2 {
		steps++
	}
	return &Backoff{l: l, name: name, free: r.Count, base: base, max: maxDelay,
		limit: redis_rate.Limit{Rate: r.Count, Burst: r.Count + steps, Period: r.Per}}
}

// Take counts one event of key, atomically, and returns how long it must
// wait: 0 for a free event.
func (b *Backoff) Take(ctx context.Context, key string) (time.Duration, error) {
	if b == nil {
		return 0, nil
	}
	res, err := b.l.rl.Allow(ctx, b.l.key(b.name, key), b.limit)
	if err != nil {
		return 0, fmt.Errorf("backoff %s: %w", b.name, err)
	}
	if res.Allowed == 0 {
		return b.max, nil
	}
	n := b.limit.Burst - res.Remaining // events outstanding, this one included
	if n <= b.free {
		return 0, nil
	}
	d := b.base
	for i := b.free + 1; i < n && d < b.max; i++ {
		d *= 2
	}
	return min(d, b.max), nil
}

// Refund gives back one event that Take counted for key.
func (b *Backoff) Refund(ctx context.Context, key string) error {
	if b == nil {
		return nil
	}
	if _, err := b.l.rl.AllowN(ctx, b.l.key(b.name, key), b.limit, -1); err != nil {
		return fmt.Errorf("backoff %s: refund: %w", b.name, err)
	}
	return nil
}
