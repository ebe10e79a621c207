package inbox

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/sync/semaphore"

	"github.com/switchboard-chat/switchboard/adapters/httpapi"
	"github.com/switchboard-chat/switchboard/adapters/ratelimit"
	"github.com/switchboard-chat/switchboard/core"
)

// SearchLimits bound the history searches (GET /v1/conversations with q or
// customer), which can take a database connection for seconds.
type SearchLimits struct {
	// PerAgent is how many searches one agent may run at once on this
	// gateway; past it the answer is 429 (0: any number).
	PerAgent int
	// Concurrent is how many searches this gateway runs at once; more wait
	// for a turn up to Wait, then get 503 (0: any number). Keep it well
	// under the database pool, so the request panel and the readiness
	// probe always find a connection.
	Concurrent int
	Wait       time.Duration
}

type searchLimits struct {
	perAgent *ratelimit.Slots
	turns    *semaphore.Weighted
	wait     time.Duration
}

// LimitSearches bounds history searches.
func (h *Handler) LimitSearches(l SearchLimits) *Handler {
	h.search = searchLimits{perAgent: ratelimit.NewSlots(l.PerAgent), wait: l.Wait}
	if l.Concurrent > 0 {
		h.search.turns = semaphore.NewWeighted(int64(l.Concurrent))
	}
	if h.search.wait <= 0 {
		h.search.wait = 5 * time.Second
	}
	return h
}

// isSearch reports a query that reads history by text or customer name
// rather than by index (status, agent, channel).
func isSearch(q core.ConversationQuery) bool {
	return strings.TrimSpace(q.Text) != "" || strings.TrimSpace(q.Customer) != ""
}

// begin takes the agent's search slot and a turn of the gateway's; the
// returned func gives them back. Listing without q or customer passes.
func (l searchLimits) begin(c echo.Context, a core.Agent, q core.ConversationQuery) (func(), error) {
	if !isSearch(q) {
		return func() {}, nil
	}
	release, ok := l.perAgent.Acquire(a.ID)
	if !ok {
		return nil, httpapi.RateLimited(c, time.Second)
	}
	if l.turns == nil {
		return release, nil
	}
	wctx, cancel := context.WithTimeout(c.Request().Context(), l.wait)
	defer cancel()
	if err := l.turns.Acquire(wctx, 1); err != nil {
		release()
		c.Response().Header().Set("Retry-After", "1")
		return nil, fmt.Errorf("search: every search turn busy for %s: %w", l.wait, core.ErrUnavailable)
	}
	return func() { l.turns.Release(1); release() }, nil
}
