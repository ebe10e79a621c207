package memstore

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

// MissedRequests implements core.RequestStore.
func (t *tx) MissedRequests(_ context.Context, from, to time.Time, limit int) ([]core.Request, error) {
	defer t.read()()
	d := t.d()
	openAt := func(r core.Request) bool {
		return (r.AcceptedAt.IsZero() || !r.AcceptedAt.Before(to)) && (r.ClosedAt.IsZero() || !r.ClosedAt.Before(to))
	}
	declinedIn := func(r core.Request) bool {
		return slices.ContainsFunc(r.Declines, func(dc core.Decline) bool { return !dc.At.Before(from) && dc.At.Before(to) })
	}
	answered := func(convID string) bool {
		return slices.ContainsFunc(d.convMsgs[convID], func(id string) bool { return d.messages[id].m.Author == core.AuthorAgent })
	}
	var recs []request
	for _, rec := range d.requests {
		r := rec.r
		if r.CreatedAt.Before(to) && (openAt(r) || declinedIn(r)) && !answered(r.ConversationID) {
			recs = append(recs, rec)
		}
	}
	slices.SortFunc(recs, func(a, b request) int {
		return cmp.Or(a.r.CreatedAt.Compare(b.r.CreatedAt), cmp.Compare(a.seq, b.seq))
	})
	if limit <= 0 {
		limit = 1000
	}
	if len(recs) > limit {
		recs = recs[:limit]
	}
	out := make([]core.Request, 0, len(recs))
	for _, rec := range recs {
		out = append(out, t.fill(rec.r))
	}
	return out, nil
}
