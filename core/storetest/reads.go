package storetest

import (
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

// testReads: read marks only move forward; unread counts are the customer
// messages after the read mark of the conversation's own agent; the
// newest message of a summary is never a note; LastCustomerMessage.
func testReads(t *testing.T, f *fx) {
	ctx, s := f.ctx, f.s
	alice, bob := f.agent(nil), f.agent(nil)
	cu := f.customer("web", "Dana")
	active := f.conversation(cu, func(c *core.Conversation) { c.Status, c.AgentID = core.ConvActive, alice.ID })
	bot := f.conversation(f.customer("web", ""), nil)
	empty := f.conversation(f.customer("wa", "Eve"), func(c *core.Conversation) { c.Status, c.AgentID = core.ConvActive, bob.ID })

	c1 := f.message(active, core.AuthorCustomer, "hello", func(m *core.Message) { m.CreatedAt, m.ProviderID = at(time.Second), "p1" })
	f.message(active, core.AuthorBot, "hi, how can I help?", func(m *core.Message) { m.CreatedAt = at(2 * time.Second) })
	c2 := f.message(active, core.AuthorCustomer, "my order", func(m *core.Message) { m.CreatedAt, m.ProviderID = at(3*time.Second), "p2" })
	f.message(active, core.AuthorNote, "VIP customer", func(m *core.Message) { m.CreatedAt, m.AgentID = at(4*time.Second), alice.ID })
	f.message(bot, core.AuthorCustomer, "anyone?", func(m *core.Message) { m.CreatedAt = at(time.Second) })

	sums := func(what string, want map[string]int, last map[string]string) {
		t.Helper()
		got, err := s.ConversationSummaries(ctx, []string{active.ID, bot.ID, empty.ID, core.NewID()})
		ok(t, what, err)
		if len(got) != 3 {
			t.Errorf("%s: %d summaries, want 3 (an unknown id is left out): %+v", what, len(got), got)
		}
		for id, n := range want {
			if got[id].Unread != n {
				t.Errorf("%s: unread of %s = %d, want %d", what, id, got[id].Unread, n)
			}
			if got[id].Last.ID != last[id] {
				t.Errorf("%s: newest message of %s = %q (%s), want %q", what, id, got[id].Last.ID, got[id].Last.Text, last[id])
			}
		}
	}
	// No read mark: every customer message is unread, for the agent's
	// conversation only; the newest message is the one before the note.
	sums("before any read", map[string]int{active.ID: 2, bot.ID: 0, empty.ID: 0},
		map[string]string{active.ID: c2.ID, bot.ID: mustLast(t, f, bot.ID).ID, empty.ID: ""})
	if got, _ := s.ConversationSummaries(ctx, nil); len(got) != 0 {
		t.Errorf("summaries of no ids: %+v", got)
	}

	_, err := s.ReadMarkOf(ctx, active.ID, alice.ID)
	isErr(t, "read mark before any read", err, core.ErrNotFound)

	// Alice read up to c1: c2 stays unread.
	m1 := core.ReadMark{ConversationID: active.ID, AgentID: alice.ID, UpToID: c1.ID, At: c1.CreatedAt}
	moved, err := s.MarkRead(ctx, m1)
	ok(t, "mark read up to c1", err)
	if !moved {
		t.Errorf("the first read mark did not move")
	}
	got, err := s.ReadMarkOf(ctx, active.ID, alice.ID)
	ok(t, "read mark", err)
	equal(t, "read mark", got, m1)
	sums("read up to c1", map[string]int{active.ID: 1}, map[string]string{active.ID: c2.ID})

	// Bob's mark on Alice's conversation counts for nothing.
	_, err = s.MarkRead(ctx, core.ReadMark{ConversationID: active.ID, AgentID: bob.ID, UpToID: c2.ID, At: c2.CreatedAt})
	ok(t, "bob's mark", err)
	sums("another agent read it", map[string]int{active.ID: 1}, map[string]string{active.ID: c2.ID})

	// Up to c2 (a later mark) clears it; an older mark, or the same again,
	// moves nothing.
	m2 := core.ReadMark{ConversationID: active.ID, AgentID: alice.ID, UpToID: c2.ID, At: c2.CreatedAt}
	if moved, err = s.MarkRead(ctx, m2); err != nil || !moved {
		t.Errorf("mark read up to c2: moved %t, %v", moved, err)
	}
	for _, old := range []core.ReadMark{m1, m2} {
		if moved, err = s.MarkRead(ctx, old); err != nil || moved {
			t.Errorf("mark read up to %s again: moved %t, %v", old.UpToID, moved, err)
		}
	}
	got, _ = s.ReadMarkOf(ctx, active.ID, alice.ID)
	equal(t, "read mark after an older one", got, m2)
	sums("read up to c2", map[string]int{active.ID: 0}, map[string]string{active.ID: c2.ID})

	// A customer message at the very time of the mark, after it in id
	// order, is unread.
	c3 := f.message(active, core.AuthorCustomer, "still there?", func(m *core.Message) { m.CreatedAt, m.ProviderID = c2.CreatedAt, "p3" })
	sums("a message at the mark's time", map[string]int{active.ID: 1}, map[string]string{active.ID: c3.ID})

	last, err := s.LastCustomerMessage(ctx, active.ID)
	ok(t, "last customer message", err)
	equal(t, "last customer message", last.ID, c3.ID)
	_, err = s.LastCustomerMessage(ctx, empty.ID)
	isErr(t, "last customer message of a conversation without one", err, core.ErrNotFound)
}

func mustLast(t *testing.T, f *fx, convID string) core.Message {
	t.Helper()
	m, err := f.s.LastCustomerMessage(f.ctx, convID)
	ok(t, "last customer message", err)
	return m
}
