package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// Rate is Count events per Per, in bursts of up to Count: after a burst,
// one more event is allowed every Per/Count. A zero Count means no limit.
type Rate struct {
	Count int
	Per   time.Duration
}

// Off reports a rate that limits nothing.
func (r Rate) Off() bool { return r.Count <= 0 || r.Per <= 0 }

func (r Rate) String() string {
	if r.Off() {
		return "unlimited"
	}
	return fmt.Sprintf("%d per %s", r.Count, r.Per)
}

// interval is the time one event takes to drain.
func (r Rate) interval() time.Duration { return r.Per / time.Duration(r.Count) }

// Limiter makes rules whose counts live in Redis under one key prefix.
type Limiter struct {
	rl     *redis_rate.Limiter
	prefix string
}

// New keeps the counts in client under keys starting with prefix (such
// as "sb:limit:"; redis_rate adds its own "rate:" before it).
func New(client redis.UniversalClient, prefix string) *Limiter {
	return &Limiter{rl: redis_rate.NewLimiter(client), prefix: prefix}
}

// key is the Redis key of name's count for k, hashed so that no personal
// data (an e-mail, an address, a token) sits in Redis in the clear.
func (l *Limiter) key(name, k string) string {
	h := sha256.Sum256([]byte(k))
	return l.prefix + name + ":" + hex.EncodeToString(h[:12])
}

// Rule is one named rate, counted per key.
type Rule struct {
	l     *Limiter
	name  string
	rate  Rate
	limit redis_rate.Limit
}

// Rule limits each key of the rule name to r. A nil Limiter or an Off
// rate gives a rule that allows everything.
func (l *Limiter) Rule(name string, r Rate) *Rule {
	if l == nil || r.Off() {
		return nil
	}
	return &Rule{l: l, name: name, rate: r, limit: redis_rate.Limit{Rate: r.Count, Burst: r.Count, Period: r.Per}}
}

// Rate is the rule's rate (Off for a nil rule).
func (r *Rule) Rate() Rate {
	if r == nil {
		return Rate{}
	}
	return r.rate
}

// Take counts one event of key, atomically with the check: it returns 0
// when the event is allowed (and counted), or how long to wait before one
// is, in which case nothing was counted. A Redis failure is an error.
func (r *Rule) Take(ctx context.Context, key string) (time.Duration, error) {
	if r == nil {
		return 0, nil
	}
	res, err := r.l.rl.Allow(ctx, r.l.key(r.name, key), r.limit)
	if err != nil {
		return 0, fmt.Errorf("rate limit %s: %w", r.name, err)
	}
	if res.Allowed > 0 {
		return 0, nil
	}
	return max(res.RetryAfter, time.Millisecond), nil
}

// Refund gives back one event that Take counted for key.
func (r *Rule) Refund(ctx context.Context, key string) error {
	if r == nil {
		return nil
	}
	// A negative cost moves the cell's theoretical arrival time back by one
	// interval. The script stores nothing when that lands in the past; the
	// leftover is less than one interval and drains by itself.
	if _, err := r.l.rl.AllowN(ctx, r.l.key(r.name, key), r.limit, -1); err != nil {
		return fmt.Errorf("rate limit %s: refund: %w", r.name, err)
	}
	return nil
}

// Reset forgets every event of key.
func (r *Rule) Reset(ctx context.Context, key string) error {
	if r == nil {
		return nil
	}
	if err := r.l.rl.Reset(ctx, r.l.key(r.name, key)); err != nil {
		return fmt.Errorf("rate limit %s: reset: %w", r.name, err)
	}
	return nil
}

// Check is one rule and the key it counts.
type Check struct {
	Rule *Rule
	Key  string
}

// Take counts one event on every check, in order. When one refuses, the
// events already counted by the earlier ones are given back and its wait
// is returned: a refused request costs no check anything.
func Take(ctx context.Context, checks ...Check) (time.Duration, error) {
	for i, c := range checks {
		wait, err := c.Rule.Take(ctx, c.Key)
		if err == nil && wait == 0 {
			continue
		}
		for _, prev := range checks[:i] {
			if rerr := prev.Rule.Refund(ctx, prev.Key); rerr != nil && err == nil {
				err = rerr
			}
		}
		return wait, err
	}
	return 0, nil
}
