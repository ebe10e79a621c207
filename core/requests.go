package core

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// Eligible returns the agents a request may be offered to: online, under
// their max_chats, and not among the agents who declined it.
func Eligible(req Request, agents []Agent) []string {
	var ids []string
	for _, a := range agents {
		if a.Online && a.ActiveChats < a.MaxChats && !req.DeclinedBy(a.ID) {
			ids = append(ids, a.ID)
		}
	}
	return ids
}

// rerouteOpen queues routing of every open request, oldest first: an agent
// came online, went offline, or freed capacity.
func (s *Service) rerouteOpen(ctx context.Context, cause string) {
	open, err := s.store.ListRequests(ctx, RequestQuery{Statuses: []RequestStatus{ReqWaiting, ReqDeclined}})
	if err != nil {
		s.log.WarnContext(ctx, "list open requests to re-offer; the sweeper will retry", "err", err)
		return
	}
	for _, r := range open {
		if err := s.jobs.QueueRoute(ctx, r.ID, cause); err != nil {
			s.log.WarnContext(ctx, "enqueue request:route failed; the sweeper will retry", "request_id", r.ID, "err", err)
		}
	}
}

// Accept gives the request to the agent. Exactly one of any number of
// concurrent accepts wins: the request moves by a conditional update, and
// the agent's row is locked while their capacity is checked. Accepts of
// one request in this process take turns, and once one has won the
// others waiting answer at once.
func (s *Service) Accept(ctx context.Context, actor Agent, requestID string) (Request, Conversation, error) {
	gate, leave, err := s.accepts.enter(ctx, requestID)
	if err != nil {
		return Request{}, Conversation{}, fmt.Errorf("accept request %s: %w", requestID, err)
	}
	defer leave() // also should the transaction panic
	if gate.winner != "" && gate.winner != actor.ID {
		return Request{}, Conversation{}, fmt.Errorf("accept request %s: %w", requestID, ErrAlreadyAccepted)
	}
	var a after
	var req Request
	var conv Conversation
	err = s.store.Atomic(ctx, func(tx Tx) error {
		agent, err := tx.LockAgent(ctx, actor.ID)
		if err != nil {
			return fmt.Errorf("accept: lock agent %s: %w", actor.ID, err)
		}
		if req, err = tx.LockRequest(ctx, requestID); err != nil {
			return fmt.Errorf("accept: read request %s: %w", requestID, err)
		}
		switch {
		case req.Status == ReqAccepted && req.AcceptedBy == agent.ID:
			// The winner clicked twice: show them what they have.
			conv, err = tx.ConversationByID(ctx, req.ConversationID)
			return err
		case req.Status == ReqAccepted:
			return fmt.Errorf("accept request %s: %w", requestID, ErrAlreadyAccepted)
		case !req.Status.Open():
			return &TransitionError{What: "request", From: string(req.Status), Action: "accept"}
		case !agent.Online:
			return fmt.Errorf("accept request %s: %w", requestID, ErrAgentOffline)
		case agent.ActiveChats >= agent.MaxChats:
			// Before the offer: routing leaves full agents out of offers,
			// and a full agent should hear that she is full.
			return fmt.Errorf("accept request %s: %d of %d chats: %w", requestID, agent.ActiveChats, agent.MaxChats, ErrAtCapacity)
		case !agent.Admin && !req.IsOfferedTo(agent.ID):
			return fmt.Errorf("accept request %s by %s: %w", requestID, agent.ID, ErrNotOffered)
		}
		now := s.clock()
		won, err := tx.AcceptRequest(ctx, requestID, agent.ID, now)
		if err != nil {
			return fmt.Errorf("accept request %s: %w", requestID, err)
		}
		if !won {
			return fmt.Errorf("accept request %s: %w", requestID, ErrAlreadyAccepted)
		}
		req.Status, req.AcceptedBy, req.AcceptedAt, req.UpdatedAt = ReqAccepted, agent.ID, now, now
		if err := tx.SetOffers(ctx, req.ID, nil, now); err != nil {
			return fmt.Errorf("accept: withdraw offers of %s: %w", req.ID, err)
		}
		for _, id := range req.OfferedTo { // it leaves every other panel
			if id != agent.ID {
				s.publish(&a, AgentStream(id), EventRequestRemoved, RequestRef{ID: req.ID})
			}
		}
		req.OfferedTo = nil
		if conv, err = tx.LockConversation(ctx, req.ConversationID); err != nil {
			return fmt.Errorf("accept: read conversation %s: %w", req.ConversationID, err)
		}
		conv.Status, conv.AgentID = ConvActive, agent.ID
		if err := tx.UpdateConversation(ctx, conv); err != nil {
			return fmt.Errorf("accept: activate conversation %s: %w", conv.ID, err)
		}
		s.publish(&a, AgentStream(agent.ID), EventRequestUpdated, s.decorate(req, agent, nil))
		s.publish(&a, AgentStream(agent.ID), EventConversationUpdated, s.viewConversation(conv))
		s.visitorStatus(&a, conv, VisitorStatus{Status: ConvActive, AgentName: agent.Name})
		_, err = s.outbound(ctx, tx, &a, conv, AuthorSystem, "", agent.Name+" joined the conversation.")
		return err
	})
	if err == nil {
		gate.winner = actor.ID
	}
	leave() // the others waiting need only the outcome, not what follows
	if err != nil {
		return Request{}, Conversation{}, err
	}
	a.run(ctx, s)
	req, err = s.viewRequest(ctx, req, actor)
	if err != nil {
		return Request{}, Conversation{}, err
	}
	return req, s.viewConversation(conv), nil
}

