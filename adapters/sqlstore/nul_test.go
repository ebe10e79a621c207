package sqlstore_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

// TestNULText: text holding U+0000 is a bad request, never a bare
// database error (HTTP 500). PostgreSQL refuses it in any text column or
// parameter (core.ErrInvalid); SQLite stores it as it is. Core strips or
// refuses NUL before the store; this is the store's own net under it.
func TestNULText(t *testing.T) {
	t.Parallel()
	type backend struct {
		name  string
		open  func(t *testing.T) core.Store
		takes bool // stores NUL as it is
	}
	backends := []backend{{"sqlite", openSQLite, true}}
	if base := os.Getenv(pgEnv); base != "" {
		backends = append(backends, backend{"postgres", func(t *testing.T) core.Store { return openPostgres(t, base) }, false})
	} else {
		t.Log("PostgreSQL variant skipped: set " + pgEnv + " to run it")
	}
	at := time.Date(2026, 3, 11, 15, 4, 5, 0, time.UTC)
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := b.open(t)
			ctx := context.Background()
			cu := core.Customer{ID: core.NewID(), ChannelID: "web", ChannelUserID: "visitor-1", Name: "Kim",
				Visits: 1, CreatedAt: at, LastSeenAt: at}
			if err := s.CreateCustomer(ctx, cu); err != nil {
				t.Fatalf("create customer: %v", err)
			}
			cv := core.Conversation{ID: core.NewID(), ChannelID: "web", CustomerID: cu.ID, Customer: cu,
				Status: core.ConvBot, CreatedAt: at, LastMessageAt: at}
			if err := s.CreateConversation(ctx, cv); err != nil {
				t.Fatalf("create conversation: %v", err)
			}
			msg := core.Message{ID: core.NewID(), ConversationID: cv.ID, ChannelID: "web", Author: core.AuthorCustomer,
				Text: "where is\x00my order", CreatedAt: at}

			cases := []struct {
				name  string
				do    func() error
				check func() error // when stored: read it back
			}{
				{"new customer's name", func() error {
					c := cu
					c.ID, c.ChannelUserID, c.Name = core.NewID(), "visitor-2", "Kim\x00Lee"
					return s.CreateCustomer(ctx, c)
				}, nil},
				{"renamed customer", func() error {
					c := cu
					c.Name = "\x00Kim"
					return s.UpdateCustomer(ctx, c)
				}, func() error {
					got, err := s.CustomerByID(ctx, cu.ID)
					if err == nil && got.Name != "\x00Kim" {
						return errors.New("name read back as " + got.Name)
					}
					return err
				}},
				{"message text", func() error { return s.InsertMessage(ctx, msg) }, func() error {
					got, err := s.MessageByID(ctx, msg.ID)
					if err == nil && got.Text != msg.Text {
						return errors.New("text read back as " + got.Text)
					}
					return err
				}},
				{"customer name filter", func() error {
					_, _, err := s.SearchConversations(ctx, core.ConversationQuery{Customer: "K\x00"})
					return err
				}, nil},
			}
			for _, c := range cases {
				err := c.do()
				switch {
				case b.takes && err != nil:
					t.Errorf("%s: %v, want it stored", c.name, err)
				case b.takes && c.check != nil:
					if err := c.check(); err != nil {
						t.Errorf("%s: %v", c.name, err)
					}
				case !b.takes && !errors.Is(err, core.ErrInvalid):
					t.Errorf("%s: %v, want core.ErrInvalid", c.name, err)
				case !b.takes && !strings.Contains(err.Error(), "cannot be stored (NUL)"):
					t.Errorf("%s: %q does not say why", c.name, err)
				}
			}
			// A NUL in the full-text filter separates words (core's search
			// syntax), so it reaches neither database's parser.
			if _, _, err := s.SearchConversations(ctx, core.ConversationQuery{Text: "order\x00x"}); err != nil {
				t.Errorf("full-text filter with a NUL: %v", err)
			}
			// The store is still usable after the refusals.
			if _, err := s.CustomerByID(ctx, cu.ID); err != nil {
				t.Errorf("read after the refusals: %v", err)
			}
		})
	}
}
