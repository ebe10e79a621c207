package core_test

import (
	"errors"
	"testing"

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
	}{
		{"web", "wamid.9", core.DeliveryDelivered, core.DeliveryDelivered},
		{"web", "wamid.9", core.DeliveryRead, core.DeliveryRead},
		{"web", "wamid.9", core.DeliveryDelivered, core.DeliveryRead}, // late: no downgrade
		{"web", "wamid.9", core.DeliverySent, core.DeliveryRead},
		{"web", "wamid.9", core.DeliveryFailed, core.DeliveryRead}, // read messages did not fail
		{"wa", "wamid.9", core.DeliveryFailed, core.DeliveryRead},  // another channel's id
		{"web", "wamid.unknown", core.DeliveryRead, core.DeliveryRead},
	}
	for _, st := range steps {
		ok(t, e.svc.DeliveryStatus(e.ctx, st.channel, st.provider, st.to, ""))
		mustEqual(t, "after "+string(st.to)+" on "+st.channel+"/"+st.provider, e.msg(m.ID).Delivery, st.want)
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

func TestFailDelivery(t *testing.T) {
	e := newEnv(t)
	alice := e.online("Alice")
	conv := e.active("Ada", alice)
	e.sender.set("", errors.New("connection reset"))
	m, err := e.svc.SendAgentMessage(e.ctx, alice, conv.ID, "hello", "")
	ok(t, err)
	if err := e.svc.Deliver(e.ctx, m.ID); err == nil {
		t.Fatal("a transient error must be returned for a retry")
	}
	mustEqual(t, "still queued for a retry", e.msg(m.ID).Delivery, core.DeliveryQueued)
	ok(t, e.svc.FailDelivery(e.ctx, m.ID, "deliver: connection reset"))
	got := e.msg(m.ID)
	mustEqual(t, "failed after retries", got.Delivery, core.DeliveryFailed)
	mustEqual(t, "reason", got.Error, "deliver: connection reset")
	ok(t, e.svc.FailDelivery(e.ctx, m.ID, "again"))
	mustEqual(t, "a second failure changes nothing", e.msg(m.ID).Error, "deliver: connection reset")
	ok(t, e.svc.FailDelivery(e.ctx, core.NewID(), "unknown message"))
}

func TestStartCommandGreets(t *testing.T) {
	for _, text := range []string{"/start", "/start promo-42", "/start@ShopBot"} {
		e := newEnv(t)
		m, err := e.svc.Ingest(e.ctx, core.Inbound{ChannelID: "tg", ChannelUserID: "42", ProviderID: "u1", Text: text})
		ok(t, err)
		ok(t, e.svc.RunBot(e.ctx, m.ID))
		last := e.last(m.ConversationID)
		mustEqual(t, text+": reply", last.Text, core.DefaultGreeting)
		mustEqual(t, text+": author", last.Author, core.AuthorBot)
		mustEqual(t, text+": no miss counted", e.conv(m.ConversationID).BotMisses, 0)
	}
	e := newEnv(t)
	m, err := e.svc.Ingest(e.ctx, core.Inbound{ChannelID: "tg", ChannelUserID: "42", ProviderID: "u2", Text: "/starting soon?"})
	ok(t, err)
	ok(t, e.svc.RunBot(e.ctx, m.ID))
	mustEqual(t, "not a start command: a miss", e.conv(m.ConversationID).BotMisses, 1)
}
