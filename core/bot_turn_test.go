package core_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

func TestRunBotHandoffPhrase(t *testing.T) {
	e := newEnv(t, withOffline)
	m := e.ingest("4917", "wamid.1", "Can I talk to a PERSON, please?")
	ok(t, e.svc.RunBot(e.ctx, m.ID))

	reqs := e.allRequests()
	if len(reqs) != 1 {
		t.Fatalf("requests = %d, want 1", len(reqs))
	}
	r := reqs[0]
	mustEqual(t, "status", r.Status, core.ReqWaiting)
	mustEqual(t, "reason", r.Reason, core.ReasonCustomerAsked)
	mustEqual(t, "initial message", r.InitialMessage, m.Text)
	mustEqual(t, "channel", r.ChannelID, "wa")
	c := e.conv(m.ConversationID)
	mustEqual(t, "conversation status", c.Status, core.ConvWaiting)
	mustEqual(t, "conversation request", c.RequestID, r.ID)
	last := e.last(m.ConversationID)
	mustEqual(t, "notice author", last.Author, core.AuthorSystem)
	mustEqual(t, "notice (nobody online)", last.Text, offlineAck)
	mustSlice(t, "system messages", e.systemTexts(m.ConversationID), []string{offlineAck})
	mustEqual(t, "notice delivery (sent by the worker)", last.Delivery, core.DeliverySent)
	mustEqual(t, "msg:deliver tasks", len(e.jobs.Delivers()), 0)
	mustSlice(t, "sent", sentTexts(e.sender), []string{offlineAck})
	mustEqual(t, "request:route tasks (the worker routed it)", len(e.jobs.routedWith(r.ID)), 0)
	mustEqual(t, "routed by its rule", r.Routing.Rule, core.DefaultRuleName)
	if e.msg(m.ID).ProcessedAt.IsZero() {
		t.Fatal("message not marked processed")
	}
}

func TestRunBotFallbackThenHandoff(t *testing.T) {
	e := newEnv(t, withOffline) // max_unanswered: 2
	m1 := e.ingest("4917", "wamid.1", "What are your opening hours?")
	ok(t, e.svc.RunBot(e.ctx, m1.ID))
	reply := e.last(m1.ConversationID)
	mustEqual(t, "reply author", reply.Author, core.AuthorBot)
	if !strings.Contains(reply.Text, "talk to a person") {
		t.Fatalf("fallback reply = %q", reply.Text)
	}
	mustEqual(t, "reply delivery (sent by the worker)", reply.Delivery, core.DeliverySent)
	mustSlice(t, "sent", sentTexts(e.sender), []string{reply.Text})
	mustEqual(t, "status", e.conv(m1.ConversationID).Status, core.ConvBot)
	mustEqual(t, "misses", e.conv(m1.ConversationID).BotMisses, 1)
	mustEqual(t, "requests", len(e.allRequests()), 0)

	// RunBot twice on one message is a no-op.
	n := len(e.messages(m1.ConversationID))
	ok(t, e.svc.RunBot(e.ctx, m1.ID))
	mustEqual(t, "messages after rerun", len(e.messages(m1.ConversationID)), n)
	mustEqual(t, "sends after rerun", len(e.sender.Sent()), 1)
	mustEqual(t, "misses after rerun", e.conv(m1.ConversationID).BotMisses, 1)

	m2 := e.ingest("4917", "wamid.2", "Do you ship to Mars?")
	ok(t, e.svc.RunBot(e.ctx, m2.ID))
	reqs := e.allRequests()
	if len(reqs) != 1 {
		t.Fatalf("requests = %d, want 1 after %d misses", len(reqs), 2)
	}
	mustEqual(t, "reason", reqs[0].Reason, core.ReasonBotHandoff)
	mustEqual(t, "initial message", reqs[0].InitialMessage, m1.Text)
	mustEqual(t, "handing-off replies", e.count(m1.ConversationID, core.AuthorBot, handingOff), 1)
	mustSlice(t, "system messages (nobody online)", e.systemTexts(m1.ConversationID), []string{offlineAck})
	mustEqual(t, "status", e.conv(m1.ConversationID).Status, core.ConvWaiting)
	mustEqual(t, "request:route tasks (the worker routed it)", len(e.jobs.routedWith(reqs[0].ID)), 0)
	mustEqual(t, "routed by its rule", reqs[0].Routing.Rule, core.DefaultRuleName)

	// Later messages while waiting get no bot reply.
	n = len(e.messages(m1.ConversationID))
	m3 := e.ingest("4917", "wamid.3", "hello?")
	ok(t, e.svc.RunBot(e.ctx, m3.ID))
	mustEqual(t, "messages", len(e.messages(m1.ConversationID)), n+1)
	if e.msg(m3.ID).ProcessedAt.IsZero() {
		t.Fatal("message in a waiting conversation not marked processed")
	}
}

