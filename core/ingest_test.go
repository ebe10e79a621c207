package core_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

// ingest stores a WhatsApp message from user.
func (e *env) ingest(user, providerID, text string) core.Message {
	e.t.Helper()
	m, err := e.svc.Ingest(e.ctx, core.Inbound{ChannelID: "wa", ChannelUserID: user, Name: "Ada Lovelace",
		ProviderID: providerID, Text: text})
	ok(e.t, err)
	return m
}

func TestIngestDuplicate(t *testing.T) {
	e := newEnv(t)
	m := e.ingest("4917", "wamid.1", " hello ")
	mustEqual(t, "text", m.Text, "hello")
	mustEqual(t, "author", m.Author, core.AuthorCustomer)
	mustSlice(t, "bot jobs", e.jobs.Bots(), []string{m.ID})
	c := e.conv(m.ConversationID)
	mustEqual(t, "visits", c.Customer.Visits, 1)
	mustEqual(t, "last message at", c.LastMessageAt, t0)

	_, err := e.svc.Ingest(e.ctx, core.Inbound{ChannelID: "wa", ChannelUserID: "4917", Name: "Someone Else",
		ProviderID: "wamid.1", Text: "hello again"})
	wantErr(t, err, core.ErrDuplicate)
	mustSlice(t, "bot jobs", e.jobs.Bots(), []string{m.ID})
	mustEqual(t, "messages", len(e.messages(m.ConversationID)), 1)
	mustEqual(t, "customer name (rolled back)", e.conv(m.ConversationID).Customer.Name, "Ada Lovelace")

	// The same provider id on another channel is another message.
	_, err = e.svc.Ingest(e.ctx, core.Inbound{ChannelID: "tg", ChannelUserID: "4917", ProviderID: "wamid.1", Text: "hi"})
	ok(t, err)
	// A second message joins the open conversation.
	m2 := e.ingest("4917", "wamid.2", "still there?")
	mustEqual(t, "conversation", m2.ConversationID, m.ConversationID)
}

func TestIngestInvalid(t *testing.T) {
	tests := []struct {
		name string
		in   core.Inbound
		want error
	}{
		{"unknown channel", core.Inbound{ChannelID: "sms", ChannelUserID: "1", Text: "hi"}, core.ErrNotFound},
		{"empty text", core.Inbound{ChannelID: "wa", ChannelUserID: "1", Text: "  "}, core.ErrInvalid},
		{"text too long", core.Inbound{ChannelID: "wa", ChannelUserID: "1", Text: strings.Repeat("a", core.MaxTextLen+1)}, core.ErrInvalid},
		{"no user", core.Inbound{ChannelID: "wa", Text: "hi"}, core.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			_, err := e.svc.Ingest(e.ctx, tt.in)
			wantErr(t, err, tt.want)
			mustEqual(t, "bot jobs", len(e.jobs.Bots()), 0)
		})
	}
}

// TestHandoffGoesFirst: a message that asks for a person is queued ahead
// of ordinary bot work; every other message is not.
func TestHandoffGoesFirst(t *testing.T) {
	for _, tc := range []struct {
		text   string
		urgent bool
	}{
		{"talk to a person please", true},
		{"what are your opening hours?", false},
		{"HUMAN", true},
	} {
		t.Run(tc.text, func(t *testing.T) {
			e := newEnv(t)
			msg, err := e.svc.Ingest(e.ctx, core.Inbound{ChannelID: "wa", ChannelUserID: "49151", Text: tc.text})
			ok(t, err)
			e.jobs.mu.Lock()
			defer e.jobs.mu.Unlock()
			if got := slices.Contains(e.jobs.urgent, msg.ID); got != tc.urgent {
				t.Errorf("queued ahead = %v, want %v (urgent %v)", got, tc.urgent, e.jobs.urgent)
			}
			if !slices.Contains(e.jobs.bots, msg.ID) {
				t.Errorf("no bot turn queued for %s", msg.ID)
			}
		})
	}
}

// TestControlCharacters: providers' text loses invisible control
// characters (NUL cannot even be stored); typed API input with them is
// refused naming the field; search treats them as spaces.
func TestControlCharacters(t *testing.T) {
	e := newEnv(t)
	msg, err := e.svc.Ingest(e.ctx, core.Inbound{ChannelID: "wa", ChannelUserID: "49151", Name: "Ad\x00a", Text: "hel\x00lo\x07\nthere"})
	ok(t, err)
	mustEqual(t, "stored text", msg.Text, "hello\nthere")
	mustEqual(t, "customer name", e.conv(msg.ConversationID).Customer.Name, "Ada")

	_, err = e.svc.StartWidgetSession(e.ctx, core.WidgetSessionInput{Name: "x\x00"})
	wantField(t, err, "name")
	for field, q := range map[string]core.ConversationQuery{
		"q":        {Text: "a\x00"},
		"customer": {Customer: "\x00"},
		"agent_id": {AgentID: "\x1b[2J"},
	} {
		_, _, err := e.svc.SearchConversations(e.ctx, e.admin, q)
		wantField(t, err, field)
	}
	_, _, err = e.svc.Login(e.ctx, "root\x00@example.com", "whatever")
	wantErr(t, err, core.ErrUnauthorized)
	if got := core.ParseSearch("late\x00order"); len(got) != 2 || got[0].Text != "late" || got[1].Text != "order" {
		t.Errorf("ParseSearch with NUL = %+v, want two words", got)
	}
}

