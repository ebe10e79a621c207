package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

// below lists the delivery states a callback to `to` may move from (the
// rules of core.Service.DeliveryStatus).
func below(to core.Delivery) []core.Delivery {
	if to == core.DeliveryFailed {
		return []core.Delivery{core.DeliveryQueued, core.DeliverySent}
	}
	all := []core.Delivery{core.DeliveryQueued, core.DeliverySent, core.DeliveryDelivered, core.DeliveryRead}
	for i, d := range all {
		if d == to {
			return all[:i]
		}
	}
	return nil
}

// takeEarly takes the early status of one provider id.
func takeEarly(ctx context.Context, s core.MessageStore, channelID, providerID string) (core.EarlyDelivery, bool, error) {
	got, err := s.TakeEarlyDeliveries(ctx, []core.ChannelKey{{ChannelID: channelID, ID: providerID}})
	if err != nil || len(got) == 0 {
		return core.EarlyDelivery{}, false, err
	}
	if len(got) > 1 {
		return core.EarlyDelivery{}, false, fmt.Errorf("one key took %d statuses: %+v", len(got), got)
	}
	return got[0], true, nil
}

// testEarlyDeliveries covers the status callbacks kept for a provider id
// none of our messages carries yet: they only move forward, are not kept
// for a message that has the id, are taken once, roll back with their
// transaction and are purged by age.
func testEarlyDeliveries(t *testing.T, f *fx) {
	s, ctx := f.s, f.ctx
	cv := f.conversation(f.customer("wa", "Dana"), func(c *core.Conversation) { c.ChannelID = "wa" })
	f.message(cv, core.AuthorAgent, "recorded", func(m *core.Message) {
		m.ChannelID, m.ProviderID, m.Delivery = "wa", "wamid.known", core.DeliverySent
	})
	f.message(cv, core.AuthorCustomer, "inbound", func(m *core.Message) { m.ChannelID, m.ProviderID = "wa", "wamid.in" })

	steps := []struct {
		name     string
		provider string
		to       core.Delivery
		errText  string
		want     core.Delivery // what Take returns for the provider id afterwards ("" none)
		wantErr  string
	}{
		{"first callback is kept", "wamid.a", core.DeliveryDelivered, "", core.DeliveryDelivered, ""},
		{"read moves it forward", "wamid.a", core.DeliveryRead, "", core.DeliveryRead, ""},
		{"late delivered does not downgrade", "wamid.a", core.DeliveryDelivered, "", core.DeliveryRead, ""},
		{"failed after read is ignored", "wamid.a", core.DeliveryFailed, "131047", core.DeliveryRead, ""},
		{"failed is kept with its reason", "wamid.b", core.DeliveryFailed, "131047: re-engagement", core.DeliveryFailed, "131047: re-engagement"},
		{"nothing moves a failure", "wamid.b", core.DeliveryRead, "", core.DeliveryFailed, "131047: re-engagement"},
		{"a recorded outbound id is not kept", "wamid.known", core.DeliveryRead, "", "", ""},
		{"a customer message's id does not count", "wamid.in", core.DeliveryDelivered, "", core.DeliveryDelivered, ""},
	}
	for i, st := range steps {
		e := core.EarlyDelivery{ChannelID: "wa", ProviderID: st.provider, Delivery: st.to, Error: st.errText,
			At: at(time.Duration(i) * time.Second)}
		ok(t, st.name, s.KeepEarlyDelivery(ctx, e, below(st.to)))
		// Read by taking, then put back what was there.
		got, found, err := takeEarly(ctx, s, "wa", st.provider)
		ok(t, st.name+": take", err)
		if found != (st.want != "") || got.Delivery != st.want || (found && got.Error != st.wantErr) {
			t.Errorf("%s: took %+v (found %v), want %q %q", st.name, got, found, st.want, st.wantErr)
		}
		if found {
			if got.ChannelID != "wa" || got.ProviderID != st.provider || got.At.IsZero() {
				t.Errorf("%s: took %+v", st.name, got)
			}
			ok(t, st.name+": put back", s.KeepEarlyDelivery(ctx, got, nil))
		}
	}
	if _, found, err := takeEarly(ctx, s, "web", "wamid.a"); err != nil || found {
		t.Errorf("other channel: found %v, err %v", found, err)
	}
	got, found, err := takeEarly(ctx, s, "wa", "wamid.a")
	ok(t, "take", err)
	if !found || got.Delivery != core.DeliveryRead || !got.At.Equal(at(time.Second)) {
		t.Errorf("take: %+v (found %v), want read kept at %v (the step that moved it)", got, found, at(time.Second))
	}
	if _, found, err := takeEarly(ctx, s, "wa", "wamid.a"); err != nil || found {
		t.Errorf("second take: found %v, err %v", found, err)
	}

	// Several at once: only the kept ones come back, each once.
	for i, p := range []string{"wamid.m1", "wamid.m2"} {
		ok(t, "keep "+p, s.KeepEarlyDelivery(ctx, core.EarlyDelivery{ChannelID: "wa", ProviderID: p,
			Delivery: core.DeliveryDelivered, At: at(time.Duration(i) * time.Second)}, below(core.DeliveryDelivered)))
	}
	many, err := s.TakeEarlyDeliveries(ctx, []core.ChannelKey{{ChannelID: "wa", ID: "wamid.m2"},
		{ChannelID: "web", ID: "wamid.m1"}, {ChannelID: "wa", ID: "wamid.none"}, {ChannelID: "wa", ID: "wamid.m1"}})
	ok(t, "take several", err)
	var took []string
	for _, e := range many {
		if e.Delivery != core.DeliveryDelivered || e.ChannelID != "wa" {
			t.Errorf("take several: %+v", e)
		}
		took = append(took, e.ProviderID)
	}
	if slices.Sort(took); !slices.Equal(took, []string{"wamid.m1", "wamid.m2"}) {
		t.Errorf("take several took %v, want wamid.m1 and wamid.m2", took)
	}
	if again, err := s.TakeEarlyDeliveries(ctx, []core.ChannelKey{{ChannelID: "wa", ID: "wamid.m1"}}); err != nil || len(again) != 0 {
		t.Errorf("taken twice: %+v, %v", again, err)
	}
	if none, err := s.TakeEarlyDeliveries(ctx, nil); err != nil || len(none) != 0 {
		t.Errorf("no keys: %+v, %v", none, err)
	}

	boom := errors.New("boom")
	err = s.Atomic(ctx, func(tx core.Tx) error {
		if err := tx.KeepEarlyDelivery(ctx, core.EarlyDelivery{ChannelID: "wa", ProviderID: "wamid.rolled",
			Delivery: core.DeliveryRead, At: t0}, below(core.DeliveryRead)); err != nil {
			return err
		}
		if _, found, err := takeEarly(ctx, tx, "wa", "wamid.b"); err != nil || !found {
			t.Errorf("take in a transaction: found %v, err %v", found, err)
		}
		return boom
	})
	isErr(t, "rolled back", err, boom)
	if _, found, _ := takeEarly(ctx, s, "wa", "wamid.rolled"); found {
		t.Errorf("a rolled back keep stayed")
	}

	// wamid.b was kept at 4 s, wamid.in at 7 s: purge before 5 s takes one.
	n, err := s.PurgeEarlyDeliveries(ctx, at(5*time.Second))
	ok(t, "purge", err)
	if n != 1 {
		t.Errorf("purged %d, want 1", n)
	}
	if _, found, _ := takeEarly(ctx, s, "wa", "wamid.b"); found {
		t.Errorf("purge left the old status")
	}
	if _, found, _ := takeEarly(ctx, s, "wa", "wamid.in"); !found {
		t.Errorf("purge removed a recent status")
	}
}

