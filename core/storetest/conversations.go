package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

func testConversations(t *testing.T, f *fx) {
	ctx, s := f.ctx, f.s
	a := f.agent(nil)
	cu := f.customer("web", "Dana")
	other := f.customer("web", "Fox")

	c1 := core.Conversation{ID: core.NewID(), ChannelID: "web", CustomerID: cu.ID, Customer: cu, Status: core.ConvBot,
		PageURL: "https://shop.example/cart", CreatedAt: at(0), LastMessageAt: at(time.Second), BotMisses: 1}
	ok(t, "create conversation", s.CreateConversation(ctx, c1))
	got, err := s.ConversationByID(ctx, c1.ID)
	ok(t, "conversation by id", err)
	equal(t, "conversation with its customer", got, c1)

	c1.Status, c1.AgentID, c1.RequestID, c1.PageURL = core.ConvResolved, a.ID, core.NewID(), "https://shop.example/pay"
	c1.ResolvedAt, c1.LastMessageAt, c1.BotMisses = at(time.Hour), at(time.Minute), 2
	ok(t, "update conversation", s.UpdateConversation(ctx, c1))
	got, err = s.ConversationByID(ctx, c1.ID)
	ok(t, "read updated conversation", err)
	equal(t, "updated conversation", got, c1)

	// last_message_at never moves back (InsertMessage moves it; a copy read
	// before an insert must not undo that).
	stale := c1
	stale.LastMessageAt = at(0)
	ok(t, "update with an older last message time", s.UpdateConversation(ctx, stale))
	got, err = s.ConversationByID(ctx, c1.ID)
	ok(t, "read", err)
	if !got.LastMessageAt.Equal(c1.LastMessageAt) {
		t.Errorf("last_message_at moved back to %v, want %v", got.LastMessageAt, c1.LastMessageAt)
	}

	_, err = s.OpenConversation(ctx, cu.ID, "web")
	isErr(t, "open conversation when all are resolved", err, core.ErrNotFound)

	c2 := f.conversation(cu, func(c *core.Conversation) { c.Status, c.CreatedAt = core.ConvWaiting, at(time.Hour) })
	c3 := f.conversation(cu, func(c *core.Conversation) { c.Status = core.ConvActive; c.AgentID = a.ID })
	c4 := f.conversation(cu, func(c *core.Conversation) { c.Status = core.ConvResolved; c.ResolvedAt = at(2 * time.Hour) })
	wa := f.customer("wa", "Dana")
	f.conversation(wa, nil)

	got, err = s.OpenConversation(ctx, cu.ID, "web")
	ok(t, "open conversation", err)
	equal(t, "open conversation is the newest unresolved", got, c3)
	got, err = s.LatestConversation(ctx, cu.ID, "web")
	ok(t, "latest conversation", err)
	equal(t, "latest conversation, whatever its status", got, c4)
	_, err = s.OpenConversation(ctx, cu.ID, "wa")
	isErr(t, "open conversation on a channel without one", err, core.ErrNotFound)
	_, err = s.LatestConversation(ctx, other.ID, "web")
	isErr(t, "latest conversation of a customer without one", err, core.ErrNotFound)

	c3.Status, c3.ResolvedAt = core.ConvResolved, at(3*time.Hour)
	ok(t, "resolve", s.UpdateConversation(ctx, c3))
	got, err = s.OpenConversation(ctx, cu.ID, "web")
	ok(t, "open conversation", err)
	equal(t, "open conversation after the newest was resolved", got, c2)

	err = s.Atomic(ctx, func(tx core.Tx) error {
		got, err := tx.LockConversation(ctx, c2.ID)
		ok(t, "lock conversation", err)
		equal(t, "locked conversation", got, c2)
		_, err = tx.LockConversation(ctx, core.NewID())
		return err
	})
	isErr(t, "lock unknown conversation", err, core.ErrNotFound)
	err = s.Atomic(ctx, func(tx core.Tx) error {
		got, err := tx.LockConversations(ctx, []string{c2.ID, core.NewID(), c1.ID, c2.ID})
		ok(t, "lock conversations", err)
		want := []core.Conversation{c1, c2}
		if c2.ID < c1.ID {
			want = []core.Conversation{c2, c1}
		}
		equal(t, "locked conversations, in id order, unknown ones left out", got, want)
		none, err := tx.LockConversations(ctx, nil)
		if len(none) != 0 {
			t.Errorf("locked %d conversations of none", len(none))
		}
		return err
	})
	ok(t, "lock conversations", err)
	_, err = s.ConversationByID(ctx, core.NewID())
	isErr(t, "unknown conversation", err, core.ErrNotFound)
	ghost := c2
	ghost.ID = core.NewID()
	isErr(t, "update unknown conversation", s.UpdateConversation(ctx, ghost), core.ErrNotFound)
}