// countingStore counts transactions, and holds the first one until
// release is closed, so that the calls behind it gather in a group.
type countingStore struct {
	core.Store
	mu      sync.Mutex
	n       int
	release chan struct{}
}

func (c *countingStore) Atomic(ctx context.Context, fn func(core.Tx) error) error {
	c.mu.Lock()
	c.n++
	first := c.n == 1
	c.mu.Unlock()
	if first {
		<-c.release
	}
	return c.Store.Atomic(ctx, fn)
}

// A group holding a message stored before: its insert names the
// duplicate, which answers ErrDuplicate, and the others are stored again
// together in one more transaction, not one by one.
func TestIngestGroupWithAStoredDuplicate(t *testing.T) {
	e := newEnv(t)
	stored := e.ingest("4917", "wamid.1", "hello")
	store := &countingStore{Store: e.store, release: make(chan struct{})}
	svc := core.NewService(core.Deps{Store: store, Jobs: e.jobs, Now: e.clock.Now, BcryptCost: 4, IngestLanes: 1}, testSettings())

	ins := []core.Inbound{
		{ChannelID: "wa", ChannelUserID: "4900", ProviderID: "wamid.0", Text: "first, alone"},
		{ChannelID: "wa", ChannelUserID: "4917", ProviderID: "wamid.1", Text: "hello (redelivered)"},
		{ChannelID: "wa", ChannelUserID: "4917", ProviderID: "wamid.2", Text: "are you there?"},
		{ChannelID: "wa", ChannelUserID: "4918", ProviderID: "wamid.3", Text: "hi"},
		{ChannelID: "wa", ChannelUserID: "4918", ProviderID: "wamid.3", Text: "hi (twice in the group)"},
	}
	errs := make([]error, len(ins))
	var wg sync.WaitGroup
	wg.Go(func() { _, errs[0] = svc.Ingest(e.ctx, ins[0]) }) // leads the lane, held in its transaction
	for i := 1; i < len(ins); i++ {
		wg.Go(func() {
			for store.count() < 1 { // after the leader's transaction began
				time.Sleep(time.Millisecond)
			}
			_, errs[i] = svc.Ingest(e.ctx, ins[i])
		})
	}
	time.Sleep(200 * time.Millisecond) // the four calls queue behind the leader
	close(store.release)
	wg.Wait()

	ok(t, errs[0])
	wantErr(t, errs[1], core.ErrDuplicate)
	ok(t, errs[2])
	if errs[3] != nil && errs[4] != nil || errs[3] == nil && errs[4] == nil {
		t.Fatalf("the message twice in the group: errors %v and %v, want one stored and one ErrDuplicate", errs[3], errs[4])
	}
	msgs := e.messages(stored.ConversationID)
	mustEqual(t, "messages of 4917", len(msgs), 2)
	mustEqual(t, "the stored one kept its text", msgs[0].Text, "hello")
	mustEqual(t, "transactions: the leader's, the group's, the group again without the duplicate", store.count(), 3)
}

func (c *countingStore) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// TestIngestWithPersonNoBotTurn: once a conversation is waiting for or
// with a person, its messages are stored processed and no bot turn is
// queued for them (the turn would only have marked them processed).
func TestIngestWithPersonNoBotTurn(t *testing.T) {
	e := newEnv(t)
	m1 := e.ingest("4917", "wamid.1", "talk to a person please")
	ok(t, e.svc.RunBot(e.ctx, m1.ID))
	mustEqual(t, "status", e.conv(m1.ConversationID).Status, core.ConvWaiting)

	m2 := e.ingest("4917", "wamid.2", "are you there?")
	mustEqual(t, "conversation", m2.ConversationID, m1.ConversationID)
	mustSlice(t, "bot jobs", e.jobs.Bots(), []string{m1.ID})
	mustEqual(t, "processed at", e.msg(m2.ID).ProcessedAt, t0)

	agent := e.online("Grace")
	conv := e.active("Ada", agent)
	v := e.conv(conv.ID)
	m3, err := e.svc.Ingest(e.ctx, core.Inbound{ChannelID: v.ChannelID, ChannelUserID: v.Customer.ChannelUserID, Text: "thanks!"})
	ok(t, err)
	mustEqual(t, "conversation", m3.ConversationID, conv.ID)
	mustSlice(t, "bot jobs", e.jobs.Bots(), []string{m1.ID})
	mustEqual(t, "processed at", e.msg(m3.ID).ProcessedAt, t0)
	if e.events.last(core.AgentStream(agent.ID), core.EventMessageCreated) == nil {
		t.Error("the agent's stream got no message.created for the message")
	}
}