// earlySender answers a send only after the provider's status callbacks
// for it went through the Service, as a fast provider's may.
type earlySender struct {
	svc      func() *core.Service
	statuses []core.Delivery
	errText  string
	t        *testing.T
}

func (e *earlySender) Send(ctx context.Context, m core.Outbound) (string, error) {
	pid := "wamid." + m.MessageID
	for _, st := range e.statuses {
		if err := e.svc().DeliveryStatus(ctx, m.Channel.ID, pid, st, e.errText); err != nil {
			e.t.Errorf("status %s before the send was recorded: %v", st, err)
		}
	}
	return pid, nil
}

// testEarlyDeliveryService drives Deliver with callbacks that beat the
// record of the send: the message ends in the most advanced state they
// reported, and statuses nobody claims are purged by the sweep.
func testEarlyDeliveryService(t *testing.T, f *fx) {
	ctx := f.ctx
	clock := time.Now().UTC()
	svc, _ := f.service(func() time.Time { return clock })
	cases := []struct {
		name     string
		statuses []core.Delivery
		errText  string
		want     core.Delivery
		wantErr  string
	}{
		{"delivered and read", []core.Delivery{core.DeliveryDelivered, core.DeliveryRead}, "", core.DeliveryRead, ""},
		{"read before delivered", []core.Delivery{core.DeliveryRead, core.DeliveryDelivered}, "", core.DeliveryRead, ""},
		{"sent only", []core.Delivery{core.DeliverySent}, "", core.DeliverySent, ""},
		{"failed", []core.Delivery{core.DeliveryFailed}, "131047: re-engagement", core.DeliveryFailed, "131047: re-engagement"},
	}
	for _, tc := range cases {
		ch := "wa-" + tc.name
		svc.RegisterSender(ch, &earlySender{svc: func() *core.Service { return svc }, statuses: tc.statuses, errText: tc.errText, t: t})
		cv := f.conversation(f.customer(ch, "Dana"), nil)
		m := f.message(cv, core.AuthorAgent, "hello", func(m *core.Message) { m.Delivery = core.DeliveryQueued })
		ok(t, tc.name+": deliver", svc.Deliver(ctx, m.ID))
		got, err := f.s.MessageByID(ctx, m.ID)
		ok(t, tc.name+": read", err)
		if got.Delivery != tc.want || got.Error != tc.wantErr || got.ProviderID != "wamid."+m.ID {
			t.Errorf("%s: delivery %q error %q provider %q, want %q %q", tc.name, got.Delivery, got.Error, got.ProviderID, tc.want, tc.wantErr)
		}
		if _, found, err := takeEarly(ctx, f.s, ch, "wamid."+m.ID); err != nil || found {
			t.Errorf("%s: the early status was not claimed (found %v, err %v)", tc.name, found, err)
		}
	}

	// A callback for an id none of our messages will carry waits, and the
	// sweep purges it once it is older than EarlyDeliveryTTL.
	ok(t, "foreign status", svc.DeliveryStatus(ctx, "wa", "wamid.foreign", core.DeliveryRead, ""))
	_, err := svc.Sweep(ctx)
	ok(t, "sweep", err)
	got, found, err := takeEarly(ctx, f.s, "wa", "wamid.foreign")
	ok(t, "take foreign", err)
	if !found {
		t.Fatalf("a fresh early status was purged or never kept")
	}
	ok(t, "keep again", f.s.KeepEarlyDelivery(ctx, got, nil))
	clock = clock.Add(core.EarlyDeliveryTTL + time.Minute)
	_, err = svc.Sweep(ctx)
	ok(t, "sweep after the TTL", err)
	if _, found, err := takeEarly(ctx, f.s, "wa", "wamid.foreign"); err != nil || found {
		t.Errorf("early status older than the TTL: found %v, err %v", found, err)
	}
}
