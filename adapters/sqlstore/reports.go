package sqlstore

import (
	"context"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

// MissedRequests lists the requests a shift left without an agent: open at
// `to` (created before it, neither accepted nor closed by then) or declined
// in [from, to), with no agent message in their conversation.
func (c *conn) MissedRequests(ctx context.Context, from, to time.Time, limit int) ([]core.Request, error) {
	if limit <= 0 {
		limit = 1000
	}
	query := c.reqSelect() + ` WHERE r.created_at < $2 AND (
			((r.accepted_at IS NULL OR r.accepted_at >= $2) AND (r.closed_at IS NULL OR r.closed_at >= $2))
			OR EXISTS (SELECT 1 FROM request_declines d
				WHERE d.request_id = r.id AND d.declined_at >= $1 AND d.declined_at < $2))
		AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = r.conversation_id AND m.author = 'agent')
		ORDER BY r.created_at, r.id LIMIT $3`
	return c.selectRequests(ctx, "missed requests", query, tm(from), tm(to), limit)
}