func TestRunBotDisabled(t *testing.T) {
	e := newEnv(t, func(s *core.Settings) { s.Bot.Enabled = false })
	m := e.ingest("4917", "wamid.1", "hello")
	ok(t, e.svc.RunBot(e.ctx, m.ID))
	reqs := e.allRequests()
	if len(reqs) != 1 || reqs[0].Reason != core.ReasonCustomerAsked {
		t.Fatalf("requests = %+v, want one customer_asked request", reqs)
	}
	for _, msg := range e.messages(m.ConversationID) {
		if msg.Author == core.AuthorBot {
			t.Fatalf("disabled bot replied %q", msg.Text)
		}
	}
}

func TestRunBotNeverHandsOffWithoutLimit(t *testing.T) {
	e := newEnv(t, func(s *core.Settings) { s.Bot.MaxUnanswered = 0 })
	var conv string
	for _, id := range []string{"a", "b", "c", "d"} {
		m := e.ingest("4917", id, "something odd")
		ok(t, e.svc.RunBot(e.ctx, m.ID))
		conv = m.ConversationID
	}
	mustEqual(t, "requests", len(e.allRequests()), 0)
	mustEqual(t, "misses", e.conv(conv).BotMisses, 4)
}

func TestRunBotIgnoresStaleWork(t *testing.T) {
	e := newEnv(t)
	ok(t, e.svc.RunBot(e.ctx, "no-such-message"))
	_, ws := e.visitor("Ada")
	greeting := e.messages(ws.ConversationID)[0]
	ok(t, e.svc.RunBot(e.ctx, greeting.ID)) // not a customer message
	mustEqual(t, "messages", len(e.messages(ws.ConversationID)), 1)
	if slices.Contains(e.jobs.Delivers(), greeting.ID) {
		t.Fatal("greeting queued for delivery")
	}
}

// sentTexts lists the texts snd sent, in order.
func sentTexts(snd *fakeSender) []string {
	var out []string
	for _, o := range snd.Sent() {
		out = append(out, o.Text)
	}
	return out
}

// The bot's turn sends its replies itself, after the commit; what fails
// is left to msg:deliver tasks: the message and those after it in its
// conversation, so that a retry cannot overtake.
func TestBotTurnSendsItsReplies(t *testing.T) {
	cases := []struct {
		name     string
		err      error
		delivery core.Delivery
		tasks    int           // msg:deliver tasks queued
		wait     time.Duration // before each task may start
		sends    int           // attempts at the provider
	}{
		{"sent", nil, core.DeliverySent, 0, 0, 2},
		{"a provider hiccup is left to tasks", errors.New("connection reset"), core.DeliveryQueued, 2, 0, 1},
		{"a rate limit is left to tasks that wait as asked", fmt.Errorf("send: %w", rateLimited(30*time.Second)), core.DeliveryQueued, 2, 30 * time.Second, 1},
		{"a permanent refusal fails the message", &core.DeliveryError{Permanent: true, Code: "131047", Reason: "outside the 24 h window"}, core.DeliveryFailed, 0, 0, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t) // max_unanswered: 2
			m1 := e.ingest("4917", "wamid.1", "What are your opening hours?")
			m2 := e.ingest("4917", "wamid.2", "Do you ship to Mars?")
			e.sender.set("", tc.err)
			ok(t, e.svc.RunBots(e.ctx, []string{m1.ID, m2.ID}))
			var out []core.Message
			for _, m := range e.messages(m1.ConversationID) {
				if m.Author != core.AuthorCustomer {
					out = append(out, m)
				}
			}
			// fallback, handing off (nobody online, no offline
			// acknowledgment configured: no notice)
			mustEqual(t, "replies", len(out), 2)
			mustEqual(t, "msg:deliver tasks", len(e.jobs.Delivers()), tc.tasks)
			if tc.tasks > 0 {
				mustSlice(t, "tasks, in order", e.jobs.Delivers(), []string{out[0].ID, out[1].ID})
				mustSlice(t, "waits of the tasks", e.jobs.Waits(), []time.Duration{tc.wait, tc.wait})
			}
			mustEqual(t, "sends", len(e.sender.Sent()), tc.sends)
			for _, m := range out {
				mustEqual(t, "delivery of "+m.Text, m.Delivery, tc.delivery)
			}
		})
	}
}

// rateLimited is a provider's refusal that asks for a wait (core.RetryAfter).
type rateLimited time.Duration

func (r rateLimited) Error() string             { return "rate limited" }
func (r rateLimited) RetryAfter() time.Duration { return time.Duration(r) }

// recordSpy counts RecordSent calls and can fail them.
type recordSpy struct {
	core.Store
	calls [][]core.SentMessage
	fail  error
}

func (r *recordSpy) RecordSent(ctx context.Context, at time.Time, sent []core.SentMessage) error {
	r.calls = append(r.calls, sent)
	if r.fail != nil {
		return r.fail
	}
	return r.Store.RecordSent(ctx, at, sent)
}