func testRequests(t *testing.T, f *fx) {
	ctx, s := f.ctx, f.s
	a1, a2, a3 := f.agent(nil), f.agent(nil), f.agent(nil)
	cu := f.customer("web", "Dana")
	cv := f.conversation(cu, nil)
	r := core.Request{ID: core.NewID(), ConversationID: cv.ID, CustomerID: cu.ID, Customer: cu, ChannelID: "web",
		Status: core.ReqWaiting, Reason: core.ReasonBotHandoff, InitialMessage: "where is my order?",
		PageURL: "https://shop.example/orders", CreatedAt: at(0), UpdatedAt: at(time.Second)}
	ok(t, "create request", s.CreateRequest(ctx, r))
	got, err := s.RequestByID(ctx, r.ID)
	ok(t, "request by id", err)
	equal(t, "request with its customer", norm(got), r)

	// Offers: replaced as a set.
	ok(t, "offer", s.SetOffers(ctx, r.ID, []string{a2.ID, a1.ID}, at(time.Minute)))
	got, err = s.RequestByID(ctx, r.ID)
	ok(t, "read", err)
	equal(t, "offered to", sorted(got.OfferedTo), sorted([]string{a1.ID, a2.ID}))
	ok(t, "re-offer", s.SetOffers(ctx, r.ID, []string{a3.ID, a2.ID}, at(2*time.Minute)))
	got, err = s.RequestByID(ctx, r.ID)
	ok(t, "read", err)
	equal(t, "offered to after replacing", sorted(got.OfferedTo), sorted([]string{a2.ID, a3.ID}))
	if !got.IsOfferedTo(a3.ID) || got.IsOfferedTo(a1.ID) {
		t.Errorf("IsOfferedTo after replacing: %v", got.OfferedTo)
	}

	// Declines: oldest first.
	d3 := core.Decline{AgentID: a3.ID, Reason: "wrong language, \"sorry\" [x]", At: at(4 * time.Minute)}
	d1 := core.Decline{AgentID: a1.ID, Reason: "busy", At: at(5 * time.Minute)}
	d2 := core.Decline{AgentID: a2.ID, Reason: "", At: at(6 * time.Minute)}
	for _, d := range []core.Decline{d3, d1, d2} {
		ok(t, "add decline", s.AddDecline(ctx, r.ID, d))
	}
	got, err = s.RequestByID(ctx, r.ID)
	ok(t, "read", err)
	equal(t, "declines oldest first", got.Declines, []core.Decline{d3, d1, d2})
	if !got.DeclinedBy(a1.ID) {
		t.Errorf("DeclinedBy(a1) false: %+v", got.Declines)
	}

	ok(t, "withdraw all offers", s.SetOffers(ctx, r.ID, nil, at(7*time.Minute)))
	got, err = s.RequestByID(ctx, r.ID)
	ok(t, "read", err)
	if len(got.OfferedTo) != 0 {
		t.Errorf("offers after withdrawing all: %v", got.OfferedTo)
	}

	// UpdateRequest writes status, reason, page, accepted/closed fields and UpdatedAt.
	r.Status, r.Reason, r.PageURL, r.UpdatedAt = core.ReqDeclined, core.ReasonCustomerAsked, "https://shop.example/help", at(8*time.Minute)
	r.Declines = []core.Decline{d3, d1, d2}
	ok(t, "update request", s.UpdateRequest(ctx, r))
	got, err = s.RequestByID(ctx, r.ID)
	ok(t, "read updated request", err)
	equal(t, "updated request", norm(got), r)

	// AcceptRequest: only from waiting or declined, only once.
	won, err := s.AcceptRequest(ctx, r.ID, a2.ID, at(9*time.Minute))
	ok(t, "accept", err)
	if !won {
		t.Fatalf("accepting a declined request did not win")
	}
	r.Status, r.AcceptedBy, r.AcceptedAt, r.UpdatedAt = core.ReqAccepted, a2.ID, at(9*time.Minute), at(9*time.Minute)
	got, err = s.RequestByID(ctx, r.ID)
	ok(t, "read accepted request", err)
	equal(t, "accepted request", norm(got), r)
	won, err = s.AcceptRequest(ctx, r.ID, a3.ID, at(10*time.Minute))
	ok(t, "accept again", err)
	if won {
		t.Errorf("a second accept won")
	}
	got, err = s.RequestByID(ctx, r.ID)
	ok(t, "read", err)
	if got.AcceptedBy != a2.ID || !got.AcceptedAt.Equal(r.AcceptedAt) {
		t.Errorf("a lost accept changed the request: %+v", got)
	}
	won, err = s.AcceptRequest(ctx, core.NewID(), a3.ID, at(10*time.Minute))
	if won || (err != nil && !errors.Is(err, core.ErrNotFound)) {
		t.Errorf("accept unknown request: won %v, err %v; want false and no error or ErrNotFound", won, err)
	}

	waiting := f.request(f.conversation(cu, nil), nil)
	won, err = s.AcceptRequest(ctx, waiting.ID, a1.ID, at(time.Hour))
	if err != nil || !won {
		t.Errorf("accept waiting request: won %v, err %v", won, err)
	}
	closed := f.request(f.conversation(cu, nil), func(r *core.Request) {
		r.Status, r.ClosedAt = core.ReqAbandoned, at(time.Hour)
	})
	got, err = s.RequestByID(ctx, closed.ID)
	ok(t, "read closed request", err)
	equal(t, "closed request", norm(got), closed)
	for _, st := range []core.RequestStatus{core.ReqAbandoned, core.ReqResolved} {
		closed.Status = st
		ok(t, "update", s.UpdateRequest(ctx, closed))
		if won, err := s.AcceptRequest(ctx, closed.ID, a1.ID, at(time.Hour)); err != nil || won {
			t.Errorf("accept %s request: won %v, err %v", st, won, err)
		}
	}

	err = s.Atomic(ctx, func(tx core.Tx) error {
		got, err := tx.LockRequest(ctx, waiting.ID)
		ok(t, "lock request", err)
		if got.Status != core.ReqAccepted || got.AcceptedBy != a1.ID || got.Customer.ID != cu.ID {
			t.Errorf("locked request: %+v", got)
		}
		_, err = tx.LockRequest(ctx, core.NewID())
		return err
	})
	isErr(t, "lock unknown request", err, core.ErrNotFound)
	_, err = s.RequestByID(ctx, core.NewID())
	isErr(t, "unknown request", err, core.ErrNotFound)
	ghost := r
	ghost.ID = core.NewID()
	isErr(t, "update unknown request", s.UpdateRequest(ctx, ghost), core.ErrNotFound)
}

