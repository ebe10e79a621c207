package storetest

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

func testMessages(t *testing.T, f *fx) {
	ctx, s := f.ctx, f.s
	a := f.agent(nil)
	cu := f.customer("web", "Dana")
	cv := f.conversation(cu, func(c *core.Conversation) { c.LastMessageAt = time.Time{} })

	greeting := f.message(cv, core.AuthorBot, "Hi! How can we help?", func(m *core.Message) {
		m.Delivery, m.CreatedAt = core.DeliverySent, at(time.Second)
	})
	m1 := core.Message{ID: core.NewID(), ConversationID: cv.ID, ChannelID: "web", Author: core.AuthorCustomer,
		Text: "where is my order?", CreatedAt: at(2 * time.Second), ProviderID: "wamid.1"}
	ok(t, "insert customer message", s.InsertMessage(ctx, m1))
	got, err := s.MessageByID(ctx, m1.ID)
	ok(t, "message by id", err)
	equal(t, "customer message", got, m1)

	reply := core.Message{ID: core.NewID(), ConversationID: cv.ID, ChannelID: "web", Author: core.AuthorAgent,
		AgentID: a.ID, Text: "Let me check.", CreatedAt: at(3 * time.Second), Delivery: core.DeliveryQueued,
		Error: "", ProcessedAt: at(4 * time.Second)}
	ok(t, "insert agent message", s.InsertMessage(ctx, reply))
	got, err = s.MessageByID(ctx, reply.ID)
	ok(t, "agent message by id", err)
	equal(t, "agent message", got, reply)

	conv, err := s.ConversationByID(ctx, cv.ID)
	ok(t, "read conversation", err)
	withMsg, withConv, err := s.MessageWithConversation(ctx, reply.ID)
	ok(t, "message with its conversation", err)
	equal(t, "message read with its conversation", withMsg, reply)
	equal(t, "conversation read with its message", withConv, conv)
	if withConv.Customer.Name != "Dana" {
		t.Errorf("conversation read with its message has customer %+v", withConv.Customer)
	}
	_, _, err = s.MessageWithConversation(ctx, core.NewID())
	isErr(t, "unknown message with its conversation", err, core.ErrNotFound)
	if !conv.LastMessageAt.Equal(reply.CreatedAt) {
		t.Errorf("last_message_at %v, want %v", conv.LastMessageAt, reply.CreatedAt)
	}

	// The provider id is unique per channel.
	dup := m1
	dup.ID = core.NewID()
	isErr(t, "redelivered provider message", s.InsertMessage(ctx, dup), core.ErrDuplicate)
	if _, err := s.MessageByID(ctx, dup.ID); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("duplicate was stored: %v", err)
	}
	wa := f.conversation(f.customer("wa", "Dana"), nil)
	same := m1
	same.ID, same.ConversationID, same.ChannelID = core.NewID(), wa.ID, "wa"
	ok(t, "same provider id on another channel", s.InsertMessage(ctx, same))
	// Outbound provider ids are recorded, but are no key.
	out := f.message(cv, core.AuthorBot, "echo", func(m *core.Message) { m.ProviderID, m.CreatedAt = "wamid.1", at(-time.Hour) })
	got, err = s.MessageByID(ctx, out.ID)
	ok(t, "read outbound message", err)
	equal(t, "outbound message with a provider id", got, out)
	late := f.message(cv, core.AuthorCustomer, "hello?", func(m *core.Message) { m.CreatedAt = at(time.Second) })
	f.message(cv, core.AuthorSystem, "note", nil) // no provider id twice: fine

	conv, err = s.ConversationByID(ctx, cv.ID)
	ok(t, "read conversation", err)
	if !conv.LastMessageAt.Equal(reply.CreatedAt) {
		t.Errorf("an older message moved last_message_at back to %v", conv.LastMessageAt)
	}

	all, err := s.ListMessages(ctx, cv.ID, "", 0)
	ok(t, "list messages", err)
	if len(all) != 6 {
		t.Fatalf("messages: %d, want 6", len(all))
	}
	equal(t, "messages by id", ids(all[:5]), ids([]core.Message{greeting, m1, reply, out, late}))
	after, err := s.ListMessages(ctx, cv.ID, m1.ID, 0)
	ok(t, "list after", err)
	equal(t, "messages after m1", ids(after), ids(all[2:]))
	page, err := s.ListMessages(ctx, cv.ID, greeting.ID, 2)
	ok(t, "list after with limit", err)
	equal(t, "two messages after the greeting", ids(page), ids(all[1:3]))
	first, err := s.ListMessages(ctx, cv.ID, "", 1)
	ok(t, "list with limit", err)
	equal(t, "first message", ids(first), ids(all[:1]))
	none, err := s.ListMessages(ctx, core.NewID(), "", 0)
	ok(t, "list of unknown conversation", err)
	if len(none) != 0 {
		t.Errorf("messages of an unknown conversation: %v", none)
	}

	fc, err := s.FirstCustomerMessage(ctx, cv.ID)
	ok(t, "first customer message", err)
	equal(t, "first customer message", fc, m1)
	quiet := f.conversation(cu, nil)
	f.message(quiet, core.AuthorBot, "hi", nil)
	_, err = s.FirstCustomerMessage(ctx, quiet.ID)
	isErr(t, "first customer message of a conversation without one", err, core.ErrNotFound)

	ok(t, "sent", s.UpdateDelivery(ctx, reply.ID, core.DeliverySent, "prov-77", ""))
	ok(t, "another message with the same provider id", s.UpdateDelivery(ctx, out.ID, core.DeliverySent, "prov-77", ""))
	got, err = s.MessageByID(ctx, reply.ID)
	ok(t, "read", err)
	if got.Delivery != core.DeliverySent || got.ProviderID != "prov-77" || got.Error != "" {
		t.Errorf("after send: %+v", got)
	}
	ok(t, "failed", s.UpdateDelivery(ctx, reply.ID, core.DeliveryFailed, "", "131047: outside the 24 h window"))
	got, err = s.MessageByID(ctx, reply.ID)
	ok(t, "read", err)
	if got.Delivery != core.DeliveryFailed || got.ProviderID != "prov-77" || got.Error != "131047: outside the 24 h window" {
		t.Errorf("after failure (provider id kept): %+v", got)
	}
	isErr(t, "update delivery of unknown message", s.UpdateDelivery(ctx, core.NewID(), core.DeliverySent, "x", ""), core.ErrNotFound)

	// RecordSent: several at once; an empty provider id keeps the stored
	// one, an error is cleared, unknown ids and other messages are left.
	b1 := f.message(cv, core.AuthorBot, "answer one", func(m *core.Message) { m.Delivery = core.DeliveryQueued })
	b2 := f.message(cv, core.AuthorBot, "answer two", func(m *core.Message) { m.Delivery = core.DeliveryQueued })
	ok(t, "record sent", s.RecordSent(ctx, at(time.Second), []core.SentMessage{{ID: b1.ID, ProviderID: "prov-b1"}, {ID: reply.ID},
		{ID: core.NewID(), ProviderID: "prov-x"}}))
	ok(t, "record nothing", s.RecordSent(ctx, at(time.Second), nil))
	for _, want := range []struct {
		id, provider, errText string
		delivery              core.Delivery
		sentAt                time.Time
	}{
		{b1.ID, "prov-b1", "", core.DeliverySent, at(time.Second)},
		{reply.ID, "prov-77", "", core.DeliverySent, at(time.Second)},
		{b2.ID, "", "", core.DeliveryQueued, time.Time{}},
	} {
		got, err := s.MessageByID(ctx, want.id)
		ok(t, "read after record sent", err)
		if got.Delivery != want.delivery || got.ProviderID != want.provider || got.Error != want.errText || !got.SentAt.Equal(want.sentAt) {
			t.Errorf("after record sent: %s is %q %q %q sent at %v, want %q %q %q at %v", want.id, got.Delivery, got.ProviderID, got.Error,
				got.SentAt, want.delivery, want.provider, want.errText, want.sentAt)
		}
	}

	claimed, err := s.ClaimUnprocessed(ctx, []string{reply.ID, m1.ID, core.NewID(), m1.ID}, at(time.Minute))
	ok(t, "claim", err)
	if len(claimed) != 1 || claimed[0].ID != m1.ID || !claimed[0].ProcessedAt.Equal(at(time.Minute)) {
		t.Errorf("claimed %+v, want only the customer message, processed at %v", claimed, at(time.Minute))
	}
	got, err = s.MessageByID(ctx, m1.ID)
	ok(t, "read", err)
	if !got.ProcessedAt.Equal(at(time.Minute)) {
		t.Errorf("processed at %v, want %v", got.ProcessedAt, at(time.Minute))
	}
	got, err = s.MessageByID(ctx, reply.ID)
	ok(t, "read", err)
	if !got.ProcessedAt.Equal(reply.ProcessedAt) {
		t.Errorf("an agent message was claimed for the bot: processed at %v", got.ProcessedAt)
	}
	claimed, err = s.ClaimUnprocessed(ctx, []string{m1.ID}, at(time.Hour))
	ok(t, "claim again", err)
	if len(claimed) != 0 {
		t.Errorf("a processed message was claimed again: %+v", claimed)
	}
	claimed, err = s.ClaimUnprocessed(ctx, nil, at(time.Hour))
	if err != nil || len(claimed) != 0 {
		t.Errorf("claim nothing: %+v, %v", claimed, err)
	}
	_, err = s.MessageByID(ctx, core.NewID())
	isErr(t, "unknown message", err, core.ErrNotFound)
}

