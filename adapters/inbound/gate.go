package inbound

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/switchboard-chat/switchboard/core"
)

// Read budget defaults.
const (
	// DefaultReadBudget is how many bytes of webhook bodies the process
	// reads at once before their signature is known: 8 bodies at the
	// webhook limit of 4 MiB, or thousands of ordinary ones (a few KiB).
	DefaultReadBudget = 32 << 20
	// DefaultMaxBody is what a body of unknown length (chunked) reserves.
	DefaultMaxBody = 4 << 20
	// DefaultReadWait is how long a body waits for budget before it is
	// refused with 503 (the provider delivers it again).
	DefaultReadWait = 5 * time.Second
)

// DefaultGate is the process's gate, which webhooks without one of their
// own share.
var DefaultGate = NewGate(DefaultReadBudget, DefaultMaxBody, DefaultReadWait)

// Gate bounds the memory that unproven webhook bodies take: a body whose
// sender only a signature over it can prove (Meta's X-Hub-Signature-256)
// reserves its length from a byte budget before it is read and returns it
// once it is verified or refused. A flood of large forged bodies thus
// waits its turn instead of being read all at once, and a body that
// cannot get its share in time is refused as core.ErrUnavailable (503).
type Gate struct {
	sem     *semaphore.Weighted
	budget  int64
	maxBody int64
	wait    time.Duration
	inUse   atomic.Int64
	peak    atomic.Int64
}

// NewGate returns a gate of budget bytes; a body of unknown length
// reserves maxBody, and none waits longer than wait. Zero values take the
// defaults; maxBody is at most budget.
func NewGate(budget, maxBody int64, wait time.Duration) *Gate {
	if budget <= 0 {
		budget = DefaultReadBudget
	}
	if maxBody <= 0 {
		maxBody = DefaultMaxBody
	}
	if wait <= 0 {
		wait = DefaultReadWait
	}
	maxBody = min(maxBody, budget)
	return &Gate{sem: semaphore.NewWeighted(budget), budget: budget, maxBody: maxBody, wait: wait}
}

// errBusy is a body that waited too long for the read budget.
var errBusy = errors.New("too many unverified webhook bodies are being read")

// reserve takes n bytes of the budget for a body of declared length
// contentLength (≤ 0: unknown) and returns how many it took. A body
// declared longer than the gate's largest is ErrTooLarge.
func (g *Gate) reserve(ctx context.Context, contentLength int64) (int64, error) {
	n := g.maxBody
	if contentLength > 0 {
		if contentLength > g.maxBody {
			return 0, fmt.Errorf("declared %d bytes, more than %d: %w", contentLength, g.maxBody, ErrTooLarge)
		}
		n = contentLength
	}
	wctx, cancel := context.WithTimeout(ctx, g.wait)
	defer cancel()
	if err := g.sem.Acquire(wctx, n); err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, fmt.Errorf("%w (waited %s): %w", errBusy, g.wait, core.ErrUnavailable)
	}
	used := g.inUse.Add(n)
	for {
		p := g.peak.Load()
		if used <= p || g.peak.CompareAndSwap(p, used) {
			break
		}
	}
	return n, nil
}

// release gives n reserved bytes back.
func (g *Gate) release(n int64) {
	g.inUse.Add(-n)
	g.sem.Release(n)
}

// Budget is the gate's size in bytes.
func (g *Gate) Budget() int64 { return g.budget }

// Peak is the most bytes that were reserved at once since the gate was made.
func (g *Gate) Peak() int64 { return g.peak.Load() }
