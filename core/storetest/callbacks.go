package storetest

import (
	"maps"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

// testCallbacks covers what provider callbacks change: delivery states of
// our outbound messages (only forward, only ours) and the text of a
// customer's edited or deleted message, which search follows.
func testCallbacks(t *testing.T, f *fx) {
	s, ctx := f.s, f.ctx
	sam := f.agent(nil)
	cv := f.conversation(f.customer("wa", "Dana"), func(c *core.Conversation) {
		c.ChannelID, c.Status, c.AgentID = "wa", core.ConvActive, sam.ID
	})
	out := f.message(cv, core.AuthorAgent, "on its way", func(m *core.Message) {
		m.ChannelID, m.ProviderID, m.Delivery = "wa", "wamid.out", core.DeliverySent
	})
	in := f.message(cv, core.AuthorCustomer, "parcel lost", func(m *core.Message) { m.ChannelID, m.ProviderID = "wa", "wamid.in" })
	upTo := func(to core.Delivery) []core.Delivery { // the states below to
		all := []core.Delivery{core.DeliveryQueued, core.DeliverySent, core.DeliveryDelivered, core.DeliveryRead}
		for i, d := range all {
			if d == to {
				return all[:i]
			}
		}
		return nil
	}
	steps := []struct {
		name      string
		channel   string
		provider  string
		to        core.Delivery
		moved     bool
		want      core.Delivery
		wantError string
	}{
		{"delivered", "wa", "wamid.out", core.DeliveryDelivered, true, core.DeliveryDelivered, ""},
		{"read", "wa", "wamid.out", core.DeliveryRead, true, core.DeliveryRead, ""},
		{"late delivered does not downgrade", "wa", "wamid.out", core.DeliveryDelivered, false, core.DeliveryRead, ""},
		{"other channel", "web", "wamid.out", core.DeliveryRead, false, core.DeliveryRead, ""},
		{"unknown provider id", "wa", "wamid.nope", core.DeliveryRead, false, core.DeliveryRead, ""},
		{"customer messages have no delivery", "wa", "wamid.in", core.DeliveryDelivered, false, core.DeliveryRead, ""},
	}
	for _, st := range steps {
		moved, err := s.AdvanceDelivery(ctx, st.channel, st.provider, upTo(st.to), st.to, "")
		ok(t, st.name, err)
		if (len(moved) > 0) != st.moved {
			t.Errorf("%s: moved %+v, want moved = %v", st.name, moved, st.moved)
		}
		if st.moved && (len(moved) != 1 || moved[0].Message.ID != out.ID || moved[0].Message.Delivery != st.to || moved[0].AgentID != sam.ID) {
			t.Errorf("%s: moved %+v, want %s now %q, with agent %s", st.name, moved, out.ID, st.to, sam.ID)
		}
		got, err := s.MessageByID(ctx, out.ID)
		ok(t, st.name+": read", err)
		if got.Delivery != st.want {
			t.Errorf("%s: delivery %q, want %q", st.name, got.Delivery, st.want)
		}
	}
	if got, _ := s.MessageByID(ctx, in.ID); got.Delivery != "" {
		t.Errorf("customer message got a delivery state: %q", got.Delivery)
	}
	failing := f.message(cv, core.AuthorAgent, "hello again", func(m *core.Message) {
		m.ChannelID, m.ProviderID, m.Delivery = "wa", "wamid.fail", core.DeliverySent
	})
	moved, err := s.AdvanceDelivery(ctx, "wa", "wamid.fail", []core.Delivery{core.DeliveryQueued, core.DeliverySent}, core.DeliveryFailed, "131047: re-engagement message")
	ok(t, "failed", err)
	got, err := s.MessageByID(ctx, failing.ID)
	ok(t, "read failed", err)
	if len(moved) != 1 || got.Delivery != core.DeliveryFailed || got.Error != "131047: re-engagement message" ||
		moved[0].Message.Error != got.Error {
		t.Errorf("failure callback: moved %+v, %+v", moved, got)
	}

	ok(t, "edit", s.EditInbound(ctx, "wa", "wamid.in", "parcel found"))
	got, err = s.MessageByID(ctx, in.ID)
	ok(t, "read edited", err)
	if got.Text != "parcel found" {
		t.Errorf("edited text %q", got.Text)
	}
	search := func(q string) int {
		t.Helper()
		cs, _, err := s.SearchConversations(ctx, core.ConversationQuery{Text: q})
		ok(t, "search "+q, err)
		return len(cs)
	}
	if search("found") != 1 || search("lost") != 0 {
		t.Errorf("search does not follow the edit: found %d, lost %d", search("found"), search("lost"))
	}
	isErr(t, "edit of an outbound message", s.EditInbound(ctx, "wa", "wamid.out", "x"), core.ErrNotFound)
	isErr(t, "edit of an unknown message", s.EditInbound(ctx, "wa", "wamid.nope", "x"), core.ErrNotFound)
}

// testReadUpTo covers read watermarks: our sent or delivered messages to
// one channel user, in any of their conversations on the channel, sent at
// or before the watermark (created then, when no send time is recorded),
// move to read; nothing else does.
func testReadUpTo(t *testing.T, f *fx) {
	s, ctx := f.s, f.ctx
	sam := f.agent(nil)
	dana := f.customer("fb", "Dana")
	old := f.conversation(dana, func(c *core.Conversation) { c.Status = core.ConvResolved })
	cur := f.conversation(dana, func(c *core.Conversation) { c.Status, c.AgentID = core.ConvActive, sam.ID })
	other := f.conversation(f.customer("fb", "Eli"), nil)
	msg := func(cv core.Conversation, author core.Author, d core.Delivery, created time.Duration) core.Message {
		t.Helper()
		return f.message(cv, author, "m", func(m *core.Message) { m.Delivery, m.CreatedAt = d, at(created) })
	}
	oldSent := msg(old, core.AuthorAgent, core.DeliverySent, 0)              // no send time: created at t0
	delivered := msg(cur, core.AuthorBot, core.DeliveryQueued, time.Second)  // sent at 2 s, delivered
	late := msg(cur, core.AuthorAgent, core.DeliveryQueued, 2*time.Second)   // sent at 20 s: after the mark
	queued := msg(cur, core.AuthorAgent, core.DeliveryQueued, 3*time.Second) // never sent
	failed := msg(cur, core.AuthorAgent, core.DeliveryFailed, 4*time.Second) // failed stays failed
	theirs := msg(cur, core.AuthorCustomer, "", 5*time.Second)               // the customer's own
	eli := msg(other, core.AuthorBot, core.DeliverySent, time.Second)        // another customer
	ok(t, "sent", s.RecordSent(ctx, at(2*time.Second), []core.SentMessage{{ID: delivered.ID, ProviderID: "mid.1"}}))
	ok(t, "sent late", s.RecordSent(ctx, at(20*time.Second), []core.SentMessage{{ID: late.ID, ProviderID: "mid.2"}}))
	if _, err := s.AdvanceDelivery(ctx, "fb", "mid.1", []core.Delivery{core.DeliveryQueued, core.DeliverySent}, core.DeliveryDelivered, ""); err != nil {
		t.Fatal(err)
	}

	none, err := s.ReadUpTo(ctx, "fb", "nobody", at(time.Hour))
	ok(t, "unknown user", err)
	other2, err := s.ReadUpTo(ctx, "wa", dana.ChannelUserID, at(time.Hour))
	ok(t, "other channel", err)
	if len(none)+len(other2) != 0 {
		t.Errorf("unknown user or channel moved %+v %+v", none, other2)
	}
	moved, err := s.ReadUpTo(ctx, "fb", dana.ChannelUserID, at(10*time.Second))
	ok(t, "read up to 10 s", err)
	got := map[string]string{}
	for _, mv := range moved {
		if mv.Message.Delivery != core.DeliveryRead {
			t.Errorf("moved %s is %q, want read", mv.Message.ID, mv.Message.Delivery)
		}
		got[mv.Message.ID] = mv.AgentID
	}
	want := map[string]string{oldSent.ID: "", delivered.ID: sam.ID}
	if !maps.Equal(got, want) {
		t.Errorf("moved (message → agent) %v, want %v", got, want)
	}
	for id, d := range map[string]core.Delivery{oldSent.ID: core.DeliveryRead, delivered.ID: core.DeliveryRead,
		late.ID: core.DeliverySent, queued.ID: core.DeliveryQueued, failed.ID: core.DeliveryFailed, theirs.ID: "", eli.ID: core.DeliverySent} {
		m, err := s.MessageByID(ctx, id)
		ok(t, "read back", err)
		if m.Delivery != d {
			t.Errorf("message %s is %q, want %q", id, m.Delivery, d)
		}
	}
	again, err := s.ReadUpTo(ctx, "fb", dana.ChannelUserID, at(10*time.Second))
	ok(t, "the same mark again", err)
	if len(again) != 0 {
		t.Errorf("the same mark again moved %+v", again)
	}
	later, err := s.ReadUpTo(ctx, "fb", dana.ChannelUserID, at(20*time.Second))
	ok(t, "read up to 20 s", err)
	if len(later) != 1 || later[0].Message.ID != late.ID {
		t.Errorf("a later mark moved %+v, want only %s", later, late.ID)
	}
}
