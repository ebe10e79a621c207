// Package storetest is the contract suite of core.Store: one set of tests
// that every store implementation runs against each database it supports
// (adapters/sqlstore runs it on SQLite and PostgreSQL).
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

// Run runs the contract suite. open must return a new, empty, migrated
// store on every call, closed when its test ends; subtests run in parallel.
func Run(t *testing.T, open func(t *testing.T) core.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, f *fx)
	}{
		{"Agents", testAgents},
		{"ActiveChats", testActiveChats},
		{"Tokens", testTokens},
		{"Customers", testCustomers},
		{"Conversations", testConversations},
		{"Requests", testRequests},
		{"ListRequests", testListRequests},
		{"Messages", testMessages},
		{"Attachments", testAttachments},
		{"AttachmentIngest", testAttachmentIngest},
		{"DuplicateKeepsTransaction", testDuplicateInTx},
		{"ClaimRace", testClaimRace},
		{"BotTurnRace", testBotTurnRace},
		{"BotBatch", testBotBatch},
		{"Callbacks", testCallbacks},
		{"ReadUpTo", testReadUpTo},
		{"EarlyDeliveries", testEarlyDeliveries},
		{"EarlyDeliveryService", testEarlyDeliveryService},
		{"MissedRequests", testMissedRequests},
		{"Due", testDue},
		{"Routing", testRouting},
		{"RoutingDue", testRoutingDue},
		{"IdleConversations", testIdleConversations},
		{"LastAssigned", testLastAssigned},
		{"QueuePosition", testQueuePosition},
		{"Search", testSearch},
		{"SearchText", testSearchText},
		{"SearchVisibility", testSearchVisibility},
		{"SearchAnonymous", testSearchAnonymous},
		{"Stats", testStats},
		{"Atomic", testAtomic},
		{"Service", testService},
		{"AcceptRace", testAcceptRace},
		{"CapacityRace", testCapacityRace},
		{"PageRace", testPageRace},
		{"GroupStatements", testGroupStatements},
		{"GroupedIngest", testGroupedIngest},
		{"Reads", testReads},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newFixture(t, open(t)))
		})
	}
}

// Jobs is a core.Jobs that records what was queued: the bot's turns,
// routings and deliveries in Calls, the groups of bot turns in Groups,
// the routing timers in Timers.
type Jobs struct {
	mu          sync.Mutex
	calls       []string
	groups      [][]string
	fetchGroups int
	timers      []string
}

func (j *Jobs) add(s string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.calls = append(j.calls, s)
	return nil
}

// QueueBot records "bot:<message id>".
func (j *Jobs) QueueBot(_ context.Context, id string) error { return j.add("bot:" + id) }

// QueueBotFirst records "bot:<message id>" too.
func (j *Jobs) QueueBotFirst(_ context.Context, id string) error { return j.add("bot:" + id) }

// QueueBots records "bot:<message id>" for each message, and the group.
func (j *Jobs) QueueBots(_ context.Context, ids []string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, id := range ids {
		j.calls = append(j.calls, "bot:"+id)
	}
	j.groups = append(j.groups, slices.Clone(ids))
	return nil
}

// Groups returns the groups QueueBots queued, in order.
func (j *Jobs) Groups() [][]string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.groups)
}

// QueueRoute records "route:<request id>:<cause>".
func (j *Jobs) QueueRoute(_ context.Context, id, cause string) error {
	return j.add("route:" + id + ":" + cause)
}

// QueueDelivery records "deliver:<message id>".
func (j *Jobs) QueueDelivery(_ context.Context, id string) error { return j.add("deliver:" + id) }

// QueueDeliveryIn records "deliver:<message id>" too.
func (j *Jobs) QueueDeliveryIn(_ context.Context, id string, _ time.Duration) error {
	return j.add("deliver:" + id)
}

// ScheduleEscalation records "escalate:<request id>:<step>" in Timers.
func (j *Jobs) ScheduleEscalation(_ context.Context, id string, step int, _ time.Time) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.timers = append(j.timers, fmt.Sprintf("escalate:%s:%d", id, step))
	return nil
}

// ScheduleRerouteCheck records "reroute:<request id>" in Timers.
func (j *Jobs) ScheduleRerouteCheck(_ context.Context, id string, _ time.Time) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.timers = append(j.timers, "reroute:"+id)
	return nil
}

// QueueMediaFetch records "fetch:<attachment id>".
func (j *Jobs) QueueMediaFetch(_ context.Context, id, _ string) error { return j.add("fetch:" + id) }

// QueueMediaFetches records "fetch:<attachment id>" for each attachment.
func (j *Jobs) QueueMediaFetches(_ context.Context, ids []string, _ string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, id := range ids {
		j.calls = append(j.calls, "fetch:"+id)
	}
	j.fetchGroups++
	return nil
}

// FetchGroups is how many times QueueMediaFetches queued a group.
func (j *Jobs) FetchGroups() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.fetchGroups
}

// Timers returns the routing timers scheduled so far, in order.
func (j *Jobs) Timers() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.timers)
}

// Calls returns what was queued so far, in order.
func (j *Jobs) Calls() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.calls)
}

// fx builds test data in one store.
type fx struct {
	t   *testing.T
	s   core.Store
	ctx context.Context
	n   atomic.Int64
}

func newFixture(t *testing.T, s core.Store) *fx {
	return &fx{t: t, s: s, ctx: context.Background()}
}

