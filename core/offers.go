package core

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// NotDueError is returned by a timer that fired before its time (Asynq
// schedules with whole-second precision); the caller waits Wait and calls
// again.
type NotDueError struct{ Wait time.Duration }

func (e *NotDueError) Error() string { return "timer not due for another " + e.Wait.String() }

// errStale ends a timer whose moment has passed: a no-op.
var errStale = errors.New("stale timer")

// TimerSlack is how early a timer may start and still act: Asynq schedules
// in whole seconds (a task due at 12.7 s becomes ready at 12 s). A timer
// that starts at most this much early acts as of its due time (the next
// tier's For, say, counts from the deadline, not from the early start),
// so timers fire within a second of due without holding a worker while
// they wait. A timer further off returns *NotDueError.
const TimerSlack = time.Second

// Route is the request:route worker: it brings the offer of an open
// request up to date (Decide) and stores it; a request no longer open is a
// no-op.
func (s *Service) Route(ctx context.Context, requestID string) error {
	return s.routeIf(ctx, requestID, nil, after.run)
}

// routeInWorker is Route for a worker that opened the request: what the
// customer is told is sent here and now (after.runInWorker), as the bot's
// answers of the same turn are.
func (s *Service) routeInWorker(ctx context.Context, requestID string) error {
	return s.routeIf(ctx, requestID, nil, after.runInWorker)
}

// Escalate is the request:escalate timer of routing step `step`: when the
// request is still open at that step it moves on (next tier, next direct
// agent, general queue). A timer of an earlier step, or of a request no
// longer open, is a no-op; one that fired early returns *NotDueError.
func (s *Service) Escalate(ctx context.Context, requestID string, step int) error {
	return s.routeIf(ctx, requestID, func(req Request, now time.Time) (time.Time, error) {
		st := req.Routing
		if st.Step != step || st.Deadline.IsZero() {
			return now, errStale
		}
		return onTime(now, st.Deadline)
	}, after.run)
}

// RerouteCheck is the request:reroute timer set at decline for `at`: a
// request still open then goes to the general queue (every eligible
// agent). A check already done or superseded is a no-op; one that fired
// early returns *NotDueError.
func (s *Service) RerouteCheck(ctx context.Context, requestID string, at time.Time) error {
	return s.routeIf(ctx, requestID, func(req Request, now time.Time) (time.Time, error) {
		st := req.Routing
		if st.RerouteAt.IsZero() || st.RerouteAt.After(at) {
			return now, errStale
		}
		return onTime(now, st.RerouteAt)
	}, after.run)
}

// onTime is the time a timer due at `due` acts as of when it starts at
// now: now when late, due when early by at most TimerSlack.
func onTime(now, due time.Time) (time.Time, error) {
	switch {
	case !now.Before(due):
		return now, nil
	case due.Sub(now) <= TimerSlack:
		return due, nil
	}
	return now, &NotDueError{Wait: due.Sub(now)}
}

// routeIf routes the request if check (when set) allows it, as of the
// time check returns; finish does what is left after the commit.
func (s *Service) routeIf(ctx context.Context, requestID string, check func(Request, time.Time) (time.Time, error),
	finish func(after, context.Context, *Service)) error {
	var a after
	median := s.acceptMedian(ctx)
	err := s.store.Atomic(ctx, func(tx Tx) error {
		req, err := tx.LockRequest(ctx, requestID)
		if err != nil {
			return fmt.Errorf("route: read request %s: %w", requestID, err)
		}
		if !req.Status.Open() {
			return nil
		}
		now := s.clock()
		if check != nil {
			if now, err = check(req, now); err != nil {
				return err
			}
		}
		_, err = s.routeTx(ctx, tx, &a, req, now, time.Time{}, median)
		return err
	})
	if errors.Is(err, ErrNotFound) || errors.Is(err, errStale) {
		return nil
	}
	if err != nil {
		return err
	}
	finish(a, ctx, s)
	return nil
}

