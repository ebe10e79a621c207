package sqlstore

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/switchboard-chat/switchboard/core"
)

const (
	statsWindow = 7 * 24 * time.Hour
	statsWeeks  = 12
	week        = 7 * 24 * time.Hour
)

// StatsData counts what the Service's Stats needs (resolved counts are of
// resolved conversations).
func (c *conn) StatsData(ctx context.Context, now time.Time) (core.StatsData, error) {
	now = now.UTC()
	var d core.StatsData
	if err := sqlx.GetContext(ctx, c.r, &d.Active,
		"SELECT count(*) FROM conversations WHERE status = 'active'"); err != nil {
		return d, wrap(err, "stats: active conversations")
	}
	var byStatus []struct {
		Status string `db:"status"`
		N      int    `db:"n"`
	}
	if err := sqlx.SelectContext(ctx, c.r, &byStatus, `SELECT status, count(*) AS n FROM requests
		WHERE status IN ('waiting', 'declined') GROUP BY status`); err != nil {
		return d, wrap(err, "stats: open requests")
	}
	for _, s := range byStatus {
		switch core.RequestStatus(s.Status) {
		case core.ReqWaiting:
			d.Waiting = s.N
		case core.ReqDeclined:
			d.Declined = s.N
		}
	}
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	// Today and by ISO week from the recent part of conversations_resolved_idx
	// only: weeks start on Monday, the first bucket is the Monday 11 weeks
	// before this week's, so today is inside the range. Resolved in total is
	// what those buckets count plus everything resolved before their start,
	// which is remembered (resolvedBefore).
	monday := midnight.AddDate(0, 0, -((int(midnight.Weekday()) + 6) % 7))
	start := monday.AddDate(0, 0, -7*(statsWeeks-1))
	var err error
	if d.ResolvedTotal, err = c.resolvedBefore(ctx, start); err != nil {
		return d, err
	}
	var buckets []struct {
		W   int `db:"w"`
		N   int `db:"n"`
		Day int `db:"day"`
	}
	if err := sqlx.SelectContext(ctx, c.r, &buckets, `SELECT (resolved_at - $1) / $2 AS w, count(*) AS n,
		COALESCE(sum(CASE WHEN resolved_at >= $3 THEN 1 ELSE 0 END), 0) AS day
		FROM conversations WHERE status = 'resolved' AND resolved_at >= $1
		GROUP BY (resolved_at - $1) / $2`, tm(start), week.Microseconds(), tm(midnight)); err != nil {
		return d, wrap(err, "stats: resolved by week")
	}
	counts := make([]int, statsWeeks)
	for _, b := range buckets {
		d.ResolvedTotal += b.N
		d.ResolvedDay += b.Day
		if b.W >= 0 && b.W < statsWeeks {
			counts[b.W] += b.N
		}
	}

	// Accept waits and first replies of the last 7 days in one pass: the
	// requests come from requests_accepted_cover_idx alone, each first
	// reply from one probe of messages_agent_reply_idx.
	since := tm(now.Add(-statsWindow))
	var accepted []struct {
		Wait       int64  `db:"wait"`
		AcceptedAt int64  `db:"accepted_at"`
		FirstReply *int64 `db:"first_reply"`
	}
	if err := sqlx.SelectContext(ctx, c.r, &accepted, `SELECT r.accepted_at - r.created_at AS wait, r.accepted_at,
		(SELECT min(m.created_at) FROM messages m WHERE m.conversation_id = r.conversation_id
			AND m.author = 'agent' AND m.created_at >= r.accepted_at) AS first_reply
		FROM requests r WHERE r.accepted_at >= $1 ORDER BY r.accepted_at`, since); err != nil {
		return d, wrap(err, "stats: waits and first responses")
	}
	d.WaitSeconds = make([]float64, len(accepted))
	d.FirstResponseSeconds = []float64{}
	for i, a := range accepted {
		d.WaitSeconds[i] = seconds(a.Wait)
		if a.FirstReply != nil {
			d.FirstResponseSeconds = append(d.FirstResponseSeconds, seconds(*a.FirstReply-a.AcceptedAt))
		}
	}

	d.ResolvedByWeek = make([]core.WeekCount, statsWeeks)
	for i := range counts {
		y, w := start.AddDate(0, 0, 7*i).ISOWeek()
		d.ResolvedByWeek[i] = core.WeekCount{Week: fmt.Sprintf("%d-W%02d", y, w), Resolved: counts[i]}
	}
	return d, nil
}

func seconds(us int64) float64 { return float64(us) / 1e6 }

// statsMemo remembers how many conversations were resolved before the
// start of the stats' twelve weeks. A resolved conversation stays
// resolved, and a resolve time is never set in the past, so that count
// never changes for a given start; it is the costly part of StatsData at
// scale (a count over nearly every conversation ever), and now runs once
// per start — once a week — per process.
type statsMemo struct {
	mu    sync.Mutex
	start time.Time
	n     int
}

// resolvedBefore counts the conversations resolved before start.
func (c *conn) resolvedBefore(ctx context.Context, start time.Time) (int, error) {
	m := c.memo
	if m != nil {
		m.mu.Lock()
		n, hit := m.n, m.start.Equal(start)
		m.mu.Unlock()
		if hit {
			return n, nil
		}
	}
	var n int
	if err := sqlx.GetContext(ctx, c.r, &n,
		"SELECT count(*) FROM conversations WHERE status = 'resolved' AND resolved_at < $1", tm(start)); err != nil {
		return 0, wrap(err, "stats: conversations resolved before %s", start.Format(time.DateOnly))
	}
	if m != nil {
		m.mu.Lock()
		m.start, m.n = start, n
		m.mu.Unlock()
	}
	return n, nil
}
