package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Failures limits how many failures one key may have in a window.
type Failures struct {
	client redis.UniversalClient
	prefix string
	limit  int64
	window time.Duration
}

// NewFailures allows limit failures per key per window.
func NewFailures(client redis.UniversalClient, prefix string, limit int, window time.Duration) *Failures {
	return &Failures{client: client, prefix: prefix, limit: int64(limit), window: window}
}

// key hashes the caller's key (an e-mail, an address): no personal data
// sits in Redis in the clear.
func (f *Failures) key(k string) string {
	h := sha256.Sum256([]byte(k))
	return f.prefix + hex.EncodeToString(h[:12])
}

// Blocked reports whether k has used up its failures, and for how long.
func (f *Failures) Blocked(ctx context.Context, k string) (time.Duration, error) {
	key := f.key(k)
	n, err := f.client.Get(ctx, key).Int64()
	if err == redis.Nil {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("ratelimit: read: %w", err)
	}
	if n < f.limit {
		return 0, nil
	}
	ttl, err := f.client.PTTL(ctx, key).Result()
	if err != nil {
		return 0, fmt.Errorf("ratelimit: read expiry: %w", err)
	}
	if ttl <= 0 {
		ttl = f.window
	}
	return ttl, nil
}

// Fail counts one failure of k; the window starts at the first.
func (f *Failures) Fail(ctx context.Context, k string) error {
	key := f.key(k)
	pipe := f.client.TxPipeline()
	pipe.Incr(ctx, key)
	pipe.ExpireNX(ctx, key, f.window) // NX: later failures do not extend the window
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("ratelimit: count: %w", err)
	}
	return nil
}
