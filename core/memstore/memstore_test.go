package memstore_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/core"
	"github.com/switchboard-chat/switchboard/core/memstore"
)

var (
	ctx = context.Background()
	t0  = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want %v", err, target)
	}
}

// seed stores a customer with one conversation.
func seed(t *testing.T, s *memstore.Store) core.Conversation {
	t.Helper()
	c := core.Customer{ID: "cu1", ChannelID: "web", ChannelUserID: "v1", Name: "Ada Lovelace", Visits: 1}
	must(t, s.CreateCustomer(ctx, c))
	conv := core.Conversation{ID: "c1", ChannelID: "web", CustomerID: c.ID, Status: core.ConvBot, CreatedAt: t0, LastMessageAt: t0}
	must(t, s.CreateConversation(ctx, conv))
	return conv
}

func TestAtomicRollsBack(t *testing.T) {
	s := memstore.New()
	conv := seed(t, s)
	boom := errors.New("boom")
	err := s.Atomic(ctx, func(tx core.Tx) error {
		must(t, tx.CreateAgent(ctx, core.Agent{ID: "a1", Email: "a@example.com", Name: "A", MaxChats: 2}))
		must(t, tx.InsertMessage(ctx, core.Message{ID: "m1", ConversationID: conv.ID, ChannelID: "web",
			Author: core.AuthorCustomer, Text: "hi", ProviderID: "p1", CreatedAt: t0.Add(time.Minute)}))
		conv.Status, conv.AgentID = core.ConvActive, "a1"
		must(t, tx.UpdateConversation(ctx, conv))
		if a, _ := tx.AgentByID(ctx, "a1"); a.ActiveChats != 1 {
			t.Errorf("inside the transaction: active chats = %d, want 1", a.ActiveChats)
		}
		return boom
	})
	wantErr(t, err, boom)
	_, err = s.AgentByID(ctx, "a1")
	wantErr(t, err, core.ErrNotFound)
	_, err = s.MessageByID(ctx, "m1")
	wantErr(t, err, core.ErrNotFound)
	got, err := s.ConversationByID(ctx, conv.ID)
	must(t, err)
	if got.Status != core.ConvBot || got.AgentID != "" || !got.LastMessageAt.Equal(t0) {
		t.Fatalf("conversation not rolled back: %+v", got)
	}
	// The unique keys were released too.
	must(t, s.CreateAgent(ctx, core.Agent{ID: "a2", Email: "A@example.com", Name: "A", MaxChats: 2}))
	must(t, s.InsertMessage(ctx, core.Message{ID: "m2", ConversationID: conv.ID, ChannelID: "web", Author: core.AuthorCustomer, ProviderID: "p1"}))
}

func TestAtomicPanicRollsBack(t *testing.T) {
	s := memstore.New()
	func() {
		defer func() {
			if recover() == nil {
				t.Error("panic swallowed")
			}
		}()
		_ = s.Atomic(ctx, func(tx core.Tx) error {
			must(t, tx.CreateToken(ctx, core.Token{Hash: "h"}))
			panic("boom")
		})
	}()
	_, err := s.TokenByHash(ctx, "h")
	wantErr(t, err, core.ErrNotFound)
	// The lock was released.
	must(t, s.CreateToken(ctx, core.Token{Hash: "h"}))
}

func TestTxAfterAtomicPanics(t *testing.T) {
	s := memstore.New()
	var leaked core.Tx
	must(t, s.Atomic(ctx, func(tx core.Tx) error { leaked = tx; return nil }))
	defer func() {
		if recover() == nil {
			t.Fatal("using a Tx after Atomic returned must panic")
		}
	}()
	_, _ = leaked.AgentByID(ctx, "x")
}

