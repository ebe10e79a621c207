package sqlstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

// BenchmarkConversationList measures what the unread counts and newest
// messages add to a page of the inbox list: one page of 20 active
// conversations (of 1,000, 40 messages each, a read mark on half) read
// by SearchConversations alone, and with ConversationSummaries after it.
// docs/performance.md gives the ratio.
func BenchmarkConversationList(b *testing.B) {
	benchStores(b, func(b *testing.B, s core.Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
		agent := core.Agent{ID: core.NewID(), Email: "bench@example.com", Name: "Bench", MaxChats: 100, PasswordHash: "x", CreatedAt: t0}
		if err := s.CreateAgent(ctx, agent); err != nil {
			b.Fatal(err)
		}
		for i := range 1000 {
			cu := core.Customer{ID: core.NewID(), ChannelID: "web", ChannelUserID: fmt.Sprintf("v-%d", i), Visits: 1, CreatedAt: t0}
			conv := core.Conversation{ID: core.NewID(), ChannelID: "web", CustomerID: cu.ID, Status: core.ConvActive,
				AgentID: agent.ID, CreatedAt: t0, LastMessageAt: t0}
			ms := make([]core.Message, 40)
			for j := range ms {
				author := core.AuthorCustomer
				if j%2 == 1 {
					author = core.AuthorAgent
				}
				ms[j] = core.Message{ID: core.NewID(), ConversationID: conv.ID, ChannelID: "web", Author: author,
					Text: fmt.Sprintf("message %d of conversation %d", j, i), CreatedAt: t0.Add(time.Duration(j) * time.Second)}
			}
			err := s.Atomic(ctx, func(tx core.Tx) error {
				if err := tx.CreateCustomer(ctx, cu); err != nil {
					return err
				}
				if err := tx.CreateConversation(ctx, conv); err != nil {
					return err
				}
				if err := tx.InsertMessages(ctx, ms); err != nil {
					return err
				}
				if i%2 == 0 {
					_, err := tx.MarkRead(ctx, core.ReadMark{ConversationID: conv.ID, AgentID: agent.ID, UpToID: ms[29].ID, At: ms[29].CreatedAt})
					return err
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		q := core.ConversationQuery{Statuses: []core.ConversationStatus{core.ConvActive}, Limit: 20}
		page := func(b *testing.B) []core.Conversation {
			convs, _, err := s.SearchConversations(ctx, q)
			if err != nil || len(convs) != 20 {
				b.Fatalf("page: %d conversations, %v", len(convs), err)
			}
			return convs
		}
		b.Run("page", func(b *testing.B) {
			for b.Loop() {
				page(b)
			}
		})
		b.Run("page+summaries", func(b *testing.B) {
			for b.Loop() {
				convs := page(b)
				ids := make([]string, len(convs))
				for i, c := range convs {
					ids[i] = c.ID
				}
				sums, err := s.ConversationSummaries(ctx, ids)
				if err != nil || len(sums) != 20 {
					b.Fatalf("summaries: %d, %v", len(sums), err)
				}
			}
		})
	})
}
