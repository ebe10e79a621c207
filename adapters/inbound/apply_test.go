package inbound_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/adapters/inbound"
	"github.com/switchboard-chat/switchboard/adapters/meta/metatest"
	"github.com/switchboard-chat/switchboard/core"
	"github.com/switchboard-chat/switchboard/core/memstore"
)

// service is a core.Service on memstore with one channel "ch".
func service(t *testing.T) (*core.Service, *memstore.Store) {
	t.Helper()
	set := core.DefaultSettings()
	set.Channels = append(set.Channels, core.Channel{ID: "ch", Type: "test"})
	st := memstore.New()
	svc := core.NewService(core.Deps{Store: st, Jobs: &metatest.Jobs{},
		Logger: slog.New(slog.DiscardHandler)}, set)
	return svc, st
}

func msg(id, text string) core.InboundEvent {
	return core.InboundEvent{Kind: core.InboundMessage, UserID: "u1", ProviderID: id, Text: text}
}

// texts lists the stored messages of u1's open conversation.
func texts(t *testing.T, st *memstore.Store) []string {
	t.Helper()
	ctx := context.Background()
	c, err := st.CustomerByChannelUser(ctx, "ch", "u1")
	if err != nil {
		return nil
	}
	conv, err := st.OpenConversation(ctx, c.ID, "ch")
	if err != nil {
		t.Fatal(err)
	}
	ms, err := st.ListMessages(ctx, conv.ID, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range ms {
		out = append(out, m.Text)
	}
	return out
}

// TestApplyOutcomes is the outcome policy of every channel, webhook or
// poller: duplicates are successes, invalid events are logged and
// skipped, ignored ones skipped, and storage down stops the body with an
// error the provider retries on; callbacks are answered for every event
// that went through and for none after the stop.
func TestApplyOutcomes(t *testing.T) {
	cases := []struct {
		name      string
		stored    []core.InboundEvent // applied first, in a body of their own
		events    []core.InboundEvent
		downAt    int // storage goes down before events[downAt-1]; 0: never
		wantErr   error
		wantTexts []string
		wantAcks  []string
		wantWarn  string
	}{
		{name: "stored in order", events: []core.InboundEvent{msg("m1", "one"), msg("m2", "two")},
			wantTexts: []string{"one", "two"}},
		{name: "duplicate is a success", stored: []core.InboundEvent{msg("m1", "one")},
			events: []core.InboundEvent{msg("m1", "one"), msg("m2", "two")}, wantTexts: []string{"one", "two"}},
		{name: "invalid is skipped and logged", events: []core.InboundEvent{msg("m1", "   "), msg("m2", "two"),
			{Kind: core.InboundStatus, Status: core.DeliveryRead}}, wantTexts: []string{"two"}, wantWarn: "inbound event skipped"},
		{name: "ignored is skipped", events: []core.InboundEvent{core.IgnoredEvent("reaction"), msg("m2", "two")},
			wantTexts: []string{"two"}},
		{name: "edit and revoke reach the stored message", stored: []core.InboundEvent{msg("m1", "typo"), msg("m2", "oops")},
			events: []core.InboundEvent{{Kind: core.InboundEdit, ProviderID: "m1", Text: "fixed"},
				{Kind: core.InboundRevoke, ProviderID: "m2"}},
			wantTexts: []string{"fixed", core.RevokedText}},
		{name: "storage down stops the body", events: []core.InboundEvent{msg("m1", "one"), msg("m2", "two"), msg("m3", "three")},
			downAt: 2, wantErr: core.ErrUnavailable, wantTexts: []string{"one"}},
		{name: "callbacks answered once through", events: []core.InboundEvent{
			{Kind: core.InboundMessage, UserID: "u1", ProviderID: "cq:1", Text: "plan:pro", CallbackID: "1"},
			{Kind: core.InboundIgnored, Why: "a game", CallbackID: "2"},
			{Kind: core.InboundMessage, UserID: "u1", ProviderID: "cq:1", Text: "plan:pro", CallbackID: "3"}, // redelivered
			{Kind: core.InboundMessage, UserID: "u1", ProviderID: "cq:4", Text: " ", CallbackID: "4"}},       // invalid
			wantTexts: []string{"plan:pro"}, wantAcks: []string{"1", "2", "3", "4"}, wantWarn: "inbound event skipped"},
		{name: "no callback answered after the stop", events: []core.InboundEvent{
			{Kind: core.InboundMessage, UserID: "u1", ProviderID: "cq:1", Text: "a", CallbackID: "1"},
			{Kind: core.InboundMessage, UserID: "u1", ProviderID: "cq:2", Text: "b", CallbackID: "2"}},
			downAt: 2, wantErr: core.ErrUnavailable, wantTexts: []string{"a"}, wantAcks: []string{"1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			svc, st := service(t)
			var logs bytes.Buffer
			var acks []string
			a := inbound.NewApplier(svc, "ch", inbound.Options{Log: slog.New(slog.NewTextHandler(&logs, nil)),
				Acknowledge: func(_ context.Context, id string) { acks = append(acks, id) }})
			ctx := context.Background()
			if err := a.Apply(ctx, c.stored); err != nil {
				t.Fatal(err)
			}
			events := c.events
			var err error
			if c.downAt > 0 {
				if err = a.Apply(ctx, events[:c.downAt-1]); err != nil {
					t.Fatal(err)
				}
				st.SetDown(true)
				err = a.Apply(ctx, events[c.downAt-1:])
				st.SetDown(false)
			} else {
				err = a.Apply(ctx, events)
			}
			if !errors.Is(err, c.wantErr) || (err != nil) != (c.wantErr != nil) {
				t.Fatalf("Apply = %v, want %v", err, c.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "channel ch") {
				t.Errorf("error %q does not name the channel", err)
			}
			if got := texts(t, st); !slices.Equal(got, c.wantTexts) {
				t.Errorf("stored %q, want %q", got, c.wantTexts)
			}
			if !slices.Equal(acks, c.wantAcks) {
				t.Errorf("acknowledged %q, want %q", acks, c.wantAcks)
			}
			if got := strings.Contains(logs.String(), "inbound event skipped"); got != (c.wantWarn != "") {
				t.Errorf("skip logged %v, want %v: %s", got, c.wantWarn != "", logs.String())
			}
		})
	}
}

// namesStore is the Ingester side of the name look-up: it keeps the names
// of ingested customers and counts the reads of KnownCustomer.
type namesStore struct {
	names map[string]string // user id → stored name
	reads int
	down  bool
}

func (s *namesStore) Ingest(_ context.Context, in core.Inbound) (core.Message, error) {
	if in.Name != "" {
		s.names[in.ChannelUserID] = in.Name
	} else if _, ok := s.names[in.ChannelUserID]; !ok {
		s.names[in.ChannelUserID] = ""
	}
	return core.Message{ID: in.ProviderID}, nil
}

func (s *namesStore) KnownCustomer(_ context.Context, _, userID string) (core.Customer, bool, error) {
	if s.down {
		return core.Customer{}, false, core.ErrUnavailable
	}
	s.reads++
	n, ok := s.names[userID]
	return core.Customer{ChannelUserID: userID, Name: n}, ok, nil
}

func (*namesStore) DeliveryStatus(context.Context, string, string, core.Delivery, string) error {
	return nil
}
func (*namesStore) ReadUpTo(context.Context, string, string, time.Time) error { return nil }
func (*namesStore) EditInbound(context.Context, string, string, string) error { return nil }
func (*namesStore) RevokeInbound(context.Context, string, string) error       { return nil }

// A customer whose name is stored is read from the store once per
// webhook, not once per message; one without a name is asked for again.
func TestApplyRemembersNamedCustomers(t *testing.T) {
	tests := []struct {
		name          string
		profile       string // what the profile API answers
		wantReads     int    // store reads over 5 webhooks of one message each
		wantLookUps   int
		wantFinalName string
	}{
		{name: "named by profile", profile: "Peter Chang", wantReads: 2, wantLookUps: 1, wantFinalName: "Peter Chang"},
		{name: "stays anonymous", profile: "", wantReads: 5, wantLookUps: 5, wantFinalName: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &namesStore{names: map[string]string{}}
			lookUps := 0
			a := inbound.NewApplier(store, "fb", inbound.Options{Profile: func(context.Context, string) (string, error) {
				lookUps++
				return tt.profile, nil
			}})
			for i := range 5 {
				ev := core.InboundEvent{Kind: core.InboundMessage, UserID: "PSID1", ProviderID: fmt.Sprintf("m%d", i), Text: "hi"}
				if err := a.Apply(context.Background(), []core.InboundEvent{ev}); err != nil {
					t.Fatal(err)
				}
			}
			if store.reads != tt.wantReads || lookUps != tt.wantLookUps {
				t.Fatalf("store reads %d, profile look-ups %d; want %d and %d", store.reads, lookUps, tt.wantReads, tt.wantLookUps)
			}
			if got := store.names["PSID1"]; got != tt.wantFinalName {
				t.Fatalf("stored name %q, want %q", got, tt.wantFinalName)
			}
		})
	}
}

// A failed profile look-up leaves the customer anonymous; a failed read
// of our own store stops the body.
func TestApplyProfileFailures(t *testing.T) {
	store := &namesStore{names: map[string]string{}}
	a := inbound.NewApplier(store, "fb", inbound.Options{Log: slog.New(slog.DiscardHandler),
		Profile: func(context.Context, string) (string, error) { return "", errors.New("graph API: HTTP 500") }})
	ev := core.InboundEvent{Kind: core.InboundMessage, UserID: "PSID1", ProviderID: "m1", Text: "hi"}
	if err := a.Apply(context.Background(), []core.InboundEvent{ev}); err != nil {
		t.Fatalf("failed look-up: %v, want the message stored anonymously", err)
	}
	if n, ok := store.names["PSID1"]; !ok || n != "" {
		t.Fatalf("stored name %q (%v), want anonymous", n, ok)
	}
	store.down = true
	ev.UserID, ev.ProviderID = "PSID2", "m2"
	if err := a.Apply(context.Background(), []core.InboundEvent{ev}); !errors.Is(err, core.ErrUnavailable) {
		t.Fatalf("store down: %v, want ErrUnavailable", err)
	}
}
