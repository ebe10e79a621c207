package core_test

import (
	"slices"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

func TestDeliveryStatus(t *testing.T) {
	e := newEnv(t)
	alice := e.online("Alice")
	conv := e.active("Ada", alice)
	e.sender.set("wamid.9", nil)
	m, err := e.svc.SendAgentMessage(e.ctx, alice, conv.ID, "It ships today.", "")
	ok(t, err)
	ok(t, e.svc.Deliver(e.ctx, m.ID))
	mustEqual(t, "after send", e.msg(m.ID).Delivery, core.DeliverySent)

	steps := []struct {
		channel, provider string
		to                core.Delivery
		want              core.Delivery
		told              bool // Alice hears message.updated
	}{
		{"web", "wamid.9", core.DeliveryDelivered, core.DeliveryDelivered, true},
		{"web", "wamid.9", core.DeliveryRead, core.DeliveryRead, true},
		{"web", "wamid.9", core.DeliveryDelivered, core.DeliveryRead, false}, // late: no downgrade
		{"web", "wamid.9", core.DeliverySent, core.DeliveryRead, false},
		{"web", "wamid.9", core.DeliveryFailed, core.DeliveryRead, false}, // read messages did not fail
		{"wa", "wamid.9", core.DeliveryFailed, core.DeliveryRead, false},  // another channel's id
		{"web", "wamid.unknown", core.DeliveryRead, core.DeliveryRead, false},
	}
	e.events.reset()
	for _, st := range steps {
		what := "after " + string(st.to) + " on " + st.channel + "/" + st.provider
		ok(t, e.svc.DeliveryStatus(e.ctx, st.channel, st.provider, st.to, ""))
		mustEqual(t, what, e.msg(m.ID).Delivery, st.want)
		told := e.events.last(core.AgentStream(alice.ID), core.EventMessageUpdated)
		if upd, _ := told.(core.Message); st.told != (told != nil) || (st.told && (upd.ID != m.ID || upd.Delivery != st.want)) {
			t.Errorf("%s: Alice heard %+v, want told = %v", what, told, st.told)
		}
		e.events.reset()
	}
	wantErr(t, e.svc.DeliveryStatus(e.ctx, "web", "wamid.9", "played", ""), core.ErrInvalid)
	wantErr(t, e.svc.DeliveryStatus(e.ctx, "web", "", core.DeliveryRead, ""), core.ErrInvalid)

	e.sender.set("wamid.10", nil)
	m2, err := e.svc.SendAgentMessage(e.ctx, alice, conv.ID, "Are you there?", "")
	ok(t, err)
	ok(t, e.svc.Deliver(e.ctx, m2.ID))
	ok(t, e.svc.DeliveryStatus(e.ctx, "web", "wamid.10", core.DeliveryFailed, "131047: outside the 24 h window"))
	got := e.msg(m2.ID)
	mustEqual(t, "failed", got.Delivery, core.DeliveryFailed)
	mustEqual(t, "failure reason", got.Error, "131047: outside the 24 h window")
	if upd, _ := e.events.last(core.AgentStream(alice.ID), core.EventMessageUpdated).(core.Message); upd.ID != m2.ID || upd.Error != got.Error {
		t.Errorf("Alice was not told of the failure with its reason: %+v", upd)
	}
}

// TestReadUpTo: a read watermark marks read what was sent to the customer
// up to it, by the send times the store recorded, and tells the agent.
func TestReadUpTo(t *testing.T) {
	e := newEnv(t)
	alice := e.online("Alice")
	conv := e.active("Ada", alice)
	send := func(pid, text string) core.Message {
		t.Helper()
		e.sender.set(pid, nil)
		m, err := e.svc.SendAgentMessage(e.ctx, alice, conv.ID, text, "")
		ok(t, err)
		ok(t, e.svc.Deliver(e.ctx, m.ID))
		return m
	}
	first := send("mid.1", "It ships today.")
	e.clock.Advance(time.Second)
	second := send("mid.2", "Anything else?")
	mark := e.clock.Now()
	e.clock.Advance(time.Minute)
	third := send("mid.3", "Bye!")
	mustEqual(t, "send time recorded", e.msg(second.ID).SentAt, mark)
	before, err := e.store.ListMessages(e.ctx, conv.ID, "", 0)
	ok(t, err)
	e.events.reset()

	ok(t, e.svc.ReadUpTo(e.ctx, "web", conv.Customer.ChannelUserID, mark))
	for id, want := range map[string]core.Delivery{first.ID: core.DeliveryRead, second.ID: core.DeliveryRead, third.ID: core.DeliverySent} {
		mustEqual(t, "delivery of "+id, e.msg(id).Delivery, want)
	}
	var moved []string // every message read now and not before (the system's "joined" too)
	for _, m := range before {
		if m.Delivery != core.DeliveryRead && e.msg(m.ID).Delivery == core.DeliveryRead {
			moved = append(moved, m.ID)
		}
	}
	heard := e.events.take(core.AgentStream(alice.ID))
	if len(heard) != len(moved) || len(moved) < 2 || slices.ContainsFunc(heard, func(typ string) bool { return typ != core.EventMessageUpdated }) {
		t.Errorf("Alice heard %v for %d messages read, want a message.updated each", heard, len(moved))
	}
	ok(t, e.svc.ReadUpTo(e.ctx, "web", conv.Customer.ChannelUserID, mark)) // again: nothing moves
	if got := e.events.take(core.AgentStream(alice.ID)); len(got) != 0 {
		t.Errorf("the same watermark again told Alice %v", got)
	}
	ok(t, e.svc.ReadUpTo(e.ctx, "web", "somebody-else", e.clock.Now()))
	mustEqual(t, "another customer's watermark", e.msg(third.ID).Delivery, core.DeliverySent)
	wantErr(t, e.svc.ReadUpTo(e.ctx, "web", "", mark), core.ErrInvalid)
	wantErr(t, e.svc.ReadUpTo(e.ctx, "web", conv.Customer.ChannelUserID, time.Time{}), core.ErrInvalid)
}

func TestEditAndRevokeInbound(t *testing.T) {
	e := newEnv(t)
	m, err := e.svc.Ingest(e.ctx, core.Inbound{ChannelID: "wa", ChannelUserID: "4915", Name: "Ada", ProviderID: "wamid.in", Text: "my parcel is lost"})
	ok(t, err)
	ok(t, e.svc.EditInbound(e.ctx, "wa", "wamid.in", "  my parcel is late  "))
	mustEqual(t, "edited", e.msg(m.ID).Text, "my parcel is late")
	wantField(t, e.svc.EditInbound(e.ctx, "wa", "wamid.in", " "), "text")
	ok(t, e.svc.EditInbound(e.ctx, "wa", "wamid.never-seen", "x"))
	ok(t, e.svc.RevokeInbound(e.ctx, "wa", "wamid.in"))
	mustEqual(t, "revoked", e.msg(m.ID).Text, core.RevokedText)
	ok(t, e.svc.RevokeInbound(e.ctx, "wa", "wamid.never-seen"))

	c, known, err := e.svc.KnownCustomer(e.ctx, "wa", "4915")
	ok(t, err)
	if !known || c.Name != "Ada" {
		t.Fatalf("known customer: %v %+v", known, c)
	}
	if _, known, err := e.svc.KnownCustomer(e.ctx, "wa", "nobody"); err != nil || known {
		t.Fatalf("unknown customer: %v %v", known, err)
	}
}