func TestDuplicatesAndNotFound(t *testing.T) {
	s := memstore.New()
	conv := seed(t, s)
	must(t, s.CreateAgent(ctx, core.Agent{ID: "a1", Email: "a@example.com"}))
	must(t, s.CreateAgent(ctx, core.Agent{ID: "a2", Email: "b@example.com"}))
	must(t, s.InsertMessage(ctx, core.Message{ID: "m1", ConversationID: conv.ID, ChannelID: "web", Author: core.AuthorCustomer, ProviderID: "p1"}))
	must(t, s.InsertMessage(ctx, core.Message{ID: "m2", ConversationID: conv.ID, ChannelID: "web", Author: core.AuthorAgent}))

	tests := []struct {
		name string
		err  error
		want error
	}{
		{"agent e-mail, other case", s.CreateAgent(ctx, core.Agent{ID: "a3", Email: "A@EXAMPLE.COM"}), core.ErrDuplicate},
		{"update to a taken e-mail", s.UpdateAgent(ctx, core.Agent{ID: "a2", Email: "a@example.com"}), core.ErrDuplicate},
		{"customer key", s.CreateCustomer(ctx, core.Customer{ID: "cu2", ChannelID: "web", ChannelUserID: "v1"}), core.ErrDuplicate},
		{"provider id", s.InsertMessage(ctx, core.Message{ID: "m3", ConversationID: conv.ID, ChannelID: "web", Author: core.AuthorCustomer, ProviderID: "p1"}), core.ErrDuplicate},
		{"outbound provider id is no key", s.InsertMessage(ctx, core.Message{ID: "m6", ConversationID: conv.ID, ChannelID: "web", Author: core.AuthorAgent, ProviderID: "p1"}), nil},
		{"empty provider ids do not clash", s.InsertMessage(ctx, core.Message{ID: "m4", ConversationID: conv.ID, ChannelID: "web"}), nil},
		{"provider id of a send is no key", s.UpdateDelivery(ctx, "m2", core.DeliverySent, "p1", ""), nil},
		{"update unknown agent", s.UpdateAgent(ctx, core.Agent{ID: "zz"}), core.ErrNotFound},
		{"message in unknown conversation", s.InsertMessage(ctx, core.Message{ID: "m5", ConversationID: "zz"}), core.ErrNotFound},
		{"request of unknown conversation", s.CreateRequest(ctx, core.Request{ID: "r1", ConversationID: "zz"}), core.ErrNotFound},
		{"offers of unknown request", s.SetOffers(ctx, "zz", nil, t0), core.ErrNotFound},
		{"delete unknown token", s.DeleteToken(ctx, "zz"), core.ErrNotFound},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, tt.want) || (tt.want == nil && tt.err != nil) {
			t.Errorf("%s: error = %v, want %v", tt.name, tt.err, tt.want)
		}
	}
	if a, err := s.AgentByEmail(ctx, "B@Example.com"); err != nil || a.ID != "a2" {
		t.Fatalf("AgentByEmail case-insensitive: %+v, %v", a, err)
	}
}

func TestCopies(t *testing.T) {
	s := memstore.New()
	conv := seed(t, s)
	roles := []string{"support"}
	must(t, s.CreateAgent(ctx, core.Agent{ID: "a1", Email: "a@example.com", Roles: roles}))
	roles[0] = "changed"
	a, _ := s.AgentByID(ctx, "a1")
	a.Roles[0] = "changed too"
	if a, _ := s.AgentByID(ctx, "a1"); a.Roles[0] != "support" {
		t.Fatalf("roles aliased: %v", a.Roles)
	}

	must(t, s.CreateRequest(ctx, core.Request{ID: "r1", ConversationID: conv.ID, CustomerID: "cu1", Status: core.ReqWaiting, CreatedAt: t0}))
	offers := []string{"a1", "a2", "a1"}
	must(t, s.SetOffers(ctx, "r1", offers, t0))
	offers[0] = "x"
	must(t, s.AddDecline(ctx, "r1", core.Decline{AgentID: "a3"}))
	r, _ := s.RequestByID(ctx, "r1")
	r.OfferedTo[0], r.Declines[0].AgentID = "y", "y"
	r, _ = s.RequestByID(ctx, "r1")
	if !slices.Equal(r.OfferedTo, []string{"a1", "a2"}) || r.Declines[0].AgentID != "a3" {
		t.Fatalf("request aliased: offers %v declines %+v", r.OfferedTo, r.Declines)
	}
	if r.Customer.Name != "Ada Lovelace" {
		t.Fatalf("request customer not filled: %+v", r.Customer)
	}
	list, _ := s.ListRequests(ctx, core.RequestQuery{OfferedTo: "a2"})
	if len(list) != 1 || list[0].Customer.Name != "Ada Lovelace" {
		t.Fatalf("ListRequests = %+v", list)
	}
}