// Decline takes the request out of the agent's panel and re-offers it at
// once (same transaction) to the next agent or tier, excluding every
// decliner, and schedules the reroute_within check. The customer hears of
// it only when their situation changed (NextWaitNotice): nothing while
// others have the request and the wait told still holds, the offline
// acknowledgment when nobody is left to take it. Declining twice is
// harmless.
func (s *Service) Decline(ctx context.Context, actor Agent, requestID, reason string) (Request, error) {
	if len(reason) > 500 {
		return Request{}, Invalid("reason", "must be at most 500 characters")
	}
	var a after
	var req Request
	median := s.acceptMedian(ctx)
	err := s.store.Atomic(ctx, func(tx Tx) error {
		var err error
		if req, err = tx.LockRequest(ctx, requestID); err != nil {
			return fmt.Errorf("decline: read request %s: %w", requestID, err)
		}
		switch {
		case req.Status == ReqAccepted:
			return fmt.Errorf("decline request %s: %w", requestID, ErrAlreadyAccepted)
		case !req.Status.Open():
			return &TransitionError{What: "request", From: string(req.Status), Action: "decline"}
		case req.DeclinedBy(actor.ID):
			return nil
		case !actor.Admin && !req.IsOfferedTo(actor.ID):
			return fmt.Errorf("decline request %s by %s: %w", requestID, actor.ID, ErrNotOffered)
		}
		now := s.clock()
		d := Decline{AgentID: actor.ID, Reason: reason, At: now}
		if err := tx.AddDecline(ctx, req.ID, d); err != nil {
			return fmt.Errorf("decline request %s: %w", req.ID, err)
		}
		req.Declines = append(req.Declines, d)
		req.Status, req.UpdatedAt = ReqDeclined, now
		if err := tx.UpdateRequest(ctx, req); err != nil {
			return fmt.Errorf("decline request %s: %w", req.ID, err)
		}
		// routing.reroute_within is a guarantee: a check is scheduled that
		// moves the request to the general queue if it is still open then.
		var rerouteAt time.Time
		if within := s.set().Routing.RerouteWithin; within > 0 {
			rerouteAt = now.Add(within)
		}
		// Re-offer at once, in this transaction: the next agent or tier.
		req, err = s.routeTx(ctx, tx, &a, req, now, rerouteAt, median)
		return err
	})
	if err != nil {
		return Request{}, err
	}
	a.run(ctx, s)
	return s.viewRequest(ctx, req, actor)
}

// RequestFilter names the statuses of GET /v1/requests?status=.
func RequestFilter(status string) ([]RequestStatus, error) {
	switch status {
	case "", "open":
		return []RequestStatus{ReqWaiting, ReqDeclined}, nil
	case "waiting", "declined", "accepted", "resolved", "abandoned":
		return []RequestStatus{RequestStatus(status)}, nil
	case "all":
		return nil, nil
	}
	return nil, Invalid("status", "must be one of open, waiting, declined, accepted, resolved, abandoned, all")
}

// ListRequests is the request panel, oldest first. Admins see every
// request; other agents see the open requests offered to them (every open
// request while they are offline: the queue they would work on, to be
// accepted once online) and the closed ones they accepted.
func (s *Service) ListRequests(ctx context.Context, actor Agent, status string) ([]Request, error) {
	statuses, err := RequestFilter(status)
	if err != nil {
		return nil, err
	}
	var reqs []Request
	if actor.Admin {
		if reqs, err = s.store.ListRequests(ctx, RequestQuery{Statuses: statuses}); err != nil {
			return nil, fmt.Errorf("list requests: %w", err)
		}
	} else {
		var open, closed []RequestStatus
		for _, st := range statuses {
			if st.Open() {
				open = append(open, st)
			} else {
				closed = append(closed, st)
			}
		}
		if statuses == nil { // all
			open = []RequestStatus{ReqWaiting, ReqDeclined}
			closed = []RequestStatus{ReqAccepted, ReqResolved, ReqAbandoned}
		}
		if len(open) > 0 {
			q := RequestQuery{Statuses: open, OfferedTo: actor.ID}
			if !actor.Online {
				q.OfferedTo = "" // offline: the whole queue
			}
			r, err := s.store.ListRequests(ctx, q)
			if err != nil {
				return nil, fmt.Errorf("list offered requests: %w", err)
			}
			reqs = append(reqs, r...)
		}
		if len(closed) > 0 {
			r, err := s.store.ListRequests(ctx, RequestQuery{Statuses: closed, AcceptedBy: actor.ID})
			if err != nil {
				return nil, fmt.Errorf("list accepted requests: %w", err)
			}
			reqs = append(reqs, r...)
		}
		sort.SliceStable(reqs, func(i, j int) bool { return reqs[i].CreatedAt.Before(reqs[j].CreatedAt) })
	}
	pos, err := s.queuePositions(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Request, 0, len(reqs))
	for _, r := range reqs {
		out = append(out, s.decorate(r, actor, pos))
	}
	return out, nil
}