// routeTx decides and stores the offer of the locked, open request; it
// tells the customer about their wait when the situation changed
// (NextWaitNotice: the queue message when agents are offered the request,
// the offline acknowledgment when nobody can take it), and schedules the
// timers once the transaction commits.
//
// rerouteAt, when set, schedules the decline guarantee unless a check is
// pending already.
func (s *Service) routeTx(ctx context.Context, tx Tx, a *after, req Request, now, rerouteAt time.Time, median time.Duration) (Request, error) {
	set := s.set()
	old := req.Routing
	if !rerouteAt.IsZero() && req.Routing.RerouteAt.IsZero() {
		req.Routing.RerouteAt = rerouteAt
	}
	agents, err := tx.ListAgents(ctx)
	if err != nil {
		return Request{}, fmt.Errorf("route: list agents: %w", err)
	}
	var facts RouteFacts
	if _, ok := set.Routing.route(req.Routing.Rule); req.Routing.Mode == "" || !ok {
		if facts, err = s.routeFacts(ctx, tx, req); err != nil {
			return Request{}, err
		}
	}
	off := Decide(set.Routing, req, facts, agents, now)
	before := req.OfferedTo
	if !slices.Equal(off.Agents, req.OfferedTo) {
		if err := tx.SetOffers(ctx, req.ID, off.Agents, now); err != nil {
			return Request{}, fmt.Errorf("route: offer request %s: %w", req.ID, err)
		}
	}
	st := off.State
	pos, err := tx.QueuePosition(ctx, req.ID)
	if err != nil {
		return Request{}, fmt.Errorf("route: queue position of %s: %w", req.ID, err)
	}
	wait := waitNow(set.Offline, off.Agents, agents, pos, median, now)
	if text := NextWaitNotice(st.Told, wait, set.Offline.Message); text != "" {
		conv, err := tx.ConversationByID(ctx, req.ConversationID)
		if err != nil {
			return Request{}, fmt.Errorf("route: read conversation %s: %w", req.ConversationID, err)
		}
		if _, err := s.outbound(ctx, tx, a, conv, AuthorSystem, "", text); err != nil {
			return Request{}, err
		}
		st.Told = WaitNotice{Situation: wait.Situation, ETA: wait.ETA}
		if wait.Situation == WaitUnavailable && st.AckedAt.IsZero() {
			st.AckedAt = now
		}
	}
	if !st.Equal(old) {
		if err := tx.UpdateRouting(ctx, req.ID, st); err != nil {
			return Request{}, fmt.Errorf("route: store routing of %s: %w", req.ID, err)
		}
	}
	if !st.Deadline.IsZero() && (st.Step != old.Step || !st.Deadline.Equal(old.Deadline)) {
		a.escalate(s.jobs, req.ID, st.Step, st.Deadline)
	}
	if !st.RerouteAt.IsZero() && !st.RerouteAt.Equal(old.RerouteAt) {
		a.rerouteCheck(s.jobs, req.ID, st.RerouteAt)
	}
	req.Routing, req.OfferedTo = st, off.Agents
	if len(before) > 0 || len(off.Agents) > 0 {
		s.offerEvents(a, req, before, off.Agents, pos)
	}
	return req, nil
}

// waitNow is the situation of a request that routing offered to offered
// (none: nobody can take it) at queue position pos. With agents offered
// it, the wait is theirs to make, business hours or not.
func waitNow(off OfflineSettings, offered []string, agents []Agent, pos int, median time.Duration, now time.Time) WaitNotice {
	if len(offered) == 0 {
		return WaitNotice{Situation: WaitUnavailable, Position: pos, ETA: EstimateWait(now, off, pos, 0, median)}
	}
	off.Hours = nil
	return WaitNotice{Situation: WaitQueued, Position: pos, ETA: EstimateWait(now, off, pos, freeAgents(agents), median)}
}

