package core_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/core"
)

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

func TestDeliver(t *testing.T) {
	e := newEnv(t)
	alice := e.online("Alice")
	conv := e.active("Ada", alice)
	send := func(t *testing.T, text string) core.Message {
		t.Helper()
		m, err := e.svc.SendAgentMessage(e.ctx, alice, conv.ID, text, "")
		ok(t, err)
		return m
	}

	t.Run("sent", func(t *testing.T) {
		m := send(t, "hello")
		e.sender.set("wamid.out.1", nil)
		ok(t, e.svc.Deliver(e.ctx, m.ID))
		got := e.msg(m.ID)
		mustEqual(t, "delivery", got.Delivery, core.DeliverySent)
		mustEqual(t, "provider id", got.ProviderID, "wamid.out.1")
		sent := e.sender.Sent()
		last := sent[len(sent)-1]
		if last.MessageID != m.ID || last.Text != "hello" || last.Author != core.AuthorAgent ||
			last.Channel.Type != core.ChannelWidget || last.Customer.ID != conv.CustomerID {
			t.Fatalf("outbound = %+v", last)
		}
		// Already sent: a duplicate task is a no-op.
		ok(t, e.svc.Deliver(e.ctx, m.ID))
		mustEqual(t, "sends", len(e.sender.Sent()), len(sent))
	})
	t.Run("permanent failure", func(t *testing.T) {
		m := send(t, "are you there?")
		e.sender.set("", &core.DeliveryError{Permanent: true, Code: "131047", Reason: "outside the 24 h window"})
		ok(t, e.svc.Deliver(e.ctx, m.ID))
		got := e.msg(m.ID)
		mustEqual(t, "delivery", got.Delivery, core.DeliveryFailed)
		mustEqual(t, "error", got.Error, "131047: outside the 24 h window")
		n := len(e.sender.Sent())
		ok(t, e.svc.Deliver(e.ctx, m.ID))
		mustEqual(t, "sends after failure", len(e.sender.Sent()), n)
	})
	t.Run("transient failure", func(t *testing.T) {
		m := send(t, "retry me")
		boom := errors.New("connection reset")
		e.sender.set("", boom)
		wantErr(t, e.svc.Deliver(e.ctx, m.ID), boom)
		mustEqual(t, "delivery", e.msg(m.ID).Delivery, core.DeliveryQueued)
		e.sender.set("", &core.DeliveryError{Code: "130429", Reason: "rate limited"})
		if err := e.svc.Deliver(e.ctx, m.ID); err == nil {
			t.Fatal("a non-permanent DeliveryError must be returned for retry")
		}
		mustEqual(t, "delivery", e.msg(m.ID).Delivery, core.DeliveryQueued)
		e.sender.set("wamid.out.2", nil)
		ok(t, e.svc.Deliver(e.ctx, m.ID))
		mustEqual(t, "delivery after retry", e.msg(m.ID).Delivery, core.DeliverySent)
	})
	t.Run("no sender", func(t *testing.T) {
		m, err := e.svc.Ingest(e.ctx, core.Inbound{ChannelID: "tg", ChannelUserID: "77", Text: "hi"})
		ok(t, err)
		ok(t, e.svc.RunBot(e.ctx, m.ID))
		reply := e.last(m.ConversationID)
		ok(t, e.svc.Deliver(e.ctx, reply.ID))
		got := e.msg(reply.ID)
		mustEqual(t, "delivery", got.Delivery, core.DeliveryFailed)
		if !strings.Contains(got.Error, "tg") {
			t.Fatalf("error = %q, want it to name the channel", got.Error)
		}
	})
	t.Run("unknown message", func(t *testing.T) { ok(t, e.svc.Deliver(e.ctx, "nope")) })
}
