package storetest

import (
	"testing"

	"github.com/switchboard-chat/switchboard/core"
)

// testCallbacks covers what provider callbacks change: delivery states of
// our outbound messages (only forward, only ours) and the text of a
// customer's edited or deleted message, which search follows.
func testCallbacks(t *testing.T, f *fx) {
	s, ctx := f.s, f.ctx
	cv := f.conversation(f.customer("wa", "Dana"), func(c *core.Conversation) { c.ChannelID = "wa" })
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
		if moved != st.moved {
			t.Errorf("%s: moved = %v, want %v", st.name, moved, st.moved)
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
	if !moved || got.Delivery != core.DeliveryFailed || got.Error != "131047: re-engagement message" {
		t.Errorf("failure callback: moved %v, %+v", moved, got)
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
