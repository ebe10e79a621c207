package core_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/core"
	"github.com/switchboard-chat/switchboard/core/memstore"
)

// t0 is when every test starts.
var t0 = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

const password = "correct horse"

// What the Service tells customers.
const (
	// offlineAck is the default offline acknowledgment with the default ETA.
	offlineAck = "No agent is available right now. Expected reply within 15 minutes."
	// queuedFirst is the queue message of the first request with agents
	// online and no accepts yet to estimate from (the default ETA).
	queuedFirst = "You're next in line. An agent will be with you in about 15 minutes."
	handingOff  = "Let me connect you with a person who can help."
)

// clock is the injected core.Deps.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type routeCall struct{ RequestID, Cause string }

// fakeJobs records every enqueue.
type fakeJobs struct {
	mu       sync.Mutex
	bots     []string
	routes   []routeCall
	delivers []string
	waits    []time.Duration // of each delivery (0: at once)
	timers   []timerCall
	urgent   []string // bot turns queued ahead (also in bots)
	fetches  []string // attachment ids of media:fetch
}

func (j *fakeJobs) QueueMediaFetch(_ context.Context, id, _ string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.fetches = append(j.fetches, id)
	return nil
}

// QueueMediaFetches records each attachment as a fetch.
func (j *fakeJobs) QueueMediaFetches(_ context.Context, ids []string, _ string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.fetches = append(j.fetches, ids...)
	return nil
}

func (j *fakeJobs) Fetches() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.fetches)
}

// timerCall is a scheduled routing timer: kind "escalate" (with step) or
// "reroute".
type timerCall struct {
	Kind, RequestID string
	Step            int
	At              time.Time
}

func (j *fakeJobs) ScheduleEscalation(_ context.Context, id string, step int, at time.Time) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.timers = append(j.timers, timerCall{"escalate", id, step, at})
	return nil
}

func (j *fakeJobs) ScheduleRerouteCheck(_ context.Context, id string, at time.Time) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.timers = append(j.timers, timerCall{"reroute", id, 0, at})
	return nil
}

func (j *fakeJobs) Timers() []timerCall {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.timers)
}

func (j *fakeJobs) QueueBot(_ context.Context, id string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.bots = append(j.bots, id)
	return nil
}

func (j *fakeJobs) QueueBotFirst(ctx context.Context, id string) error {
	j.mu.Lock()
	j.urgent = append(j.urgent, id)
	j.mu.Unlock()
	return j.QueueBot(ctx, id)
}

// QueueBots records each message as a bot turn.
func (j *fakeJobs) QueueBots(_ context.Context, ids []string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.bots = append(j.bots, ids...)
	return nil
}

func (j *fakeJobs) QueueRoute(_ context.Context, id, cause string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.routes = append(j.routes, routeCall{id, cause})
	return nil
}

func (j *fakeJobs) QueueDelivery(ctx context.Context, id string) error {
	return j.QueueDeliveryIn(ctx, id, 0)
}

func (j *fakeJobs) QueueDeliveryIn(_ context.Context, id string, wait time.Duration) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.delivers = append(j.delivers, id)
	j.waits = append(j.waits, wait)
	return nil
}

func (j *fakeJobs) Waits() []time.Duration {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.waits)
}

func (j *fakeJobs) Bots() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.bots)
}

func (j *fakeJobs) Routes() []routeCall {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.routes)
}

func (j *fakeJobs) Delivers() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.delivers)
}

// routedWith lists the causes the request was routed with.
func (j *fakeJobs) routedWith(requestID string) []string {
	var causes []string
	for _, r := range j.Routes() {
		if r.RequestID == requestID {
			causes = append(causes, r.Cause)
		}
	}
	return causes
}

// fakeSender records what it sends and answers with err, or id, or a
// fresh provider id when id is empty.
type fakeSender struct {
	mu   sync.Mutex
	sent []core.Outbound
	id   string
	err  error
}

func (s *fakeSender) Send(_ context.Context, m core.Outbound) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, m)
	if s.err != nil {
		return "", s.err
	}
	if s.id == "" {
		return fmt.Sprintf("provider-%d", len(s.sent)), nil
	}
	return s.id, nil
}

func (s *fakeSender) set(id string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.id, s.err = id, err
}

func (s *fakeSender) Sent() []core.Outbound {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sent)
}

// env is one Service on a fresh memstore.
type env struct {
	t      *testing.T
	ctx    context.Context
	svc    *core.Service
	store  *memstore.Store
	jobs   *fakeJobs
	clock  *clock
	sender *fakeSender
	events *fakeEvents
	admin  core.Agent
}

// testSettings: the defaults plus a WhatsApp and a Telegram channel (the
// latter without a sender) and one template.
func testSettings() core.Settings {
	set := core.DefaultSettings()
	set.Channels = append(set.Channels, core.Channel{ID: "wa", Type: "whatsapp"},
		core.Channel{ID: "tg", Type: "telegram"})
	set.Templates = []core.Template{{Name: "opening", Shortcut: "/hi",
		Body: "Hi [Name], I'm [Agent] on [Channel]. ([FullName])"}}
	// Off unless a test turns them on: no offline acknowledgment, no
	// housekeeping.
	set.Offline.Message = ""
	set.Conversations = core.ConversationSettings{}
	return set
}

// withOffline turns the offline acknowledgment on, as configured by
// default.
func withOffline(set *core.Settings) { set.Offline = core.DefaultSettings().Offline }

