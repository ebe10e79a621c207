package sqlstore

import (
	"context"
	"fmt"
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
	var resolved struct {
		Total int `db:"total"`
		Day   int `db:"day"`
	}
	if err := sqlx.GetContext(ctx, c.r, &resolved, `SELECT count(*) AS total,
		COALESCE(sum(CASE WHEN resolved_at >= $1 THEN 1 ELSE 0 END), 0) AS day
		FROM conversations WHERE status = 'resolved'`, tm(midnight)); err != nil {
		return d, wrap(err, "stats: resolved conversations")
	}
	d.ResolvedTotal, d.ResolvedDay = resolved.Total, resolved.Day

	since := tm(now.Add(-statsWindow))
	var waits []int64
	if err := sqlx.SelectContext(ctx, c.r, &waits, `SELECT accepted_at - created_at FROM requests
		WHERE accepted_at >= $1 ORDER BY accepted_at`, since); err != nil {
		return d, wrap(err, "stats: waits")
	}
	d.WaitSeconds = make([]float64, len(waits))
	for i, w := range waits {
		d.WaitSeconds[i] = seconds(w)
	}
	var firsts []struct {
		AcceptedAt int64  `db:"accepted_at"`
		FirstReply *int64 `db:"first_reply"`
	}
	if err := sqlx.SelectContext(ctx, c.r, &firsts, `SELECT r.accepted_at,
		(SELECT min(m.created_at) FROM messages m WHERE m.conversation_id = r.conversation_id
			AND m.author = 'agent' AND m.created_at >= r.accepted_at) AS first_reply
		FROM requests r WHERE r.accepted_at >= $1 ORDER BY r.accepted_at`, since); err != nil {
		return d, wrap(err, "stats: first responses")
	}
	d.FirstResponseSeconds = []float64{}
	for _, f := range firsts {
		if f.FirstReply != nil {
			d.FirstResponseSeconds = append(d.FirstResponseSeconds, seconds(*f.FirstReply-f.AcceptedAt))
		}
	}

	// ISO weeks start on Monday; the first bucket is the Monday 11 weeks
	// before this week's.
	monday := midnight.AddDate(0, 0, -((int(midnight.Weekday()) + 6) % 7))
	start := monday.AddDate(0, 0, -7*(statsWeeks-1))
	var buckets []struct {
		W int `db:"w"`
		N int `db:"n"`
	}
	if err := sqlx.SelectContext(ctx, c.r, &buckets, `SELECT (resolved_at - $1) / $2 AS w, count(*) AS n
		FROM conversations WHERE status = 'resolved' AND resolved_at >= $1
		GROUP BY (resolved_at - $1) / $2`, tm(start), week.Microseconds()); err != nil {
		return d, wrap(err, "stats: resolved by week")
	}
	counts := make([]int, statsWeeks)
	for _, b := range buckets {
		if b.W >= 0 && b.W < statsWeeks {
			counts[b.W] += b.N
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
