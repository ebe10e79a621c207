package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/switchboard-chat/switchboard/core"
)

// reqSelect reads requests with their customer, offers and declines in
// one statement, so that under READ COMMITTED the three agree (a status
// read before, and offers read after, a concurrent accept commits would
// not). Only the JSON aggregate differs between the dialects.
func (c *conn) reqSelect() string {
	declines := `json_group_array(json_array(d.agent_id, d.reason, d.declined_at) ORDER BY d.declined_at, d.agent_id)`
	if c.d == dialectPostgres {
		declines = `json_agg(json_build_array(d.agent_id, d.reason, d.declined_at) ORDER BY d.declined_at, d.agent_id)::text`
	}
	return `SELECT r.id, r.conversation_id, r.customer_id, r.channel_id, r.status, r.reason, r.initial_message,
	r.page_url, r.created_at, r.updated_at, r.accepted_by, r.accepted_at, r.closed_at,
	r.route_rule, r.route_mode, r.route_tier, r.route_tried, r.route_step, r.offer_deadline, r.reroute_at,
	r.offline_ack_at, r.told_situation, r.told_eta_s, ` + customerCols + `,
	(SELECT string_agg(o.agent_id, ',' ORDER BY o.pos, o.agent_id) FROM request_offers o
		WHERE o.request_id = r.id) AS offered_to,
	(SELECT ` + declines + ` FROM request_declines d WHERE d.request_id = r.id) AS declines
	FROM requests r JOIN customers cu ON cu.id = r.customer_id`
}

type reqRow struct {
	ID             string `db:"id"`
	ConversationID string `db:"conversation_id"`
	CustomerID     string `db:"customer_id"`
	ChannelID      string `db:"channel_id"`
	Status         string `db:"status"`
	Reason         string `db:"reason"`
	InitialMessage string `db:"initial_message"`
	PageURL        string `db:"page_url"`
	CreatedAt      micros `db:"created_at"`
	UpdatedAt      micros `db:"updated_at"`
	AcceptedBy     ustr   `db:"accepted_by"`
	AcceptedAt     micros `db:"accepted_at"`
	ClosedAt       micros `db:"closed_at"`
	RouteRule      string `db:"route_rule"`
	RouteMode      string `db:"route_mode"`
	RouteTier      int    `db:"route_tier"`
	RouteTried     string `db:"route_tried"`
	RouteStep      int    `db:"route_step"`
	OfferDeadline  micros `db:"offer_deadline"`
	RerouteAt      micros `db:"reroute_at"`
	OfflineAckAt   micros `db:"offline_ack_at"`
	ToldSituation  string `db:"told_situation"`
	ToldETASeconds int64  `db:"told_eta_s"`
	OfferedTo      ustr   `db:"offered_to"` // comma-separated agent ids (ids hold no commas)
	Declines       ustr   `db:"declines"`   // JSON [[agent_id, reason, declined_at], …]
	customerRow
}

func (r reqRow) request() (core.Request, error) {
	req := core.Request{ID: r.ID, ConversationID: r.ConversationID, CustomerID: r.CustomerID, Customer: r.customer(),
		ChannelID: r.ChannelID, Status: core.RequestStatus(r.Status), Reason: core.RequestReason(r.Reason),
		InitialMessage: r.InitialMessage, PageURL: r.PageURL, CreatedAt: r.CreatedAt.time(),
		UpdatedAt: r.UpdatedAt.time(), AcceptedBy: string(r.AcceptedBy), AcceptedAt: r.AcceptedAt.time(),
		ClosedAt: r.ClosedAt.time()}
	req.Routing = core.RouteState{Rule: r.RouteRule, Mode: core.RouteMode(r.RouteMode), Tier: r.RouteTier,
		Step: r.RouteStep, Deadline: r.OfferDeadline.time(), RerouteAt: r.RerouteAt.time(), AckedAt: r.OfflineAckAt.time(),
		Told: core.WaitNotice{Situation: core.WaitSituation(r.ToldSituation), ETA: time.Duration(r.ToldETASeconds) * time.Second}}
	if r.RouteTried != "" {
		req.Routing.Tried = strings.Split(r.RouteTried, ",")
	}
	if r.OfferedTo != "" {
		req.OfferedTo = strings.Split(string(r.OfferedTo), ",")
	}
	if r.Declines != "" {
		dec := json.NewDecoder(strings.NewReader(string(r.Declines)))
		dec.UseNumber()
		var ds [][3]any
		if err := dec.Decode(&ds); err != nil {
			return core.Request{}, fmt.Errorf("request %s: decode declines: %w", r.ID, err)
		}
		for _, d := range ds {
			agent, _ := d[0].(string)
			reason, _ := d[1].(string)
			n, _ := d[2].(json.Number)
			us, err := n.Int64()
			if err != nil {
				return core.Request{}, fmt.Errorf("request %s: decode decline time: %w", r.ID, err)
			}
			req.Declines = append(req.Declines, core.Decline{AgentID: agent, Reason: reason, At: time.UnixMicro(us).UTC()})
		}
	}
	return req, nil
}