// systemTexts lists the system messages of the conversation, in order.
func (e *env) systemTexts(convID string) []string {
	e.t.Helper()
	var out []string
	for _, m := range e.messages(convID) {
		if m.Author == core.AuthorSystem {
			out = append(out, m.Text)
		}
	}
	return out
}

func newEnv(t *testing.T, mods ...func(*core.Settings)) *env {
	t.Helper()
	set := testSettings()
	for _, m := range mods {
		m(&set)
	}
	e := &env{t: t, ctx: context.Background(), store: memstore.New(), jobs: &fakeJobs{},
		clock: &clock{now: t0}, sender: &fakeSender{}, events: &fakeEvents{}}
	e.svc = core.NewService(core.Deps{Store: e.store, Jobs: e.jobs, Events: e.events, Now: e.clock.Now, BcryptCost: 4}, set)
	e.svc.RegisterSender("web", e.sender)
	e.svc.RegisterSender("wa", e.sender)
	e.admin = e.addAgent("Root", 4, true, false)
	return e
}

func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want %v", err, target)
	}
}

// wantField checks a *core.FieldError naming field.
func wantField(t *testing.T, err error, field string) {
	t.Helper()
	wantErr(t, err, core.ErrInvalid)
	var fe *core.FieldError
	if !errors.As(err, &fe) || fe.Field != field {
		t.Fatalf("error = %v, want a field error on %q", err, field)
	}
}

// addAgent creates an agent (e-mail: lower-case name at example.com, its
// spaces turned into dots).
func (e *env) addAgent(name string, maxChats int, admin, online bool) core.Agent {
	e.t.Helper()
	email := strings.ReplaceAll(strings.ToLower(name), " ", ".") + "@example.com"
	a, err := e.svc.AddAgent(e.ctx, core.NewAgent{Email: email, Name: name,
		Password: password, MaxChats: maxChats, Admin: admin})
	ok(e.t, err)
	if online {
		a, err = e.svc.SetOnline(e.ctx, a, true)
		ok(e.t, err)
	}
	return a
}

// online creates a non-admin online agent with room for four chats.
func (e *env) online(name string) core.Agent {
	e.t.Helper()
	return e.addAgent(name, 4, false, true)
}

// visitor starts a widget session for a customer called name.
func (e *env) visitor(name string) (core.Visitor, core.WidgetSession) {
	e.t.Helper()
	ws, err := e.svc.StartWidgetSession(e.ctx, core.WidgetSessionInput{Name: name, PageURL: "https://shop.example/cart"})
	ok(e.t, err)
	v, err := e.svc.VisitorByToken(e.ctx, ws.Token)
	ok(e.t, err)
	return v, ws
}

// request opens a connection request for a new visitor called name.
func (e *env) request(name, text string) core.Request {
	e.t.Helper()
	v, _ := e.visitor(name)
	r, err := e.svc.VisitorHandoff(e.ctx, v, text)
	ok(e.t, err)
	return r
}

// routed opens a request and offers it to every eligible agent.
func (e *env) routed(name, text string) core.Request {
	e.t.Helper()
	r := e.request(name, text)
	ok(e.t, e.svc.Route(e.ctx, r.ID))
	return e.req(r.ID)
}

// active opens a request that agent accepts.
func (e *env) active(name string, agent core.Agent) core.Conversation {
	e.t.Helper()
	r := e.routed(name, "I need help with my invoice")
	_, conv, err := e.svc.Accept(e.ctx, agent, r.ID)
	ok(e.t, err)
	return conv
}

func (e *env) req(id string) core.Request {
	e.t.Helper()
	r, err := e.store.RequestByID(e.ctx, id)
	ok(e.t, err)
	return r
}

func (e *env) conv(id string) core.Conversation {
	e.t.Helper()
	c, err := e.store.ConversationByID(e.ctx, id)
	ok(e.t, err)
	return c
}

func (e *env) msg(id string) core.Message {
	e.t.Helper()
	m, err := e.store.MessageByID(e.ctx, id)
	ok(e.t, err)
	return m
}

func (e *env) agent(id string) core.Agent {
	e.t.Helper()
	a, err := e.store.AgentByID(e.ctx, id)
	ok(e.t, err)
	return a
}

func (e *env) messages(convID string) []core.Message {
	e.t.Helper()
	ms, err := e.store.ListMessages(e.ctx, convID, "", 0)
	ok(e.t, err)
	return ms
}

func (e *env) last(convID string) core.Message {
	e.t.Helper()
	ms := e.messages(convID)
	if len(ms) == 0 {
		e.t.Fatalf("conversation %s has no messages", convID)
	}
	return ms[len(ms)-1]
}

// count counts the conversation's messages by author with text.
func (e *env) count(convID string, author core.Author, text string) int {
	e.t.Helper()
	n := 0
	for _, m := range e.messages(convID) {
		if m.Author == author && m.Text == text {
			n++
		}
	}
	return n
}

func (e *env) allRequests() []core.Request {
	e.t.Helper()
	rs, err := e.store.ListRequests(e.ctx, core.RequestQuery{})
	ok(e.t, err)
	return rs
}

func ids[T any](xs []T, id func(T) string) []string {
	out := []string{}
	for _, x := range xs {
		out = append(out, id(x))
	}
	return out
}

func reqIDs(rs []core.Request) []string { return ids(rs, func(r core.Request) string { return r.ID }) }

func convIDs(cs []core.Conversation) []string {
	return ids(cs, func(c core.Conversation) string { return c.ID })
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func mustEqual[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

func mustSlice[T comparable](t *testing.T, what string, got, want []T) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}
