package core

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"runtime"
	"sync"
	"time"
)

// Group commit: concurrent Ingest calls wait in one of a few lanes, and
// whoever finds its lane idle leads: it takes every waiting call (up to
// maxGroup) into one transaction, hands each call its outcome, and passes
// the lead on to the next waiting call. A customer always maps to the same
// lane, so no two groups write one customer at the same time. Under light
// load a group is one message; under heavy load the groups grow by
// themselves, with no timer and no added wait.
const maxGroup = 128

type ingestLane struct {
	mu      sync.Mutex
	busy    bool
	pending []*ingestCall
}

type ingestCall struct {
	in  Inbound
	msg Message
	a   after
	err error
	// settled: the leader published the call's events and queued the
	// bot's turn on it (settleGroup); the caller has nothing left to do.
	settled bool
	// fetchesQueued: the leader queued the fetches of the message's
	// attachments with the group's (queueGroupFetches).
	fetchesQueued bool
	done          chan struct{} // closed with the outcome
	lead          chan struct{} // signalled: become the lane's leader
}

func (s *Service) lane(in Inbound) *ingestLane {
	h := fnv.New32a()
	h.Write([]byte(in.ChannelID))
	h.Write([]byte{0})
	h.Write([]byte(in.ChannelUserID))
	return &s.lanes[h.Sum32()%uint32(len(s.lanes))]
}

// ingestGrouped queues the call on its lane, leads the lane when it is
// idle, and returns with the call's outcome set. The group's transaction
// does not inherit ctx's cancellation: the other callers in it must not
// fail because this one's client went away.
func (s *Service) ingestGrouped(ctx context.Context, c *ingestCall) {
	l := s.lane(c.in)
	c.done, c.lead = make(chan struct{}), make(chan struct{}, 1)
	l.mu.Lock()
	l.pending = append(l.pending, c)
	leader := !l.busy
	l.busy = true
	l.mu.Unlock()
	if !leader {
		select {
		case <-c.done:
			return
		case <-c.lead:
		}
	}
	gctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), groupTimeout)
	defer cancel()
	l.mu.Lock()
	n := min(len(l.pending), maxGroup)
	group := l.pending[:n:n]
	l.pending = l.pending[n:]
	l.mu.Unlock()

	s.ingestGroup(gctx, group)

	l.mu.Lock()
	if len(l.pending) > 0 {
		l.pending[0].lead <- struct{}{}
	} else {
		l.busy = false
	}
	l.mu.Unlock()
	<-c.done // c was in the group: it is the oldest pending call
}

// ingestGroup stores every call of the group in one transaction (a group
// of one too: the set-based statements are fewer than ingestOne's). The
// insert itself finds the messages stored before (the unique index on the
// provider id): those calls get ErrDuplicate and the others are stored
// again without them, in one more transaction. When that fails for any
// other reason each call is stored alone, so one bad message costs only
// itself.
func (s *Service) ingestGroup(ctx context.Context, group []*ingestCall) {
	defer func() {
		for _, c := range group {
			close(c.done)
		}
	}()
	live := group
	for attempt := 0; ; attempt++ {
		err := s.store.Atomic(ctx, func(tx Tx) error { return s.storeGroup(ctx, tx, live) })
		if err == nil {
			s.settleGroup(ctx, group)
			return
		}
		var dup *DuplicateMessagesError
		if errors.As(err, &dup) && attempt < maxDuplicateRetries {
			live = withoutDuplicates(live, dup.Keys)
			continue
		}
		s.log.DebugContext(ctx, "grouped ingest failed; storing one by one", "messages", len(live), "err", err)
		for _, c := range live {
			c.msg, c.a, c.err = s.ingestOne(ctx, c.in)
		}
		return
	}
}

// maxDuplicateRetries bounds the times a group is stored again without
// the duplicates its insert found (a provider that redelivers while
// another gateway stores the same messages could otherwise keep it
// going); after that its calls are stored one by one.
const maxDuplicateRetries = 2

