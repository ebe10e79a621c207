package memstore

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

// CreateRequest implements core.RequestStore. Declines and offers are
// written with AddDecline and SetOffers, not here.
func (t *tx) CreateRequest(_ context.Context, r core.Request) error {
	defer t.write()()
	d := t.d()
	if _, ok := d.requests[r.ID]; ok {
		return duplicate("request", r.ID)
	}
	if _, ok := d.convs[r.ConversationID]; !ok {
		return notFound("conversation", r.ConversationID)
	}
	r = stripRequest(r)
	r.Declines, r.OfferedTo, r.Routing = nil, nil, core.RouteState{}
	put(t, d.requests, r.ID, request{r: r, seq: t.next()})
	return nil
}

// stripRequest drops what is not stored: what reads fill and the
// viewer-dependent fields.
func stripRequest(r core.Request) core.Request {
	r.Customer, r.Channel = core.Customer{}, core.Channel{}
	r.WaitSeconds, r.WaitLevel, r.OfferedToMe, r.QueuePosition = 0, "", false, 0
	return r
}

// UpdateRequest implements core.RequestStore: it writes status, reason,
// page url, the accepted and closed fields and UpdatedAt.
func (t *tx) UpdateRequest(_ context.Context, r core.Request) error {
	defer t.write()()
	rec, ok := t.d().requests[r.ID]
	if !ok {
		return notFound("request", r.ID)
	}
	s := &rec.r
	s.Status, s.Reason, s.PageURL, s.UpdatedAt = r.Status, r.Reason, r.PageURL, r.UpdatedAt
	s.AcceptedBy, s.AcceptedAt, s.ClosedAt = r.AcceptedBy, r.AcceptedAt, r.ClosedAt
	put(t, t.d().requests, r.ID, rec)
	return nil
}

func (t *tx) request(id string) (core.Request, error) {
	rec, ok := t.d().requests[id]
	if !ok {
		return core.Request{}, notFound("request", id)
	}
	return t.fill(rec.r), nil
}

func (t *tx) fill(r core.Request) core.Request {
	r.Customer = t.d().customers[r.CustomerID]
	r.Declines, r.OfferedTo = slices.Clone(r.Declines), slices.Clone(r.OfferedTo)
	r.Routing.Tried = slices.Clone(r.Routing.Tried)
	return r
}

// RequestByID implements core.RequestStore.
func (t *tx) RequestByID(_ context.Context, id string) (core.Request, error) {
	defer t.read()()
	return t.request(id)
}

// LockRequest implements core.RequestStore; the store-wide lock covers it.
func (t *tx) LockRequest(ctx context.Context, id string) (core.Request, error) {
	return t.RequestByID(ctx, id)
}

// AcceptRequest implements core.RequestStore: the conditional update.
func (t *tx) AcceptRequest(_ context.Context, id, agentID string, at time.Time) (bool, error) {
	defer t.write()()
	rec, ok := t.d().requests[id]
	if !ok {
		return false, notFound("request", id)
	}
	if !rec.r.Status.Open() {
		return false, nil
	}
	rec.r.Status, rec.r.AcceptedBy, rec.r.AcceptedAt, rec.r.UpdatedAt = core.ReqAccepted, agentID, at, at
	put(t, t.d().requests, id, rec)
	if at.After(t.d().assigned[agentID]) {
		put(t, t.d().assigned, agentID, at)
	}
	return true, nil
}

// AddDecline implements core.RequestStore.
func (t *tx) AddDecline(_ context.Context, requestID string, dec core.Decline) error {
	defer t.write()()
	rec, ok := t.d().requests[requestID]
	if !ok {
		return notFound("request", requestID)
	}
	rec.r.Declines = append(slices.Clip(rec.r.Declines), dec)
	put(t, t.d().requests, requestID, rec)
	return nil
}

// SetOffers implements core.RequestStore.
func (t *tx) SetOffers(_ context.Context, requestID string, agentIDs []string, at time.Time) error {
	defer t.write()()
	rec, ok := t.d().requests[requestID]
	if !ok {
		return notFound("request", requestID)
	}
	var ids []string
	for _, id := range agentIDs {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	rec.r.OfferedTo, rec.offeredAt = ids, at
	put(t, t.d().requests, requestID, rec)
	return nil
}

// ListRequests implements core.RequestStore: oldest first.
func (t *tx) ListRequests(_ context.Context, q core.RequestQuery) ([]core.Request, error) {
	defer t.read()()
	var recs []request
	for _, rec := range t.d().requests {
		r := rec.r
		switch {
		case len(q.Statuses) > 0 && !slices.Contains(q.Statuses, r.Status),
			q.OfferedTo != "" && !slices.Contains(r.OfferedTo, q.OfferedTo),
			q.AcceptedBy != "" && r.AcceptedBy != q.AcceptedBy:
			continue
		}
		recs = append(recs, rec)
	}
	slices.SortFunc(recs, func(a, b request) int {
		return cmp.Or(a.r.CreatedAt.Compare(b.r.CreatedAt), cmp.Compare(a.seq, b.seq))
	})
	if q.Limit > 0 && len(recs) > q.Limit {
		recs = recs[:q.Limit]
	}
	out := make([]core.Request, 0, len(recs))
	for _, rec := range recs {
		out = append(out, t.fill(rec.r))
	}
	return out, nil
}

// UpdateRouting implements core.RequestStore.
func (t *tx) UpdateRouting(_ context.Context, id string, st core.RouteState) error {
	defer t.write()()
	rec, ok := t.d().requests[id]
	if !ok {
		return notFound("request", id)
	}
	st.Tried = slices.Clone(st.Tried)
	rec.r.Routing = st
	put(t, t.d().requests, id, rec)
	return nil
}

// RoutingDue implements core.RequestStore: open requests with a deadline
// or reroute check at or before `before`, soonest first.
func (t *tx) RoutingDue(_ context.Context, before time.Time, limit int) ([]core.Request, error) {
	defer t.read()()
	type due struct {
		r  core.Request
		at time.Time
	}
	var list []due
	for _, rec := range t.d().requests {
		r := rec.r
		if !r.Status.Open() {
			continue
		}
		at := time.Time{}
		for _, x := range []time.Time{r.Routing.Deadline, r.Routing.RerouteAt} {
			if !x.IsZero() && !x.After(before) && (at.IsZero() || x.Before(at)) {
				at = x
			}
		}
		if !at.IsZero() {
			list = append(list, due{r, at})
		}
	}
	slices.SortFunc(list, func(a, b due) int { return cmp.Or(a.at.Compare(b.at), cmp.Compare(a.r.ID, b.r.ID)) })
	if limit > 0 && len(list) > limit {
		list = list[:limit]
	}
	out := make([]core.Request, 0, len(list))
	for _, d := range list {
		out = append(out, t.fill(d.r))
	}
	return out, nil
}

// QueuePosition implements core.RequestStore (ListRequests order).
func (t *tx) QueuePosition(_ context.Context, id string) (int, error) {
	defer t.read()()
	me, ok := t.d().requests[id]
	if !ok {
		return 0, notFound("request", id)
	}
	if !me.r.Status.Open() {
		return 0, nil
	}
	n := 0
	for _, rec := range t.d().requests {
		if rec.r.Status.Open() && cmp.Or(rec.r.CreatedAt.Compare(me.r.CreatedAt), cmp.Compare(rec.seq, me.seq)) <= 0 {
			n++
		}
	}
	return n, nil
}
