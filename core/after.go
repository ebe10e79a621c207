package core

import (
	"context"
	"errors"
	"sync"
	"time"
)

// after collects what to do once a transaction has committed: enqueues,
// and events to publish (Service.publish), in order.
type after []step

// step is one thing to do after the commit: do, publish ev, deliver out
// (no sooner than wait, when set), or route the request route names.
type step struct {
	do    func(ctx context.Context) error
	ev    *Published
	out   *queuedOut
	wait  time.Duration
	route *routeCall
}

// routeCall is a request to route: run enqueues its request:route,
// runInWorker routes it.
type routeCall struct{ id, cause string }

// queuedOut is an outbound message stored as queued, with its
// conversation: run enqueues its msg:deliver, runInWorker sends it.
type queuedOut struct {
	conv Conversation
	msg  Message
}

func (a *after) add(do func(ctx context.Context) error) { *a = append(*a, step{do: do}) }

// route queues the routing of the request id, opened by cause.
func (a *after) route(id, cause string) {
	*a = append(*a, step{route: &routeCall{id: id, cause: cause}})
}

// deliver queues the delivery of msg, stored as queued in conv.
func (a *after) deliver(conv Conversation, msg Message) {
	a.deliverIn(conv, msg, 0)
}

// deliverIn queues the delivery of msg to start no sooner than wait from
// now.
func (a *after) deliverIn(conv Conversation, msg Message, wait time.Duration) {
	*a = append(*a, step{out: &queuedOut{conv: conv, msg: msg}, wait: wait})
}

// run does the steps in order; events in a row go out as one batch. A
// failed enqueue is logged, not returned: the state is committed and the
// sweeper re-enqueues whatever the database says is due.
func (a after) run(ctx context.Context, s *Service) {
	var evs []Published
	for _, st := range a {
		if st.ev != nil {
			evs = append(evs, *st.ev)
			continue
		}
		if len(evs) > 0 {
			s.publishAll(ctx, evs)
			evs = nil
		}
		do := st.do
		switch {
		case st.out != nil:
			do = func(ctx context.Context) error {
				if st.wait > 0 {
					return s.jobs.QueueDeliveryIn(ctx, st.out.msg.ID, st.wait)
				}
				return s.jobs.QueueDelivery(ctx, st.out.msg.ID)
			}
		case st.route != nil:
			do = func(ctx context.Context) error { return s.jobs.QueueRoute(ctx, st.route.id, st.route.cause) }
		}
		if err := do(ctx); err != nil {
			s.log.WarnContext(ctx, "enqueue failed; the sweeper will retry", "err", err)
		}
	}
	if len(evs) > 0 {
		s.publishAll(ctx, evs)
	}
}

// runInWorker is run for a worker: new requests are routed and the
// outbound messages sent here and now, after the other steps, instead of
// each costing a request:route or msg:deliver task (a queue hop). A
// routing that fails is left to a request:route task. A conversation's
// messages go out in order, conversations at once, and the sends are
// recorded together at the end. A message that fails is left to a
// msg:deliver task (retried with backoff), and so are the ones after it in
// its conversation; a message on a channel without a sender is left to
// one too.
func (a after) runInWorker(ctx context.Context, s *Service) {
	var rest after
	var routes []routeCall
	var convs []string
	outs := map[string][]queuedOut{}
	for _, st := range a {
		if st.route != nil {
			routes = append(routes, *st.route)
			continue
		}
		if st.out == nil {
			rest = append(rest, st)
			continue
		}
		id := st.out.conv.ID
		if _, seen := outs[id]; !seen {
			convs = append(convs, id)
		}
		outs[id] = append(outs[id], *st.out)
	}
	rest.run(ctx, s)
	for _, r := range routes { // first: a person waits for these
		if err := s.routeInWorker(ctx, r.id); err != nil {
			s.log.WarnContext(ctx, "routing a new request failed; a request:route task retries it", "request_id", r.id, "err", err)
			var later after
			later.route(r.id, r.cause)
			later.run(ctx, s)
		}
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		sent []queuedOut
	)
	for _, id := range convs {
		wg.Go(func() {
			msgs := outs[id]
			for i, o := range msgs {
				m, err := s.transmitNow(ctx, o.conv, o.msg)
				if errors.Is(err, errRefused) {
					continue
				}
				if err != nil {
					if !errors.Is(err, errNoSender) {
						s.log.WarnContext(ctx, "send failed; a msg:deliver task retries it",
							"message_id", o.msg.ID, "channel", o.conv.ChannelID, "err", err)
					}
					wait, _ := RetryAfter(err) // a rate limit: the task waits as asked
					var later after
					for _, o := range msgs[i:] {
						later.deliverIn(o.conv, o.msg, wait)
					}
					later.run(ctx, s)
					return
				}
				mu.Lock()
				sent = append(sent, queuedOut{conv: o.conv, msg: m})
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := s.recordSent(ctx, sent); err != nil {
		// They went out but still read queued: their tasks send them again
		// (at least once, as any send whose record fails).
		s.log.WarnContext(ctx, "recording sends failed; msg:deliver tasks retry them", "messages", len(sent), "err", err)
		var later after
		for _, o := range sent {
			later.deliver(o.conv, o.msg)
		}
		later.run(ctx, s)
	}
}

// escalate schedules the request's escalation timer (request:escalate).
func (a *after) escalate(jobs Jobs, id string, step int, at time.Time) {
	a.add(func(ctx context.Context) error { return jobs.ScheduleEscalation(ctx, id, step, at) })
}

// rerouteCheck schedules the request's reroute check (request:reroute).
func (a *after) rerouteCheck(jobs Jobs, id string, at time.Time) {
	a.add(func(ctx context.Context) error { return jobs.ScheduleRerouteCheck(ctx, id, at) })
}