// withoutDuplicates gives the calls whose message is one of keys
// ErrDuplicate and returns the others.
func withoutDuplicates(calls []*ingestCall, keys []ChannelKey) []*ingestCall {
	dup := make(map[ChannelKey]bool, len(keys))
	for _, k := range keys {
		dup[k] = true
	}
	var rest []*ingestCall
	for _, c := range calls {
		k := ChannelKey{c.in.ChannelID, c.in.ProviderID}
		if c.in.ProviderID != "" && dup[k] {
			c.msg, c.a = Message{}, nil
			c.err = fmt.Errorf("store message %s/%s: %w", k.ChannelID, k.ID, ErrDuplicate)
			continue
		}
		rest = append(rest, c)
	}
	return rest
}

// settleGroup does, for a stored group, what each caller would do after
// its own commit, with one enqueue instead of one per message: publish
// the calls' events in arrival order, then queue the bot's turns on them
// as one task (Jobs.QueueBots). Messages stored processed need no turn
// (inboundMessage). Messages that ask for a person, and a group of one,
// are left to their callers (QueueBotFirst and QueueBot).
// When the enqueue fails the callers try again one by one.
func (s *Service) settleGroup(ctx context.Context, group []*ingestCall) {
	s.queueGroupFetches(ctx, group)
	var calls []*ingestCall
	var ids []string
	var events after // every settled call's, in arrival order: one batch on the bus
	for _, c := range group {
		switch {
		case c.err != nil:
		case !c.msg.ProcessedAt.IsZero():
			events = append(events, c.a...)
			c.a, c.settled = nil, true
		case !s.asksForPerson(c.msg.Text):
			calls = append(calls, c)
			ids = append(ids, c.msg.ID)
		}
	}
	if len(calls) < 2 {
		events.run(ctx, s)
		return
	}
	for _, c := range calls {
		events = append(events, c.a...)
		c.a = nil
	}
	events.run(ctx, s)
	if err := s.jobs.QueueBots(ctx, ids); err != nil {
		s.log.WarnContext(ctx, "enqueue conv:bot for a group failed; enqueueing one by one", "messages", len(ids), "err", err)
		return
	}
	for _, c := range calls {
		c.settled = true
	}
}

// queueGroupFetches queues the fetches of every pending attachment the
// group stored in one enqueue (Jobs.QueueMediaFetches), instead of one
// round trip to the queue per file from each caller. A group with one
// file leaves it to its caller, and when the enqueue fails the callers
// queue theirs one by one.
func (s *Service) queueGroupFetches(ctx context.Context, group []*ingestCall) {
	var calls []*ingestCall
	var ids []string
	for _, c := range group {
		if c.err != nil {
			continue
		}
		n := len(ids)
		for _, a := range c.msg.Attachments {
			if a.Status == AttachmentPending {
				ids = append(ids, a.ID)
			}
		}
		if len(ids) > n {
			calls = append(calls, c)
		}
	}
	if len(ids) < 2 {
		return
	}
	if err := s.jobs.QueueMediaFetches(ctx, ids, "ingest"); err != nil {
		s.log.WarnContext(ctx, "enqueue media:fetch for a group failed; enqueueing one by one", "attachments", len(ids), "err", err)
		return
	}
	for _, c := range calls {
		c.fetchesQueued = true
	}
}