func testListRequests(t *testing.T, f *fx) {
	ctx, s := f.ctx, f.s
	a1, a2 := f.agent(nil), f.agent(nil)
	mk := func(i int, st core.RequestStatus, by string) core.Request {
		cu := f.customer("web", "Customer")
		return f.request(f.conversation(cu, nil), func(r *core.Request) {
			r.Status, r.CreatedAt, r.UpdatedAt = st, at(time.Duration(i)*time.Minute), at(time.Duration(i)*time.Minute)
			if by != "" {
				r.AcceptedBy, r.AcceptedAt = by, at(time.Hour)
			}
		})
	}
	r1 := mk(1, core.ReqWaiting, "")
	r2 := mk(2, core.ReqDeclined, "")
	r3 := mk(3, core.ReqAccepted, a1.ID)
	r4 := mk(4, core.ReqResolved, a1.ID)
	r5 := mk(5, core.ReqAccepted, a2.ID)
	f.offer(r1, a1, a2)
	f.offer(r2, a2)
	d := core.Decline{AgentID: a1.ID, Reason: "busy", At: at(time.Minute)}
	ok(t, "decline", s.AddDecline(ctx, r2.ID, d))

	open := []core.RequestStatus{core.ReqWaiting, core.ReqDeclined}
	for _, tc := range []struct {
		name string
		q    core.RequestQuery
		want []core.Request
	}{
		{"all", core.RequestQuery{}, []core.Request{r1, r2, r3, r4, r5}},
		{"open", core.RequestQuery{Statuses: open}, []core.Request{r1, r2}},
		{"accepted", core.RequestQuery{Statuses: []core.RequestStatus{core.ReqAccepted}}, []core.Request{r3, r5}},
		{"offered to a1", core.RequestQuery{Statuses: open, OfferedTo: a1.ID}, []core.Request{r1}},
		{"offered to a2", core.RequestQuery{OfferedTo: a2.ID}, []core.Request{r1, r2}},
		{"accepted by a1", core.RequestQuery{AcceptedBy: a1.ID}, []core.Request{r3, r4}},
		{"resolved by a1", core.RequestQuery{AcceptedBy: a1.ID, Statuses: []core.RequestStatus{core.ReqResolved}}, []core.Request{r4}},
		{"limit", core.RequestQuery{Limit: 2}, []core.Request{r1, r2}},
		{"nothing", core.RequestQuery{Statuses: []core.RequestStatus{core.ReqAbandoned}}, nil},
	} {
		got, err := s.ListRequests(ctx, tc.q)
		ok(t, tc.name, err)
		equal(t, tc.name, ids(got), ids(tc.want))
	}
	all, err := s.ListRequests(ctx, core.RequestQuery{Statuses: open})
	ok(t, "list", err)
	if len(all) != 2 {
		t.Fatalf("open requests: %d, want 2", len(all))
	}
	equal(t, "offers filled in a list", sorted(all[0].OfferedTo), sorted([]string{a1.ID, a2.ID}))
	equal(t, "declines filled in a list", all[1].Declines, []core.Decline{d})
	equal(t, "offers of the second", all[1].OfferedTo, []string{a2.ID})
	if len(all[0].Declines) != 0 {
		t.Errorf("declines of a request nobody declined: %+v", all[0].Declines)
	}
	if all[0].Customer.ID != r1.CustomerID || all[0].Customer.Name != "Customer" {
		t.Errorf("customer not filled in a list: %+v", all[0].Customer)
	}
}