// t0 is the suite's reference time (a Wednesday), with microseconds.
var t0 = time.Date(2026, 3, 11, 15, 4, 5, 123456000, time.UTC)

// at is t0 moved by d.
func at(d time.Duration) time.Time { return t0.Add(d) }

// seq returns a number unique within the fixture.
func (f *fx) seq() int64 { return f.n.Add(1) }

// agent creates an online agent; mod adjusts it before it is stored.
func (f *fx) agent(mod func(*core.Agent)) core.Agent {
	f.t.Helper()
	n := f.seq()
	a := core.Agent{ID: core.NewID(), Email: fmt.Sprintf("agent%d@example.com", n), Name: fmt.Sprintf("Agent %03d", n),
		Roles: []string{}, Online: true, MaxChats: 4, PasswordHash: "hash", CreatedAt: t0, StatusAt: t0}
	if mod != nil {
		mod(&a)
	}
	if err := f.s.CreateAgent(f.ctx, a); err != nil {
		f.t.Fatalf("create agent: %v", err)
	}
	return a
}

// customer creates a customer on channel.
func (f *fx) customer(channel, name string) core.Customer {
	f.t.Helper()
	c := core.Customer{ID: core.NewID(), ChannelID: channel, ChannelUserID: fmt.Sprintf("user-%d", f.seq()), Name: name,
		Visits: 1, CreatedAt: t0, LastSeenAt: t0}
	if err := f.s.CreateCustomer(f.ctx, c); err != nil {
		f.t.Fatalf("create customer: %v", err)
	}
	return c
}

// conversation creates a conversation of cu (status bot unless mod says).
func (f *fx) conversation(cu core.Customer, mod func(*core.Conversation)) core.Conversation {
	f.t.Helper()
	c := core.Conversation{ID: core.NewID(), ChannelID: cu.ChannelID, CustomerID: cu.ID, Customer: cu,
		Status: core.ConvBot, CreatedAt: t0, LastMessageAt: t0}
	if mod != nil {
		mod(&c)
	}
	if err := f.s.CreateConversation(f.ctx, c); err != nil {
		f.t.Fatalf("create conversation: %v", err)
	}
	return c
}

// request creates a waiting request for cv and links cv to it (status
// waiting).
func (f *fx) request(cv core.Conversation, mod func(*core.Request)) core.Request {
	f.t.Helper()
	r := core.Request{ID: core.NewID(), ConversationID: cv.ID, CustomerID: cv.CustomerID, Customer: cv.Customer,
		ChannelID: cv.ChannelID, Status: core.ReqWaiting, Reason: core.ReasonCustomerAsked,
		InitialMessage: "help", CreatedAt: t0, UpdatedAt: t0}
	if mod != nil {
		mod(&r)
	}
	if err := f.s.CreateRequest(f.ctx, r); err != nil {
		f.t.Fatalf("create request: %v", err)
	}
	cv.RequestID = r.ID
	if cv.Status == core.ConvBot {
		cv.Status = core.ConvWaiting
	}
	if err := f.s.UpdateConversation(f.ctx, cv); err != nil {
		f.t.Fatalf("link request to conversation: %v", err)
	}
	return r
}

// message stores a message in cv.
func (f *fx) message(cv core.Conversation, author core.Author, text string, mod func(*core.Message)) core.Message {
	f.t.Helper()
	m := core.Message{ID: core.NewID(), ConversationID: cv.ID, ChannelID: cv.ChannelID, Author: author, Text: text,
		CreatedAt: t0}
	if mod != nil {
		mod(&m)
	}
	if err := f.s.InsertMessage(f.ctx, m); err != nil {
		f.t.Fatalf("insert message: %v", err)
	}
	return m
}

// offer offers r to agents.
func (f *fx) offer(r core.Request, agents ...core.Agent) {
	f.t.Helper()
	if err := f.s.SetOffers(f.ctx, r.ID, ids(agents), t0); err != nil {
		f.t.Fatalf("set offers: %v", err)
	}
}

// service is a Service on the fixture's store.
func (f *fx) service(now func() time.Time) (*core.Service, *Jobs) {
	j := &Jobs{}
	return core.NewService(core.Deps{Store: f.s, Jobs: j, BcryptCost: 4, Now: now}, core.DefaultSettings()), j
}

func ids[T interface {
	core.Agent | core.Conversation | core.Request | core.Message
}](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		switch v := any(x).(type) {
		case core.Agent:
			out[i] = v.ID
		case core.Conversation:
			out[i] = v.ID
		case core.Request:
			out[i] = v.ID
		case core.Message:
			out[i] = v.ID
		}
	}
	return out
}

// equal fails the test unless got and want are deeply equal.
func equal[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got: %+v\nwant: %+v", what, got, want)
	}
}

// isErr fails the test unless errors.Is(err, target).
func isErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: got error %v, want %v", what, err, target)
	}
}

// ok fails the test now on an error.
func ok(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// norm makes a request comparable: empty slices are nil, offers sorted
// (the order of OfferedTo is not part of the contract).
func norm(r core.Request) core.Request {
	if len(r.Declines) == 0 {
		r.Declines = nil
	}
	if len(r.OfferedTo) == 0 {
		r.OfferedTo = nil
	}
	r.OfferedTo = slices.Sorted(slices.Values(r.OfferedTo))
	if len(r.OfferedTo) == 0 {
		r.OfferedTo = nil
	}
	return r
}

func sorted(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return slices.Sorted(slices.Values(s))
}
