package storetest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

func ck(channel, id string) core.ChannelKey { return core.ChannelKey{ChannelID: channel, ID: id} }

// groupTx runs fn in a transaction that is rolled back when fn returns an
// error.
func groupTx(t *testing.T, f *fx, fn func(tx core.Tx) error) error {
	t.Helper()
	return f.s.Atomic(f.ctx, fn)
}

// testGroupStatements checks the set-based methods group commit uses
// (CustomersByChannelUsers, OpenConversationsOf, SaveCustomers,
// CreateConversations, InsertMessages, which finds the duplicates itself).
func testGroupStatements(t *testing.T, f *fx) {
	known := f.customer("web", "Known")
	openConv := f.conversation(known, nil)
	older := f.customer("web", "Older")
	resolved := f.conversation(older, func(c *core.Conversation) { c.Status = core.ConvResolved; c.ResolvedAt = t0 })
	stored := f.message(openConv, core.AuthorCustomer, "hi", func(m *core.Message) { m.ProviderID = "wamid.1" })
	f.message(openConv, core.AuthorAgent, "reply", func(m *core.Message) { m.ProviderID = "wamid.2" }) // not a customer's

	fresh := core.Customer{ID: core.NewID(), ChannelID: "web", ChannelUserID: "new-user", Name: "New", Visits: 1,
		CreatedAt: at(time.Minute), LastSeenAt: at(time.Minute)}
	newConv := core.Conversation{ID: core.NewID(), ChannelID: "web", CustomerID: fresh.ID, Status: core.ConvBot,
		PageURL: "https://shop.example/p", CreatedAt: at(time.Minute), LastMessageAt: at(time.Minute)}
	later := at(2 * time.Minute)
	msgs := []core.Message{
		{ID: core.NewID(), ConversationID: openConv.ID, ChannelID: "web", Author: core.AuthorCustomer, Text: "one", CreatedAt: later, ProviderID: "wamid.3"},
		{ID: core.NewID(), ConversationID: newConv.ID, ChannelID: "web", Author: core.AuthorCustomer, Text: "two", CreatedAt: later, ProviderID: "wamid.4"},
		{ID: core.NewID(), ConversationID: newConv.ID, ChannelID: "web", Author: core.AuthorCustomer, Text: "three", CreatedAt: later},
	}
	err := groupTx(t, f, func(tx core.Tx) error {
		cs, err := tx.CustomersByChannelUsers(f.ctx, []core.ChannelKey{ck("web", known.ChannelUserID), ck("web", older.ChannelUserID),
			ck("other", known.ChannelUserID), ck("web", "nobody")})
		if err != nil {
			return err
		}
		equal(t, "customers found", len(cs), 2)
		equal(t, "known customer", cs[ck("web", known.ChannelUserID)].ID, known.ID)

		open, err := tx.OpenConversationsOf(f.ctx, []string{known.ID, older.ID})
		if err != nil {
			return err
		}
		equal(t, "open conversations (resolved ones left out)", len(open), 1)
		equal(t, "open conversation", open[known.ID].ID, openConv.ID)
		equal(t, "its customer", open[known.ID].Customer.Name, "Known")

		known.Name, known.Visits, known.LastSeenAt = "Known Renamed", 7, later
		if err := tx.SaveCustomers(f.ctx, []core.Customer{known, fresh}); err != nil {
			return err
		}
		if err := tx.CreateConversations(f.ctx, []core.Conversation{newConv}); err != nil {
			return err
		}
		return tx.InsertMessages(f.ctx, msgs)
	})
	if err != nil {
		t.Fatal(err)
	}
	gotKnown, err := f.s.CustomerByID(f.ctx, known.ID)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "updated customer", gotKnown, known)
	gotFresh, err := f.s.CustomerByChannelUser(f.ctx, "web", "new-user")
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "created customer", gotFresh, fresh)
	gotConv, err := f.s.ConversationByID(f.ctx, newConv.ID)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "new conversation's page", gotConv.PageURL, newConv.PageURL)
	equal(t, "new conversation's last message time", gotConv.LastMessageAt, later)
	moved, _ := f.s.ConversationByID(f.ctx, openConv.ID)
	equal(t, "open conversation's last message time moved", moved.LastMessageAt, later)
	list, err := f.s.ListMessages(f.ctx, newConv.ID, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "messages of the new conversation", ids(list), ids(msgs[1:]))
	if _, err := f.s.ConversationByID(f.ctx, resolved.ID); err != nil {
		t.Fatal(err)
	}

	// Outbound messages (a group of bot turns' answers) go in too, with
	// several times per conversation: last_message_at moves to the latest,
	// and never back.
	out := []core.Message{
		{ID: core.NewID(), ConversationID: openConv.ID, ChannelID: "web", Author: core.AuthorBot, Text: "answer", CreatedAt: later.Add(2 * time.Second), Delivery: core.DeliveryQueued},
		{ID: core.NewID(), ConversationID: openConv.ID, ChannelID: "web", Author: core.AuthorSystem, Text: "notice", CreatedAt: later.Add(3 * time.Second), Delivery: core.DeliveryQueued},
		{ID: core.NewID(), ConversationID: newConv.ID, ChannelID: "web", Author: core.AuthorBot, Text: "old", CreatedAt: later.Add(-time.Hour), Delivery: core.DeliveryQueued},
	}
	if err := groupTx(t, f, func(tx core.Tx) error { return tx.InsertMessages(f.ctx, out) }); err != nil {
		t.Fatalf("insert outbound messages: %v", err)
	}
	for _, m := range out {
		got, err := f.s.MessageByID(f.ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "stored outbound message", got, m)
	}
	moved, _ = f.s.ConversationByID(f.ctx, openConv.ID)
	equal(t, "last message time after two answers", moved.LastMessageAt, later.Add(3*time.Second))
	gotConv, _ = f.s.ConversationByID(f.ctx, newConv.ID)
	equal(t, "last message time after an older answer", gotConv.LastMessageAt, later)

	// Stored provider ids fail the whole insert, which names every one of
	// them (customer messages only: an agent's provider id is no key, and
	// the same id on another channel is another message), and the
	// caller's rollback leaves nothing behind.
	dupe := []core.Message{
		{ID: core.NewID(), ConversationID: openConv.ID, ChannelID: "web", Author: core.AuthorCustomer, Text: "x", CreatedAt: later, ProviderID: "wamid.5"},
		{ID: core.NewID(), ConversationID: openConv.ID, ChannelID: "web", Author: core.AuthorCustomer, Text: "y", CreatedAt: later, ProviderID: stored.ProviderID},
		{ID: core.NewID(), ConversationID: openConv.ID, ChannelID: "web", Author: core.AuthorCustomer, Text: "z", CreatedAt: later, ProviderID: "wamid.2"},
		{ID: core.NewID(), ConversationID: openConv.ID, ChannelID: "other", Author: core.AuthorCustomer, Text: "w", CreatedAt: later, ProviderID: stored.ProviderID},
		{ID: core.NewID(), ConversationID: openConv.ID, ChannelID: "web", Author: core.AuthorCustomer, Text: "v", CreatedAt: later, ProviderID: "wamid.3"},
	}
	err = groupTx(t, f, func(tx core.Tx) error { return tx.InsertMessages(f.ctx, dupe) })
	var dupErr *core.DuplicateMessagesError
	if !errors.Is(err, core.ErrDuplicate) || !errors.As(err, &dupErr) {
		t.Fatalf("insert with stored provider ids: %v, want a DuplicateMessagesError", err)
	}
	equal(t, "duplicates named", dupErr.Keys, []core.ChannelKey{ck("web", stored.ProviderID), ck("web", "wamid.3")})
	for _, m := range dupe {
		if _, err := f.s.MessageByID(f.ctx, m.ID); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("message %q of the failed insert was kept: %v", m.Text, err)
		}
	}
	// A new customer whose channel user exists is a duplicate.
	clash := core.Customer{ID: core.NewID(), ChannelID: "web", ChannelUserID: known.ChannelUserID, CreatedAt: t0, LastSeenAt: t0}
	if err := groupTx(t, f, func(tx core.Tx) error { return tx.SaveCustomers(f.ctx, []core.Customer{clash}) }); !errors.Is(err, core.ErrDuplicate) {
		t.Errorf("save of a clashing new customer: %v, want ErrDuplicate", err)
	}
}