// storeGroup is upsertCustomer, openConversation and InsertMessage for a
// whole group, with the same rules, in a few set-based statements. It
// sets each call's outcome; on error the caller discards them.
func (s *Service) storeGroup(ctx context.Context, tx Tx, group []*ingestCall) error {
	now := s.clock()
	// A message repeated within the group is stored once: the later
	// copies are duplicates. Messages stored before are found by
	// InsertMessages at the end (see ingestGroup).
	seen := map[ChannelKey]bool{}
	var live []*ingestCall
	for _, c := range group {
		c.msg, c.a, c.err = Message{}, nil, nil // a group stored again starts afresh
		k := ChannelKey{c.in.ChannelID, c.in.ProviderID}
		if c.in.ProviderID != "" && seen[k] {
			c.err = fmt.Errorf("store message %s/%s: %w", k.ChannelID, k.ID, ErrDuplicate)
			continue
		}
		seen[k] = c.in.ProviderID != ""
		live = append(live, c)
	}
	if len(live) == 0 {
		return nil
	}

	// Customers: found or new; name and last seen refreshed.
	var ukeys []ChannelKey
	for _, c := range live {
		ukeys = append(ukeys, ChannelKey{c.in.ChannelID, c.in.ChannelUserID})
	}
	found, err := tx.CustomersByChannelUsers(ctx, ukeys)
	if err != nil {
		return fmt.Errorf("ingest group: find customers: %w", err)
	}
	customers := map[ChannelKey]*Customer{}
	var order []ChannelKey
	var known []string
	for _, c := range live {
		k := ChannelKey{c.in.ChannelID, c.in.ChannelUserID}
		cu, ok := customers[k]
		if !ok {
			if f, exists := found[k]; exists {
				cu = &f
				known = append(known, f.ID)
			} else {
				cu = &Customer{ID: NewID(), ChannelID: k.ChannelID, ChannelUserID: k.ID, CreatedAt: now}
			}
			customers[k] = cu
			order = append(order, k)
		}
		if c.in.Name != "" {
			cu.Name = c.in.Name
		}
		cu.LastSeenAt = now
	}

	// Conversations: the open one, or a new one (a new visit).
	open := map[string]Conversation{}
	if len(known) > 0 {
		if open, err = tx.OpenConversationsOf(ctx, known); err != nil {
			return fmt.Errorf("ingest group: find open conversations: %w", err)
		}
	}
	var created []Conversation
	moved := map[string]Conversation{}
	for _, c := range live {
		cu := customers[ChannelKey{c.in.ChannelID, c.in.ChannelUserID}]
		conv, ok := open[cu.ID]
		if !ok {
			cu.Visits++
			conv = Conversation{ID: NewID(), ChannelID: c.in.ChannelID, Channel: s.channelOf(c.in.ChannelID),
				CustomerID: cu.ID, Status: ConvBot, PageURL: c.in.PageURL, CreatedAt: now, LastMessageAt: now}
			created = append(created, conv)
		} else if c.in.PageURL != "" && c.in.PageURL != conv.PageURL {
			conv.PageURL = c.in.PageURL
			moved[conv.ID] = conv
		}
		open[cu.ID] = conv
	}
	var save []Customer
	for _, k := range order {
		save = append(save, *customers[k])
	}
	if err := tx.SaveCustomers(ctx, save); err != nil {
		return fmt.Errorf("ingest group: save customers: %w", err)
	}
	if len(created) > 0 {
		if err := tx.CreateConversations(ctx, created); err != nil {
			return fmt.Errorf("ingest group: create conversations: %w", err)
		}
	}
	for _, conv := range moved {
		if err := tx.UpdateConversation(ctx, conv); err != nil {
			return fmt.Errorf("ingest group: update page of conversation %s: %w", conv.ID, err)
		}
	}

	// Messages, in arrival order.
	msgs := make([]Message, 0, len(live))
	for _, c := range live {
		cu := customers[ChannelKey{c.in.ChannelID, c.in.ChannelUserID}]
		conv := open[cu.ID]
		conv.Customer = *cu
		c.msg = s.inboundMessage(c.in, conv, now)
		msgs = append(msgs, c.msg)
		s.messageEvents(&c.a, conv, EventMessageCreated, c.msg)
	}
	if err := tx.InsertMessages(ctx, msgs); err != nil {
		return fmt.Errorf("ingest group: store %d messages: %w", len(msgs), err)
	}
	return nil
}

// groupTimeout bounds a group's transaction, which outlives the leader's
// own request context.
const groupTimeout = 30 * time.Second

// defaultIngestLanes is the number of lanes unless Deps sets it: one group
// in flight per core the process may use, at least 2 and at most 8. More
// lanes keep more database connections busy; fewer make bigger groups,
// and a smaller wait behind the group in flight when the cores are
// shared with the database. On 2 cores (PostgreSQL, Redis and the load on
// the same machine) 2 lanes halved the p99 answer at 2,000 messages/s
// against 4, for 12 % less closed-loop throughput (README, Performance).
func defaultIngestLanes() int { return min(max(runtime.GOMAXPROCS(0), 2), 8) }
