package core

import (
	"context"
	"fmt"
	"time"
)

// SweepReport counts what a sweep re-enqueued.
type SweepReport struct {
	Bot, Deliver, Route int
	// Media counts attachment fetches queued again.
	Media int
	// Timers counts escalation and reroute timers (re)scheduled.
	Timers int
	// Abandoned and Resolved count housekeeping.
	Abandoned, Resolved int
}

// TimerGrace is how long past due a routing timer may be before the
// sweeper assumes its task was lost and schedules it again.
const TimerGrace = 2 * time.Second

// SweepGrace is how long work may sit in the database before the sweeper
// assumes its task was lost.
const SweepGrace = 30 * time.Second

// Sweep is the maintenance:sweep worker: it re-enqueues what the database
// says is due but may have no task (a lost enqueue, an embedded-queue
// restart). Handlers check state first, so a duplicate is a no-op.
func (s *Service) Sweep(ctx context.Context) (SweepReport, error) {
	now := s.clock()
	due, err := s.store.Due(ctx, now.Add(-SweepGrace), 1000)
	if err != nil {
		return SweepReport{}, fmt.Errorf("sweep: %w", err)
	}
	bucket := now.Unix() / int64(SweepGrace/time.Second)
	var rep SweepReport
	for _, id := range due.Unprocessed {
		if err := s.jobs.QueueBot(ctx, id); err != nil {
			return rep, fmt.Errorf("sweep: enqueue bot %s: %w", id, err)
		}
		rep.Bot++
	}
	for _, id := range due.Undelivered {
		if err := s.jobs.QueueDelivery(ctx, id); err != nil {
			return rep, fmt.Errorf("sweep: enqueue delivery %s: %w", id, err)
		}
		rep.Deliver++
	}
	for _, id := range due.OpenRequests {
		if err := s.jobs.QueueRoute(ctx, id, fmt.Sprintf("sweep:%d", bucket)); err != nil {
			return rep, fmt.Errorf("sweep: enqueue route %s: %w", id, err)
		}
		rep.Route++
	}
	n, err := s.queueLostFetches(ctx, now)
	rep.Media = n
	if err != nil {
		return rep, err
	}
	// The first sweep of this process schedules every pending timer (the
	// embedded queue forgets them all on restart); later sweeps only those
	// overdue by TimerGrace, whose task must have been lost. The task ids
	// make an existing timer a no-op.
	before, first := now.Add(-TimerGrace), !s.timersSwept.Swap(true)
	if first {
		before = now.Add(100 * 365 * 24 * time.Hour)
	}
	n, err = s.scheduleTimers(ctx, before)
	rep.Timers = n
	if err != nil {
		if first {
			s.timersSwept.Store(false)
		}
		return rep, err
	}
	ab, res, err := s.housekeep(ctx, now)
	rep.Abandoned, rep.Resolved = ab, res
	if err != nil {
		return rep, fmt.Errorf("sweep: housekeeping: %w", err)
	}
	return rep, nil
}

// scheduleTimers (re)schedules the escalation and reroute timers of the
// open requests due at or before `before`, soonest first.
func (s *Service) scheduleTimers(ctx context.Context, before time.Time) (int, error) {
	due, err := s.store.RoutingDue(ctx, before, 10000)
	if err != nil {
		return 0, fmt.Errorf("sweep: routing timers: %w", err)
	}
	n := 0
	for _, r := range due {
		st := r.Routing
		if !st.Deadline.IsZero() && !st.Deadline.After(before) {
			if err := s.jobs.ScheduleEscalation(ctx, r.ID, st.Step, st.Deadline); err != nil {
				return n, fmt.Errorf("sweep: schedule escalation of %s: %w", r.ID, err)
			}
			n++
		}
		if !st.RerouteAt.IsZero() && !st.RerouteAt.After(before) {
			if err := s.jobs.ScheduleRerouteCheck(ctx, r.ID, st.RerouteAt); err != nil {
				return n, fmt.Errorf("sweep: schedule reroute check of %s: %w", r.ID, err)
			}
			n++
		}
	}
	return n, nil
}
