package widget

import (
	"fmt"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-chat/switchboard/adapters/httpapi"
	"github.com/switchboard-chat/switchboard/adapters/ratelimit"
	"github.com/switchboard-chat/switchboard/core"
)

// Limits are the visitor API's abuse limits (config limits.widget); a nil
// rule does not limit. "ByAddress" rules count per client address,
// "ByVisitor" ones per visitor token.
type Limits struct {
	SessionsByAddress    *ratelimit.Rule
	MessagesByVisitor    *ratelimit.Rule
	MessagesByAddress    *ratelimit.Rule
	HandoffsByVisitor    *ratelimit.Rule
	HandoffsByAddress    *ratelimit.Rule
	PageUpdatesByVisitor *ratelimit.Rule
	PageUpdatesByAddress *ratelimit.Rule
	TypingByVisitor      *ratelimit.Rule
	TypingByAddress      *ratelimit.Rule
	ReadsByVisitor       *ratelimit.Rule
	ReadsByAddress       *ratelimit.Rule
	// StreamsPerVisitor is how many event streams one visitor token may
	// have open at once on this gateway (0: any number).
	StreamsPerVisitor int
}

type limits struct {
	sessions, messages, handoffs, pages, typing, reads                                    *ratelimit.Rule // per address
	messagesByVisitor, handoffsByVisitor, pagesByVisitor, typingByVisitor, readsByVisitor *ratelimit.Rule
	streams                                                                               *ratelimit.Slots
}

// Limit applies l to the routes; call it before Register.
func (h *Handler) Limit(l Limits) *Handler {
	h.limits = limits{
		sessions: l.SessionsByAddress, messages: l.MessagesByAddress, handoffs: l.HandoffsByAddress, pages: l.PageUpdatesByAddress,
		messagesByVisitor: l.MessagesByVisitor, handoffsByVisitor: l.HandoffsByVisitor, pagesByVisitor: l.PageUpdatesByVisitor,
		typing: l.TypingByAddress, typingByVisitor: l.TypingByVisitor, reads: l.ReadsByAddress, readsByVisitor: l.ReadsByVisitor,
		streams: ratelimit.NewSlots(l.StreamsPerVisitor),
	}
	return h
}

// limit counts the request on the visitor token's rule (after visitorAuth)
// and on the client address's, before the handler runs; past either the
// answer is 429 with Retry-After and neither is counted.
func (h *Handler) limit(byAddress, byVisitor *ratelimit.Rule) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		if byAddress == nil && byVisitor == nil {
			return next
		}
		return func(c echo.Context) error {
			checks := []ratelimit.Check{{Rule: byAddress, Key: c.RealIP()}}
			if byVisitor != nil {
				checks = append([]ratelimit.Check{{Rule: byVisitor, Key: core.HashToken(httpapi.BearerToken(c))}}, checks...)
			}
			wait, err := ratelimit.Take(c.Request().Context(), checks...)
			if err != nil {
				return fmt.Errorf("widget limit: %w: %w", core.ErrUnavailable, err)
			}
			if wait > 0 {
				return httpapi.RateLimited(c, wait)
			}
			return next(c)
		}
	}
}