// CreateRequest stores a new request (its declines and offers are added
// with AddDecline and SetOffers).
func (c *conn) CreateRequest(ctx context.Context, r core.Request) error {
	_, err := c.w.ExecContext(ctx, `INSERT INTO requests
		(id, conversation_id, customer_id, channel_id, status, reason, initial_message, page_url,
		 created_at, updated_at, accepted_by, accepted_at, closed_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		r.ID, r.ConversationID, r.CustomerID, r.ChannelID, string(r.Status), string(r.Reason), r.InitialMessage,
		r.PageURL, tm(r.CreatedAt), tm(r.UpdatedAt), ns(r.AcceptedBy), tm(r.AcceptedAt), tm(r.ClosedAt))
	if err != nil {
		return wrap(err, "create request %s", r.ID)
	}
	return nil
}

// UpdateRequest writes status, reason, page url, accepted and closed
// fields and the update time.
func (c *conn) UpdateRequest(ctx context.Context, r core.Request) error {
	n, err := exec(ctx, c.w, `UPDATE requests SET status = $2, reason = $3, page_url = $4, accepted_by = $5,
		accepted_at = $6, closed_at = $7, updated_at = $8 WHERE id = $1`,
		r.ID, string(r.Status), string(r.Reason), r.PageURL, ns(r.AcceptedBy), tm(r.AcceptedAt), tm(r.ClosedAt),
		tm(r.UpdatedAt))
	if err != nil {
		return wrap(err, "update request %s", r.ID)
	}
	if n == 0 {
		return notFound("update request %s", r.ID)
	}
	return nil
}

func (c *conn) getRequest(ctx context.Context, x sqlx.QueryerContext, id string) (core.Request, error) {
	var r reqRow
	if err := sqlx.GetContext(ctx, x, &r, c.reqSelect()+" WHERE r.id = $1", id); err != nil {
		return core.Request{}, wrap(err, "request %s", id)
	}
	return r.request()
}

// RequestByID reads a request with its customer, declines and offers.
func (c *conn) RequestByID(ctx context.Context, id string) (core.Request, error) {
	return c.getRequest(ctx, c.r, id)
}

// LockRequest locks the request's row, then reads it.
func (c *conn) LockRequest(ctx context.Context, id string) (core.Request, error) {
	if err := c.forUpdate(ctx, "requests", id); err != nil {
		return core.Request{}, err
	}
	return c.getRequest(ctx, c.w, id)
}

// AcceptRequest moves a waiting or declined request to accepted by agentID
// and reports whether it did: of concurrent callers exactly one does.
func (c *conn) AcceptRequest(ctx context.Context, id, agentID string, at time.Time) (bool, error) {
	n, err := exec(ctx, c.w, `UPDATE requests SET status = 'accepted', accepted_by = $2, accepted_at = $3,
		updated_at = $3 WHERE id = $1 AND status IN ('waiting', 'declined')`, id, agentID, tm(at))
	if err != nil {
		return false, wrap(err, "accept request %s by %s", id, agentID)
	}
	return n == 1, nil
}

// AddDecline records an agent declining the request (once per agent: a
// second decline by the same agent is ignored).
func (c *conn) AddDecline(ctx context.Context, requestID string, d core.Decline) error {
	_, err := c.w.ExecContext(ctx, `INSERT INTO request_declines (request_id, agent_id, reason, declined_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT (request_id, agent_id) DO NOTHING`,
		requestID, d.AgentID, d.Reason, tm(d.At))
	if err != nil {
		return wrap(err, "add decline of request %s by %s", requestID, d.AgentID)
	}
	return nil
}

// SetOffers replaces the agents the request is offered to. An agent who
// stays offered keeps the time of the first offer.
func (c *conn) SetOffers(ctx context.Context, requestID string, agentIDs []string, at time.Time) error {
	seen := make(map[string]bool, len(agentIDs))
	ids := make([]string, 0, len(agentIDs))
	for _, id := range agentIDs {
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return c.atomic(ctx, func(c *conn) error {
		var a args
		del := "DELETE FROM request_offers WHERE request_id = " + a.add(requestID)
		if len(ids) > 0 {
			del += " AND agent_id NOT IN (" + a.in(ids) + ")"
		}
		if _, err := c.w.ExecContext(ctx, del, a...); err != nil {
			return wrap(err, "withdraw offers of request %s", requestID)
		}
		for start := 0; start < len(ids); start += 200 {
			part := ids[start:min(start+200, len(ids))]
			var a args
			rows := make([]string, len(part))
			for i, id := range part {
				rows[i] = "(" + a.add(requestID) + ", " + a.add(id) + ", " + a.add(start+i) + ", " + a.add(tm(at)) + ")"
			}
			q := "INSERT INTO request_offers (request_id, agent_id, pos, offered_at) VALUES " + strings.Join(rows, ", ") +
				" ON CONFLICT (request_id, agent_id) DO UPDATE SET pos = excluded.pos"
			if _, err := c.w.ExecContext(ctx, q, a...); err != nil {
				return wrap(err, "offer request %s", requestID)
			}
		}
		return nil
	})
}

// ListRequests lists requests oldest first, with customers, declines and
// offers, in one query.
func (c *conn) ListRequests(ctx context.Context, q core.RequestQuery) ([]core.Request, error) {
	var a args
	where := []string{"1 = 1"}
	if len(q.Statuses) > 0 {
		ss := make([]string, len(q.Statuses))
		for i, s := range q.Statuses {
			ss[i] = string(s)
		}
		where = append(where, "r.status IN ("+a.in(ss)+")")
	}
	if q.OfferedTo != "" {
		where = append(where, "EXISTS (SELECT 1 FROM request_offers o WHERE o.request_id = r.id AND o.agent_id = "+
			a.add(q.OfferedTo)+")")
	}
	if q.AcceptedBy != "" {
		where = append(where, "r.accepted_by = "+a.add(q.AcceptedBy))
	}
	query := c.reqSelect() + " WHERE " + strings.Join(where, " AND ") + " ORDER BY r.created_at, r.id"
	if q.Limit > 0 {
		query += " LIMIT " + a.add(q.Limit)
	}
	return c.selectRequests(ctx, "list requests", query, a...)
}

// selectRequests runs a reqSelect query and decodes its rows.
func (c *conn) selectRequests(ctx context.Context, what, query string, a ...any) ([]core.Request, error) {
	var rows []reqRow
	if err := sqlx.SelectContext(ctx, c.r, &rows, query, a...); err != nil {
		return nil, wrap(err, "%s", what)
	}
	out := make([]core.Request, len(rows))
	for i, r := range rows {
		req, err := r.request()
		if err != nil {
			return nil, err
		}
		out[i] = req
	}
	return out, nil
}

// UpdateRouting writes the routing state of the request.
func (c *conn) UpdateRouting(ctx context.Context, id string, st core.RouteState) error {
	n, err := exec(ctx, c.w, `UPDATE requests SET route_rule = $2, route_mode = $3, route_tier = $4,
		route_tried = $5, route_step = $6, offer_deadline = $7, reroute_at = $8, offline_ack_at = $9,
		told_situation = $10, told_eta_s = $11 WHERE id = $1`,
		id, st.Rule, string(st.Mode), st.Tier, strings.Join(st.Tried, ","), st.Step, tm(st.Deadline),
		tm(st.RerouteAt), tm(st.AckedAt), string(st.Told.Situation), int64(st.Told.ETA/time.Second))
	if err != nil {
		return wrap(err, "update routing of request %s", id)
	}
	if n == 0 {
		return notFound("update routing of request %s", id)
	}
	return nil
}

// RoutingDue lists open requests whose offer deadline or reroute check is
// at or before `before`, soonest first.
func (c *conn) RoutingDue(ctx context.Context, before time.Time, limit int) ([]core.Request, error) {
	if limit <= 0 {
		limit = 1 << 30
	}
	// Two index range scans (partial indexes on each column), merged.
	query := c.reqSelect() + ` WHERE r.id IN (
		SELECT id FROM requests WHERE status IN ('waiting', 'declined') AND offer_deadline <= $1
		UNION SELECT id FROM requests WHERE status IN ('waiting', 'declined') AND reroute_at <= $1)
		ORDER BY CASE WHEN r.reroute_at IS NULL OR (r.offer_deadline IS NOT NULL AND r.offer_deadline < r.reroute_at)
			THEN r.offer_deadline ELSE r.reroute_at END, r.id
		LIMIT $2`
	var rows []reqRow
	if err := sqlx.SelectContext(ctx, c.r, &rows, query, tm(before), limit); err != nil {
		return nil, wrap(err, "routing due")
	}
	out := make([]core.Request, 0, len(rows))
	for _, r := range rows {
		req, err := r.request()
		if err != nil {
			return nil, err
		}
		out = append(out, req)
	}
	return out, nil
}

// QueuePosition counts the open requests up to this one in ListRequests
// order (created_at, id), on the (status, created_at, id) index.
func (c *conn) QueuePosition(ctx context.Context, id string) (int, error) {
	var pos int
	err := sqlx.GetContext(ctx, c.r, &pos, `SELECT CASE WHEN r.status IN ('waiting', 'declined') THEN
		(SELECT count(*) FROM requests o WHERE o.status IN ('waiting', 'declined')
			AND (o.created_at < r.created_at OR (o.created_at = r.created_at AND o.id <= r.id)))
		ELSE 0 END FROM requests r WHERE r.id = $1`, id)
	if err != nil {
		return 0, wrap(err, "queue position of request %s", id)
	}
	return pos, nil
}