// TestBotTurnRecordsItsSendsTogether: the answers of a group of
// conversations are recorded in one RecordSent; when that fails, they are
// left to msg:deliver tasks and stay queued.
func TestBotTurnRecordsItsSendsTogether(t *testing.T) {
	for _, fail := range []error{nil, errors.New("database gone")} {
		t.Run(fmt.Sprint("record error ", fail), func(t *testing.T) {
			e := newEnv(t)
			ids := []string{
				e.ingest("4917", "wamid.1", "Where is my order?").ID,
				e.ingest("4918", "wamid.2", "Where is my order?").ID,
				e.ingest("4919", "wamid.3", "where is my order").ID,
			}
			spy := &recordSpy{Store: e.store, fail: fail}
			svc := core.NewService(core.Deps{Store: spy, Jobs: e.jobs, Events: e.events, Now: e.clock.Now, BcryptCost: 4}, testSettings())
			svc.RegisterSender("wa", e.sender)
			ok(t, svc.RunBots(e.ctx, ids))
			mustEqual(t, "sends", len(e.sender.Sent()), 3)
			mustEqual(t, "RecordSent calls", len(spy.calls), 1)
			mustEqual(t, "messages recorded", len(spy.calls[0]), 3)
			var answers []string
			for _, id := range ids {
				m, err := e.store.MessageByID(e.ctx, id)
				ok(t, err)
				for _, a := range e.messages(m.ConversationID) {
					if a.Author != core.AuthorBot {
						continue
					}
					answers = append(answers, a.ID)
					want := core.DeliverySent
					if fail != nil {
						want = core.DeliveryQueued
					}
					mustEqual(t, "delivery of the answer in "+m.ConversationID, a.Delivery, want)
					if fail == nil && a.ProviderID == "" {
						t.Errorf("answer %s recorded without its provider id", a.ID)
					}
				}
			}
			mustEqual(t, "answers", len(answers), 3)
			if fail != nil {
				got := e.jobs.Delivers()
				slices.Sort(got)
				slices.Sort(answers)
				mustSlice(t, "msg:deliver tasks", got, answers)
			} else {
				mustEqual(t, "msg:deliver tasks", len(e.jobs.Delivers()), 0)
			}
		})
	}
}

// routeFails is a store whose request locks fail: routing cannot run.
type routeFails struct{ core.Store }

func (r routeFails) Atomic(ctx context.Context, fn func(core.Tx) error) error {
	return r.Store.Atomic(ctx, func(tx core.Tx) error { return fn(lockRequestFails{tx}) })
}

type lockRequestFails struct{ core.Tx }

func (lockRequestFails) LockRequest(context.Context, string) (core.Request, error) {
	return core.Request{}, errors.New("database gone")
}

// TestBotHandoffRoutingFailsToATask: when the worker cannot route the new
// request, a request:route task does, and the request waits unrouted.
func TestBotHandoffRoutingFailsToATask(t *testing.T) {
	e := newEnv(t)
	m := e.ingest("4917", "wamid.1", "I want to talk to a person")
	svc := core.NewService(core.Deps{Store: routeFails{e.store}, Jobs: e.jobs, Events: e.events, Now: e.clock.Now, BcryptCost: 4}, testSettings())
	svc.RegisterSender("wa", e.sender)
	ok(t, svc.RunBot(e.ctx, m.ID))
	reqs := e.allRequests()
	mustEqual(t, "requests", len(reqs), 1)
	mustEqual(t, "status", reqs[0].Status, core.ReqWaiting)
	mustEqual(t, "rule (not routed yet)", reqs[0].Routing.Rule, "")
	mustSlice(t, "request:route tasks", e.jobs.routedWith(reqs[0].ID), []string{"open"})
}

func TestStartCommandGreets(t *testing.T) {
	for _, text := range []string{"/start", "/start promo-42", "/start@ShopBot"} {
		e := newEnv(t)
		m, err := e.svc.Ingest(e.ctx, core.Inbound{ChannelID: "tg", ChannelUserID: "42", ProviderID: "u1", Text: text})
		ok(t, err)
		ok(t, e.svc.RunBot(e.ctx, m.ID))
		last := e.last(m.ConversationID)
		mustEqual(t, text+": reply", last.Text, core.DefaultGreeting)
		mustEqual(t, text+": author", last.Author, core.AuthorBot)
		mustEqual(t, text+": no miss counted", e.conv(m.ConversationID).BotMisses, 0)
	}
	e := newEnv(t)
	m, err := e.svc.Ingest(e.ctx, core.Inbound{ChannelID: "tg", ChannelUserID: "42", ProviderID: "u2", Text: "/starting soon?"})
	ok(t, err)
	ok(t, e.svc.RunBot(e.ctx, m.ID))
	mustEqual(t, "not a start command: a miss", e.conv(m.ConversationID).BotMisses, 1)
}