// GetRequest reads one request as the panel shows it.
func (s *Service) GetRequest(ctx context.Context, actor Agent, id string) (Request, error) {
	req, err := s.store.RequestByID(ctx, id)
	if err != nil {
		return Request{}, fmt.Errorf("read request %s: %w", id, err)
	}
	if !inPanel(actor, req) {
		return Request{}, fmt.Errorf("request %s is not in the panel of %s: %w", id, actor.ID, ErrForbidden)
	}
	return s.viewRequest(ctx, req, actor)
}

// inPanel reports whether the request is in the actor's panel (GetRequest).
func inPanel(actor Agent, req Request) bool {
	return actor.Admin || req.IsOfferedTo(actor.ID) || req.AcceptedBy == actor.ID || req.DeclinedBy(actor.ID) ||
		(req.Status.Open() && !actor.Online)
}

// viewRequest fills the viewer-dependent fields of one request.
func (s *Service) viewRequest(ctx context.Context, req Request, viewer Agent) (Request, error) {
	pos := map[string]int{}
	if req.Status.Open() {
		n, err := s.store.QueuePosition(ctx, req.ID)
		if err != nil && !isNotFound(err) {
			return Request{}, fmt.Errorf("queue position of %s: %w", req.ID, err)
		}
		pos[req.ID] = n
	}
	return s.decorate(req, viewer, pos), nil
}

// decorate fills channel, wait time and level, offered_to_me and the
// queue position.
func (s *Service) decorate(r Request, viewer Agent, pos map[string]int) Request {
	r.Channel = s.channelOf(r.ChannelID)
	end := s.clock()
	switch {
	case !r.AcceptedAt.IsZero():
		end = r.AcceptedAt
	case !r.Status.Open() && !r.ClosedAt.IsZero():
		end = r.ClosedAt
	}
	wait := max(end.Sub(r.CreatedAt), 0)
	r.WaitSeconds = int(wait / time.Second)
	r.WaitLevel = s.set().SLA.Level(wait)
	r.OfferedToMe = viewer.ID != "" && r.IsOfferedTo(viewer.ID)
	r.QueuePosition = pos[r.ID]
	return r
}

// openRequest turns the conversation into a waiting connection request, or
// returns the request it already has. trigger is the text that asked.
func (s *Service) openRequest(ctx context.Context, tx Tx, a *after, conv Conversation, reason RequestReason, trigger string) (Request, error) {
	if conv.RequestID != "" {
		req, err := tx.RequestByID(ctx, conv.RequestID)
		if err != nil {
			return Request{}, fmt.Errorf("read request %s: %w", conv.RequestID, err)
		}
		if req.Status.Open() || req.Status == ReqAccepted {
			return req, nil // idempotent: the request is still open
		}
	}
	if conv.Status != ConvBot {
		return Request{}, &TransitionError{What: "conversation", From: string(conv.Status), Action: "request a person in"}
	}
	initial := trigger
	if first, err := tx.FirstCustomerMessage(ctx, conv.ID); err == nil {
		initial = first.Text
	} else if !isNotFound(err) {
		return Request{}, fmt.Errorf("read first message of conversation %s: %w", conv.ID, err)
	}
	now := s.clock()
	req := Request{ID: NewID(), ConversationID: conv.ID, CustomerID: conv.CustomerID, Customer: conv.Customer,
		ChannelID: conv.ChannelID, Status: ReqWaiting, Reason: reason, InitialMessage: initial,
		PageURL: conv.PageURL, CreatedAt: now, UpdatedAt: now}
	if err := tx.CreateRequest(ctx, req); err != nil {
		return Request{}, fmt.Errorf("create request for conversation %s: %w", conv.ID, err)
	}
	conv.Status, conv.RequestID = ConvWaiting, req.ID
	if err := tx.UpdateConversation(ctx, conv); err != nil {
		return Request{}, fmt.Errorf("mark conversation %s waiting: %w", conv.ID, err)
	}
	// The customer hears of the wait from the routing that follows
	// (routeTx), which knows whether anyone can take the request.
	if err := s.waitingStatus(ctx, tx, a, conv, req.ID); err != nil {
		return Request{}, err
	}
	a.route(req.ID, "open")
	return req, nil
}