// testDuplicateInTx: a duplicate provider id inside a transaction is
// ErrDuplicate and leaves the transaction usable (PostgreSQL aborts a
// transaction on a failed statement unless the conflict is absorbed).
func testDuplicateInTx(t *testing.T, f *fx) {
	ctx, s := f.ctx, f.s
	cv := f.conversation(f.customer("web", "Dana"), nil)
	m := f.message(cv, core.AuthorCustomer, "one", func(m *core.Message) { m.ProviderID = "p-1" })
	next := core.Message{ID: core.NewID(), ConversationID: cv.ID, ChannelID: "web", Author: core.AuthorCustomer,
		Text: "two", CreatedAt: at(time.Second), ProviderID: "p-2"}
	err := s.Atomic(ctx, func(tx core.Tx) error {
		dup := m
		dup.ID = core.NewID()
		isErr(t, "duplicate in a transaction", tx.InsertMessage(ctx, dup), core.ErrDuplicate)
		return tx.InsertMessage(ctx, next)
	})
	ok(t, "transaction after a duplicate", err)
	if _, err := s.MessageByID(ctx, next.ID); err != nil {
		t.Errorf("message after the duplicate not committed: %v", err)
	}
}

func testDue(t *testing.T, f *fx) {
	ctx, s := f.ctx, f.s
	cu := f.customer("web", "Dana")
	cv := f.conversation(cu, nil)
	old, recent := at(-time.Minute), at(time.Second)
	msg := func(author core.Author, created time.Time, mod func(*core.Message)) core.Message {
		return f.message(cv, author, "x", func(m *core.Message) {
			m.CreatedAt = created
			if mod != nil {
				mod(m)
			}
		})
	}
	u1 := msg(core.AuthorCustomer, old, nil)
	u2 := msg(core.AuthorCustomer, at(-2*time.Minute), nil)
	msg(core.AuthorCustomer, old, func(m *core.Message) { m.ProcessedAt = at(-30 * time.Second) })
	msg(core.AuthorCustomer, recent, nil)
	q1 := msg(core.AuthorAgent, old, func(m *core.Message) { m.Delivery = core.DeliveryQueued })
	msg(core.AuthorSystem, old, func(m *core.Message) { m.Delivery = core.DeliverySent })
	msg(core.AuthorBot, recent, func(m *core.Message) { m.Delivery = core.DeliveryQueued })
	msg(core.AuthorBot, old, func(m *core.Message) { m.Delivery = core.DeliveryFailed })

	req := func(st core.RequestStatus, updated time.Time) core.Request {
		return f.request(f.conversation(cu, nil), func(r *core.Request) { r.Status, r.UpdatedAt = st, updated })
	}
	r1 := req(core.ReqWaiting, old)
	r2 := req(core.ReqDeclined, at(-2*time.Minute))
	req(core.ReqWaiting, recent)
	req(core.ReqAccepted, old)
	req(core.ReqResolved, old)

	due, err := s.Due(ctx, t0, 100)
	ok(t, "due", err)
	equal(t, "unprocessed", sorted(due.Unprocessed), sorted([]string{u1.ID, u2.ID}))
	equal(t, "undelivered", sorted(due.Undelivered), sorted([]string{q1.ID}))
	equal(t, "open requests", sorted(due.OpenRequests), sorted([]string{r1.ID, r2.ID}))

	due, err = s.Due(ctx, t0, 1)
	ok(t, "due with limit", err)
	if len(due.Unprocessed) != 1 || len(due.Undelivered) != 1 || len(due.OpenRequests) != 1 {
		t.Errorf("due with limit 1: %+v", due)
	}
	due, err = s.Due(ctx, at(-time.Hour), 100)
	ok(t, "due long ago", err)
	if len(due.Unprocessed)+len(due.Undelivered)+len(due.OpenRequests) != 0 {
		t.Errorf("due before anything happened: %+v", due)
	}
}

// testClaimRace: transactions that claim one message at once each hold
// the claim until they end; exactly one of them gets it.
func testClaimRace(t *testing.T, f *fx) {
	const racers, rounds = 8, 20
	cv := f.conversation(f.customer("web", "Dana"), nil)
	for round := range rounds {
		m := f.message(cv, core.AuthorCustomer, fmt.Sprintf("message %d", round), nil)
		var won atomic.Int32
		errs := race(racers, func(int) error {
			return f.s.Atomic(f.ctx, func(tx core.Tx) error {
				got, err := tx.ClaimUnprocessed(f.ctx, []string{m.ID}, at(time.Minute))
				won.Add(int32(len(got)))
				return err
			})
		})
		for _, err := range errs {
			ok(t, "claim", err)
		}
		if n := won.Load(); n != 1 {
			t.Fatalf("round %d: %d transactions claimed the message, want 1", round, n)
		}
	}
}
