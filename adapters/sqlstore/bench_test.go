package sqlstore_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/adapters/sqlstore"
	"github.com/switchboard-chat/switchboard/adapters/sqlstore/sqltest"
	"github.com/switchboard-chat/switchboard/core"
)

type nopJobs struct{}

func (nopJobs) QueueBot(context.Context, string) error                           { return nil }
func (nopJobs) QueueMediaFetch(context.Context, string, string) error            { return nil }
func (nopJobs) QueueMediaFetches(context.Context, []string, string) error        { return nil }
func (nopJobs) QueueBotFirst(context.Context, string) error                      { return nil }
func (nopJobs) QueueBots(context.Context, []string) error                        { return nil }
func (nopJobs) QueueRoute(context.Context, string, string) error                 { return nil }
func (nopJobs) QueueDelivery(context.Context, string) error                      { return nil }
func (nopJobs) QueueDeliveryIn(context.Context, string, time.Duration) error     { return nil }
func (nopJobs) ScheduleEscalation(context.Context, string, int, time.Time) error { return nil }
func (nopJobs) ScheduleRerouteCheck(context.Context, string, time.Time) error    { return nil }

// benchStores runs fn on SQLite and, when configured, PostgreSQL.
func benchStores(b *testing.B, fn func(b *testing.B, s core.Store)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, openMigrated(b, sqlstore.SQLitePath(b.TempDir()))) })
	if base := os.Getenv(pgEnv); base != "" {
		b.Run("postgres", func(b *testing.B) { fn(b, openMigrated(b, sqltest.Schema(b, base, "sbbench"))) })
	}
}

// BenchmarkIngest measures Service.Ingest (customer upsert, open
// conversation, message insert in one transaction) from parallel callers.
func BenchmarkIngest(b *testing.B) {
	benchStores(b, func(b *testing.B, s core.Store) {
		svc := core.NewService(core.Deps{Store: s, Jobs: nopJobs{}}, core.DefaultSettings())
		ctx := context.Background()
		var n atomic.Int64
		b.ReportAllocs()
		b.SetParallelism(8) // webhooks arrive concurrently
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := n.Add(1)
				_, err := svc.Ingest(ctx, core.Inbound{ChannelID: "web", ChannelUserID: fmt.Sprintf("user-%d", i%500),
					ProviderID: fmt.Sprintf("p-%d", i), Text: "where is my order?"})
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkAccept measures Service.Accept of a request offered to one agent.
func BenchmarkAccept(b *testing.B) {
	benchStores(b, func(b *testing.B, s core.Store) {
		svc := core.NewService(core.Deps{Store: s, Jobs: nopJobs{}}, core.DefaultSettings())
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Microsecond)
		agent := core.Agent{ID: core.NewID(), Email: "bench@example.com", Name: "Bench", Roles: []string{}, Online: true,
			MaxChats: 1 << 30, PasswordHash: "x", CreatedAt: now, StatusAt: now}
		if err := s.CreateAgent(ctx, agent); err != nil {
			b.Fatal(err)
		}
		reqs := make([]string, b.N)
		for i := range reqs {
			cu := core.Customer{ID: core.NewID(), ChannelID: "web", ChannelUserID: core.NewID(), CreatedAt: now}
			cv := core.Conversation{ID: core.NewID(), ChannelID: "web", CustomerID: cu.ID, Status: core.ConvWaiting, CreatedAt: now}
			r := core.Request{ID: core.NewID(), ConversationID: cv.ID, CustomerID: cu.ID, ChannelID: "web",
				Status: core.ReqWaiting, Reason: core.ReasonCustomerAsked, CreatedAt: now, UpdatedAt: now}
			cv.RequestID = r.ID
			err := s.Atomic(ctx, func(tx core.Tx) error {
				if err := tx.CreateCustomer(ctx, cu); err != nil {
					return err
				}
				if err := tx.CreateConversation(ctx, cv); err != nil {
					return err
				}
				if err := tx.CreateRequest(ctx, r); err != nil {
					return err
				}
				return tx.SetOffers(ctx, r.ID, []string{agent.ID}, now)
			})
			if err != nil {
				b.Fatal(err)
			}
			reqs[i] = r.ID
		}
		b.ReportAllocs()
		b.ResetTimer()
		for _, id := range reqs {
			if _, _, err := svc.Accept(ctx, agent, id); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkGroupStatements measures the set-based statements of one
// group commit (ingest_group.go in core) for a group of 64 messages from
// returning customers: find and lock the customers, find their open
// conversations, save the customers, insert the messages, in one
// transaction. One op is one group; the metric is per message.
func BenchmarkGroupStatements(b *testing.B) {
	const size, customers = 64, 2048
	benchStores(b, func(b *testing.B, s core.Store) {
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Microsecond)
		cs := make([]core.Customer, customers)
		convs := make([]core.Conversation, customers)
		for i := range cs {
			cs[i] = core.Customer{ID: core.NewID(), ChannelID: "web", ChannelUserID: fmt.Sprintf("user-%d", i), Visits: 1,
				CreatedAt: now, LastSeenAt: now}
			convs[i] = core.Conversation{ID: core.NewID(), ChannelID: "web", CustomerID: cs[i].ID, Status: core.ConvBot,
				CreatedAt: now, LastMessageAt: now}
		}
		if err := s.Atomic(ctx, func(tx core.Tx) error {
			if err := tx.SaveCustomers(ctx, cs); err != nil {
				return err
			}
			return tx.CreateConversations(ctx, convs)
		}); err != nil {
			b.Fatal(err)
		}
		var n int
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			keys := make([]core.ChannelKey, size)
			for i := range keys {
				keys[i] = core.ChannelKey{ChannelID: "web", ID: fmt.Sprintf("user-%d", (n*size+i)%customers)}
			}
			err := s.Atomic(ctx, func(tx core.Tx) error {
				found, err := tx.CustomersByChannelUsers(ctx, keys)
				if err != nil {
					return err
				}
				var ids []string
				var save []core.Customer
				for _, cu := range found {
					cu.LastSeenAt = time.Now()
					ids, save = append(ids, cu.ID), append(save, cu)
				}
				open, err := tx.OpenConversationsOf(ctx, ids)
				if err != nil {
					return err
				}
				if err := tx.SaveCustomers(ctx, save); err != nil {
					return err
				}
				var ms []core.Message
				for i, id := range ids {
					ms = append(ms, core.Message{ID: core.NewID(), ConversationID: open[id].ID, ChannelID: "web",
						Author: core.AuthorCustomer, Text: "where is my order?", CreatedAt: time.Now(),
						ProviderID: fmt.Sprintf("g-%d-%d", n, i)})
				}
				return tx.InsertMessages(ctx, ms)
			})
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(n*size), "µs/msg")
	})
}