func TestConversationsAndMessages(t *testing.T) {
	s := memstore.New()
	conv := seed(t, s)
	for i, text := range []string{"one", "two", "three"} {
		must(t, s.InsertMessage(ctx, core.Message{ID: "m" + text, ConversationID: conv.ID, ChannelID: "web",
			Author: core.AuthorCustomer, Text: text, CreatedAt: t0.Add(time.Duration(i+1) * time.Minute)}))
	}
	all, _ := s.ListMessages(ctx, conv.ID, "", 0)
	after, _ := s.ListMessages(ctx, conv.ID, "mone", 1)
	if len(all) != 3 || len(after) != 1 || after[0].Text != "two" {
		t.Fatalf("ListMessages: all %d, after one %+v", len(all), after)
	}
	got, _ := s.ConversationByID(ctx, conv.ID)
	if !got.LastMessageAt.Equal(t0.Add(3*time.Minute)) || got.Customer.Name != "Ada Lovelace" {
		t.Fatalf("conversation = %+v", got)
	}
	// A stale copy does not move last_message_at back.
	must(t, s.UpdateConversation(ctx, conv))
	if got, _ := s.ConversationByID(ctx, conv.ID); !got.LastMessageAt.Equal(t0.Add(3 * time.Minute)) {
		t.Fatalf("last_message_at moved back to %v", got.LastMessageAt)
	}

	conv.Status = core.ConvResolved
	must(t, s.UpdateConversation(ctx, conv))
	_, err := s.OpenConversation(ctx, "cu1", "web")
	wantErr(t, err, core.ErrNotFound)
	if c, err := s.LatestConversation(ctx, "cu1", "web"); err != nil || c.ID != conv.ID {
		t.Fatalf("LatestConversation = %+v, %v", c, err)
	}
	_, err = s.LatestConversation(ctx, "cu1", "wa")
	wantErr(t, err, core.ErrNotFound)
}

func TestPing(t *testing.T) {
	s := memstore.New()
	must(t, s.Ping(ctx))
	s.SetDown(true)
	wantErr(t, s.Ping(ctx), core.ErrUnavailable)
	wantErr(t, s.Atomic(ctx, func(core.Tx) error { return nil }), core.ErrUnavailable)
	s.SetDown(false)
	must(t, s.Ping(ctx))
}

func TestAcceptRequestIsConditional(t *testing.T) {
	s := memstore.New()
	conv := seed(t, s)
	must(t, s.CreateRequest(ctx, core.Request{ID: "r1", ConversationID: conv.ID, CustomerID: "cu1", Status: core.ReqDeclined, CreatedAt: t0}))
	won, err := s.AcceptRequest(ctx, "r1", "a1", t0.Add(time.Minute))
	if err != nil || !won {
		t.Fatalf("first accept = %v, %v; want a win", won, err)
	}
	won, err = s.AcceptRequest(ctx, "r1", "a2", t0.Add(2*time.Minute))
	if err != nil || won {
		t.Fatalf("second accept = %v, %v; want a loss", won, err)
	}
	r, _ := s.RequestByID(ctx, "r1")
	if r.Status != core.ReqAccepted || r.AcceptedBy != "a1" || !r.AcceptedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("request = %+v", r)
	}
	_, err = s.AcceptRequest(ctx, "zz", "a1", t0)
	wantErr(t, err, core.ErrNotFound)
}

func TestDue(t *testing.T) {
	s := memstore.New()
	conv := seed(t, s)
	must(t, s.InsertMessage(ctx, core.Message{ID: "in", ConversationID: conv.ID, Author: core.AuthorCustomer, CreatedAt: t0}))
	must(t, s.InsertMessage(ctx, core.Message{ID: "out", ConversationID: conv.ID, Author: core.AuthorBot, Delivery: core.DeliveryQueued, CreatedAt: t0}))
	must(t, s.CreateRequest(ctx, core.Request{ID: "r1", ConversationID: conv.ID, Status: core.ReqWaiting, CreatedAt: t0, UpdatedAt: t0}))
	d, err := s.Due(ctx, t0, 0)
	must(t, err)
	if len(d.Unprocessed)+len(d.Undelivered)+len(d.OpenRequests) != 0 {
		t.Fatalf("fresh work is due: %+v", d)
	}
	d, _ = s.Due(ctx, t0.Add(time.Second), 0)
	if !slices.Equal(d.Unprocessed, []string{"in"}) || !slices.Equal(d.Undelivered, []string{"out"}) || !slices.Equal(d.OpenRequests, []string{"r1"}) {
		t.Fatalf("due = %+v", d)
	}
	if claimed, err := s.ClaimUnprocessed(ctx, []string{"in"}, t0); err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %v, %v", claimed, err)
	}
	must(t, s.UpdateDelivery(ctx, "out", core.DeliverySent, "p1", ""))
	must(t, s.SetOffers(ctx, "r1", []string{"a1"}, t0.Add(time.Second)))
	d, _ = s.Due(ctx, t0.Add(time.Second), 0)
	if len(d.Unprocessed)+len(d.Undelivered)+len(d.OpenRequests) != 0 {
		t.Fatalf("done work is due: %+v", d)
	}
}