// routeFacts collects what routing rules match on.
func (s *Service) routeFacts(ctx context.Context, tx Tx, req Request) (RouteFacts, error) {
	msgs, err := tx.ListMessages(ctx, req.ConversationID, "", 0)
	if err != nil {
		return RouteFacts{}, fmt.Errorf("route: read messages of %s: %w", req.ConversationID, err)
	}
	f := RouteFacts{ChannelID: req.ChannelID, PageURL: req.PageURL, Returning: req.Customer.Returning()}
	for _, m := range msgs {
		if m.Author == AuthorCustomer {
			f.Texts = append(f.Texts, m.Text)
		}
	}
	if req.InitialMessage != "" && len(f.Texts) == 0 {
		f.Texts = append(f.Texts, req.InitialMessage)
	}
	return f, nil
}

// EstimateWait is the expected wait of the request at queue position pos
// (1: next), told to customers and returned as eta_seconds:
//
//  1. outside business hours: the time until the next opening;
//  2. else, when requests were accepted recently: median × ⌈pos / n⌉,
//     where median is the median time-to-accept (created → accepted) of
//     the requests accepted in the last 7 days and n the number of agents
//     online with a free chat slot (at least 1): the queue drains n
//     requests per median wait;
//  3. else offline.default_eta.
func EstimateWait(now time.Time, off OfflineSettings, pos, free int, median time.Duration) time.Duration {
	if off.Hours != nil && !off.Hours.Open(now) {
		if next := off.Hours.NextOpen(now); next.After(now) {
			return next.Sub(now)
		}
	}
	if median > 0 && pos > 0 {
		n := max(free, 1)
		return median * time.Duration((pos+n-1)/n)
	}
	return off.DefaultETA
}

// OfflineMessage fills [ETA] in the offline message with eta in words.
func OfflineMessage(msg string, eta time.Duration) string {
	return strings.ReplaceAll(msg, "[ETA]", HumanDuration(eta))
}

// HumanDuration renders d rounded up to the minute in words ("1 minute",
// "2 hours 5 minutes").
func HumanDuration(d time.Duration) string {
	mins := int((d + time.Minute - 1) / time.Minute)
	if mins < 1 {
		mins = 1
	}
	unit := func(n int, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return strconv.Itoa(n) + " " + one + "s"
	}
	h, m := mins/60, mins%60
	switch {
	case h == 0:
		return unit(m, "minute")
	case m == 0:
		return unit(h, "hour")
	}
	return unit(h, "hour") + " " + unit(m, "minute")
}

// medianCache keeps the recent median time-to-accept for a minute.
type medianCache struct {
	mu     sync.Mutex
	at     time.Time
	median time.Duration
}

// acceptMedian is the median time-to-accept of the last 7 days (0: no
// data), recomputed at most once a minute. Errors count as no data.
func (s *Service) acceptMedian(ctx context.Context) time.Duration {
	c := &s.medians
	c.mu.Lock()
	defer c.mu.Unlock()
	now := s.clock()
	if !c.at.IsZero() && now.Sub(c.at) < time.Minute && now.After(c.at) {
		return c.median
	}
	d, err := s.store.StatsData(ctx, now)
	if err != nil {
		s.log.WarnContext(ctx, "read accept waits for the ETA", "err", err)
		return c.median
	}
	c.at, c.median = now, 0
	if n := len(d.WaitSeconds); n > 0 {
		w := slices.Clone(d.WaitSeconds)
		sort.Float64s(w)
		m := w[n/2]
		if n%2 == 0 {
			m = (w[n/2-1] + w[n/2]) / 2
		}
		c.median = time.Duration(m * float64(time.Second))
	}
	return c.median
}

// freeAgents counts the agents online with a free chat slot.
func freeAgents(agents []Agent) int {
	n := 0
	for _, a := range agents {
		if a.Online && a.ActiveChats < a.MaxChats {
			n++
		}
	}
	return n
}
