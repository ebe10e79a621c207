package meta_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/adapters/meta"
	"github.com/switchboard-chat/switchboard/core"
)

// namesStore is the Ingester side of the name look-up: it keeps the names
// of ingested customers and counts the reads of KnownCustomer.
type namesStore struct {
	names map[string]string // user id → stored name
	reads int
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
func TestWebhookRemembersNamedCustomers(t *testing.T) {
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
			w := meta.NewWebhook(store, meta.WebhookConfig{ChannelID: "fb", Profile: func(context.Context, string) (string, error) {
				lookUps++
				return tt.profile, nil
			}})
			for i := range 5 {
				ev := meta.Event{Kind: meta.KindMessage, UserID: "PSID1", ProviderID: fmt.Sprintf("m%d", i), Text: "hi"}
				if err := w.Apply(context.Background(), []meta.Event{ev}); err != nil {
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