// testGroupedIngest races many Ingest calls (repeats and several messages
// per customer among them) through each ingest mode, with Jobs that
// queues a group's bot turns as one task and Jobs whose group enqueue
// fails (each caller then queues its own), and checks that the
// outcome is what one-at-a-time ingestion gives: every provider message
// once, one open conversation and one visit per customer, exactly one bot
// job per stored message, and ErrDuplicate for exactly the repeats. A
// group's bot turns keep each customer's messages in stored order.
func testGroupedIngest(t *testing.T, f *fx) {
	for _, lanes := range []int{-1, 1, 4} {
		for _, grouping := range []bool{false, true} {
			t.Run(fmt.Sprintf("lanes=%d/group_enqueue=%v", lanes, grouping), func(t *testing.T) {
				testGroupedIngestWith(t, f, lanes, grouping)
			})
		}
	}
}

func testGroupedIngestWith(t *testing.T, f *fx, lanes int, grouping bool) {
	channel := fmt.Sprintf("web%d", f.seq())
	set := core.DefaultSettings()
	set.Channels = append(set.Channels, core.Channel{ID: channel, Type: "messaging"}) // any channel but the widget
	groupJobs := &Jobs{}
	var jobs interface {
		core.Jobs
		Calls() []string
	} = &groupsFail{}
	if grouping {
		jobs = groupJobs
	}
	// groupsFail's warnings are expected: they are not shown.
	quiet := slog.New(slog.DiscardHandler)
	svc := core.NewService(core.Deps{Store: roundTrip{f.s}, Jobs: jobs, BcryptCost: 4, IngestLanes: lanes, Logger: quiet}, set)

	const customers, perCustomer, copies = 12, 5, 2
	type result struct {
		in  core.Inbound
		msg core.Message
		err error
	}
	var (
		mu      sync.Mutex
		results []result
		wg      sync.WaitGroup
	)
	start := make(chan struct{})
	for c := range customers {
		for m := range perCustomer {
			for range copies {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					in := core.Inbound{ChannelID: channel, ChannelUserID: fmt.Sprintf("4915%03d", c), Name: fmt.Sprintf("Customer %d", c),
						ProviderID: fmt.Sprintf("wamid.%d.%d", c, m), Text: fmt.Sprintf("message %d of %d", m, c)}
					if m%2 == 0 { // a photo, its file to fetch
						in.Attachments = []core.InboundAttachment{{Kind: core.AttachmentImage, Ref: fmt.Sprintf("media.%d.%d", c, m), MIME: "image/jpeg"}}
					}
					msg, err := svc.Ingest(context.Background(), in)
					mu.Lock()
					results = append(results, result{in, msg, err})
					mu.Unlock()
				}()
			}
		}
	}
	close(start) // all at once
	wg.Wait()

	stored := map[string]core.Message{}
	dupes := 0
	for _, r := range results {
		switch {
		case r.err == nil:
			if _, twice := stored[r.in.ProviderID]; twice {
				t.Errorf("provider message %s stored twice", r.in.ProviderID)
			}
			stored[r.in.ProviderID] = r.msg
		case errors.Is(r.err, core.ErrDuplicate):
			dupes++
		default:
			t.Errorf("ingest %s: %v", r.in.ProviderID, r.err)
		}
	}
	equal(t, "messages stored", len(stored), customers*perCustomer)
	equal(t, "duplicates refused", dupes, customers*perCustomer*(copies-1))

	bots := map[string]int{}
	botJobs := 0
	for _, c := range jobs.Calls() {
		bots[c]++
		if strings.HasPrefix(c, "bot:") {
			botJobs++
		}
	}
	position := map[string]int{} // message id → place in its customer's conversation
	for c := range customers {
		cu, err := f.s.CustomerByChannelUser(f.ctx, channel, fmt.Sprintf("4915%03d", c))
		if err != nil {
			t.Fatalf("customer %d: %v", c, err)
		}
		equal(t, "visits of customer", cu.Visits, 1)
		equal(t, "name of customer", cu.Name, fmt.Sprintf("Customer %d", c))
		conv, err := f.s.OpenConversation(f.ctx, cu.ID, channel)
		if err != nil {
			t.Fatalf("open conversation of customer %d: %v", c, err)
		}
		msgs, err := f.s.ListMessages(f.ctx, conv.ID, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "messages in the customer's one conversation", len(msgs), perCustomer)
		var last time.Time
		for i, m := range msgs {
			position[m.ID] = i
			if want := stored[m.ProviderID]; want.ID != m.ID {
				t.Errorf("message %s: stored as %s, Ingest answered %s", m.ProviderID, m.ID, want.ID)
			}
			if n := bots["bot:"+m.ID]; n != 1 {
				t.Errorf("message %s: %d bot jobs, want 1", m.ID, n)
			}
			// Every stored file is queued for its fetch exactly once,
			// with its group's or by its caller.
			wantFiles := 0
			if strings.HasSuffix(m.ProviderID, ".0") || strings.HasSuffix(m.ProviderID, ".2") || strings.HasSuffix(m.ProviderID, ".4") {
				wantFiles = 1
			}
			if len(m.Attachments) != wantFiles {
				t.Errorf("message %s: %d attachments, want %d", m.ProviderID, len(m.Attachments), wantFiles)
			}
			for _, a := range m.Attachments {
				if n := bots["fetch:"+a.ID]; n != 1 {
					t.Errorf("attachment %s of message %s: %d fetch jobs, want 1", a.ID, m.ProviderID, n)
				}
			}
			if m.CreatedAt.After(last) {
				last = m.CreatedAt
			}
		}
		equal(t, "last_message_at", conv.LastMessageAt, last)
	}
	equal(t, "bot jobs", botJobs, customers*perCustomer)
	equal(t, "fetch jobs", len(jobs.Calls())-botJobs, customers*3)

	groups := groupJobs.Groups()
	for _, g := range groups {
		seen := map[string]int{} // conversation → last position queued
		for _, id := range g {
			m, err := f.s.MessageByID(f.ctx, id)
			if err != nil {
				t.Fatalf("message %s of a bot group: %v", id, err)
			}
			if p, ok := seen[m.ConversationID]; ok && position[id] < p {
				t.Errorf("bot group of %d: message %s queued after a later message of its conversation", len(g), id)
			}
			seen[m.ConversationID] = position[id]
		}
	}
	if grouping && lanes == 1 && len(groups) == 0 {
		t.Errorf("%d racing messages in one lane: no group of bot turns queued as one", customers*perCustomer*copies)
	}
	if grouping && lanes == 1 && groupJobs.FetchGroups() == 0 {
		t.Errorf("%d racing messages with files in one lane: no group of fetches queued as one", customers*3*copies)
	}
}

// groupsFail is Jobs whose QueueBots fails (Redis refused the group's
// task): the callers queue their messages one by one.
type groupsFail struct{ Jobs }

func (*groupsFail) QueueBots(context.Context, []string) error {
	return errors.New("queue unavailable")
}

// QueueMediaFetches fails too: the callers queue their files one by one.
func (*groupsFail) QueueMediaFetches(context.Context, []string, string) error {
	return errors.New("queue unavailable")
}

// roundTrip is a store whose transactions take a millisecond more, as a
// database's round trips do: concurrent calls pile up in the ingest lanes
// while a group is in flight, on an in-memory store too.
type roundTrip struct{ core.Store }

func (r roundTrip) Atomic(ctx context.Context, fn func(core.Tx) error) error {
	return r.Store.Atomic(ctx, func(tx core.Tx) error {
		time.Sleep(time.Millisecond)
		return fn(tx)
	})
}
