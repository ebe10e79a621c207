package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

type sender struct{ n int }

func (s *sender) Send(context.Context, core.Outbound) (string, error) {
	s.n++
	return fmt.Sprintf("prov-%d", s.n), nil
}

// testService drives the store through the real Service, end to end.
func testService(t *testing.T, f *fx) {
	ctx := f.ctx
	var mu sync.Mutex
	clock := time.Now().UTC()
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
	svc, jobs := f.service(now)

	created, pw, err := svc.EnsureAdmin(ctx, "", "")
	ok(t, "ensure admin", err)
	if !created || pw == "" {
		t.Fatalf("first admin not created")
	}
	if created, _, err := svc.EnsureAdmin(ctx, "", ""); err != nil || created {
		t.Errorf("second EnsureAdmin: created %v, err %v", created, err)
	}
	_, admin, err := svc.Login(ctx, core.DefaultAdminEmail, pw)
	ok(t, "admin login", err)
	agent, err := svc.CreateAgent(ctx, admin, core.NewAgent{Email: "Mia@Example.com", Name: "Mia", Password: "password-1", Roles: []string{"Support"}})
	ok(t, "create agent", err)
	_, err = svc.CreateAgent(ctx, admin, core.NewAgent{Email: "mia@example.com", Name: "Mia 2", Password: "password-1"})
	isErr(t, "same e-mail", err, core.ErrDuplicate)
	token, _, err := svc.Login(ctx, "MIA@example.com", "password-1")
	ok(t, "login", err)
	me, err := svc.AgentByToken(ctx, token)
	ok(t, "agent by token", err)
	if me.ID != agent.ID || me.Email != "mia@example.com" || len(me.Roles) != 1 || me.Roles[0] != "support" {
		t.Errorf("agent by token: %+v", me)
	}
	agent, err = svc.SetOnline(ctx, agent, true)
	ok(t, "online", err)

	msg, err := svc.Ingest(ctx, core.Inbound{ChannelID: "web", ChannelUserID: "visitor-1", Name: "Dana Scully",
		ProviderID: "p-1", Text: "where is my parcel 4711"})
	ok(t, "ingest", err)
	_, err = svc.Ingest(ctx, core.Inbound{ChannelID: "web", ChannelUserID: "visitor-1", ProviderID: "p-1", Text: "again"})
	isErr(t, "ingest the same provider message", err, core.ErrDuplicate)
	ok(t, "bot", svc.RunBot(ctx, msg.ID))
	ok(t, "bot again (no-op)", svc.RunBot(ctx, msg.ID))
	advance(time.Second)
	msg2, err := svc.Ingest(ctx, core.Inbound{ChannelID: "web", ChannelUserID: "visitor-1", ProviderID: "p-2", Text: "talk to a person"})
	ok(t, "ingest handoff", err)
	if msg2.ConversationID != msg.ConversationID {
		t.Errorf("second message opened another conversation")
	}
	ok(t, "bot handoff", svc.RunBot(ctx, msg2.ID))
	conv, err := f.s.ConversationByID(ctx, msg.ConversationID)
	ok(t, "read conversation", err)
	if conv.Status != core.ConvWaiting || conv.RequestID == "" || conv.BotMisses != 1 || conv.Customer.Name != "Dana Scully" {
		t.Fatalf("after handoff: %+v", conv)
	}
	req, err := f.s.RequestByID(ctx, conv.RequestID)
	ok(t, "read request", err)
	if req.InitialMessage != msg.Text || req.Status != core.ReqWaiting {
		t.Errorf("request: %+v", req)
	}
	// The worker routed the request itself: no request:route task, and it
	// is on the online agent's panel already.
	if strings.Contains(strings.Join(jobs.Calls(), " "), "route:"+req.ID) {
		t.Errorf("a route job was queued: %v", jobs.Calls())
	}
	panel, err := svc.ListRequests(ctx, agent, "open")
	ok(t, "panel", err)
	if len(panel) != 1 || panel[0].ID != req.ID || !panel[0].OfferedToMe || panel[0].QueuePosition != 1 {
		t.Fatalf("panel: %+v", panel)
	}

	advance(20 * time.Second)
	acc, accConv, err := svc.Accept(ctx, agent, req.ID)
	ok(t, "accept", err)
	if acc.Status != core.ReqAccepted || accConv.Status != core.ConvActive || accConv.AgentID != agent.ID || acc.WaitSeconds != 20 {
		t.Errorf("accept: %+v %+v", acc, accConv)
	}
	again, againConv, err := svc.Accept(ctx, agent, req.ID)
	ok(t, "the winner accepts twice", err)
	if again.AcceptedBy != agent.ID || againConv.ID != conv.ID || againConv.AgentID != agent.ID {
		t.Errorf("second accept by the winner: %+v %+v", again, againConv)
	}
	other, err := svc.CreateAgent(ctx, admin, core.NewAgent{Email: "max@example.com", Name: "Max", Password: "password-2"})
	ok(t, "create agent", err)
	other, err = svc.SetOnline(ctx, other, true)
	ok(t, "online", err)
	_, _, err = svc.Accept(ctx, other, req.ID)
	isErr(t, "accept by another agent", err, core.ErrAlreadyAccepted)
	me, err = svc.Me(ctx, agent)
	ok(t, "me", err)
	if me.ActiveChats != 1 {
		t.Errorf("active chats after accept: %d", me.ActiveChats)
	}

	advance(30 * time.Second)
	reply, err := svc.SendAgentMessage(ctx, agent, conv.ID, "Let me look into parcel 4711.", "")
	ok(t, "reply", err)
	ok(t, "deliver without sender", svc.Deliver(ctx, reply.ID))
	got, err := f.s.MessageByID(ctx, reply.ID)
	ok(t, "read reply", err)
	if got.Delivery != core.DeliveryFailed || got.Error == "" {
		t.Errorf("delivery without a sender: %+v", got)
	}
	snd := &sender{}
	svc.RegisterSender("web", snd)
	reply2, err := svc.SendAgentMessage(ctx, agent, conv.ID, "Found it.", "")
	ok(t, "reply", err)
	ok(t, "deliver", svc.Deliver(ctx, reply2.ID))
	got, err = f.s.MessageByID(ctx, reply2.ID)
	ok(t, "read reply", err)
	if got.Delivery != core.DeliverySent || got.ProviderID != "prov-1" {
		t.Errorf("delivered: %+v", got)
	}

	advance(time.Minute)
	res, err := svc.Resolve(ctx, agent, conv.ID)
	ok(t, "resolve", err)
	if res.Status != core.ConvResolved || res.ResolvedAt.IsZero() {
		t.Errorf("resolved: %+v", res)
	}
	found, _, err := svc.SearchConversations(ctx, agent, core.ConversationQuery{Text: "parcel 4711", Customer: "scully",
		Statuses: []core.ConversationStatus{core.ConvResolved}})
	ok(t, "search", err)
	if len(found) != 1 || found[0].ID != conv.ID {
		t.Errorf("search found %+v", found)
	}
	_, msgs, err := svc.GetConversation(ctx, agent, conv.ID)
	ok(t, "get conversation", err)
	if len(msgs) < 6 {
		t.Errorf("conversation has %d messages", len(msgs))
	}
	st, err := svc.Stats(ctx)
	ok(t, "stats", err)
	if st.ResolvedTotal != 1 || st.ResolvedToday != 1 || st.Active != 0 || st.MedianWaitSeconds != 20 || st.MedianFirstResponse != 30 {
		t.Errorf("stats: %+v", st)
	}

	// Tokens expire by the Service's clock.
	advance(25 * time.Hour)
	_, err = svc.AgentByToken(ctx, token)
	isErr(t, "expired token", err, core.ErrUnauthorized)
	ok(t, "logout", svc.Logout(ctx, token))
	_, err = f.s.TokenByHash(ctx, core.HashToken(token))
	isErr(t, "token after logout", err, core.ErrNotFound)

	// The sweeper finds nothing lost: everything was handled.
	rep, err := svc.Sweep(ctx)
	ok(t, "sweep", err)
	if rep.Bot != 0 || rep.Route != 0 {
		t.Errorf("sweep after everything was handled: %+v", rep)
	}
}

// raceSetup stores, in one transaction, a waiting request offered to every
// agent of agents.
func raceSetup(t *testing.T, f *fx, agents []core.Agent) core.Request {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Microsecond)
	cu := core.Customer{ID: core.NewID(), ChannelID: "web", ChannelUserID: core.NewID(), CreatedAt: now, LastSeenAt: now}
	cv := core.Conversation{ID: core.NewID(), ChannelID: "web", CustomerID: cu.ID, Customer: cu, Status: core.ConvWaiting,
		CreatedAt: now, LastMessageAt: now}
	r := core.Request{ID: core.NewID(), ConversationID: cv.ID, CustomerID: cu.ID, Customer: cu, ChannelID: "web",
		Status: core.ReqWaiting, Reason: core.ReasonCustomerAsked, InitialMessage: "help", CreatedAt: now, UpdatedAt: now}
	cv.RequestID = r.ID
	err := f.s.Atomic(f.ctx, func(tx core.Tx) error {
		for _, step := range []func() error{
			func() error { return tx.CreateCustomer(f.ctx, cu) },
			func() error { return tx.CreateConversation(f.ctx, cv) },
			func() error { return tx.CreateRequest(f.ctx, r) },
			func() error { return tx.SetOffers(f.ctx, r.ID, ids(agents), now) },
		} {
			if err := step(); err != nil {
				return err
			}
		}
		return nil
	})
	ok(t, "race setup", err)
	return r
}

// race runs accept(i) for every i in [0, n) at once and returns the errors.
func race(n int, accept func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = accept(i)
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

// testAcceptRace: 50 agents accept one request at once, 100 times; exactly
// one wins each time and the others are told it was taken. The agents
// use 10 Services, like 10 gateway processes: accepts through one Service
// take turns in it, so the race between Services is what the store has
// to settle.
func testAcceptRace(t *testing.T, f *fx) {
	const agentsN, rounds, processes = 50, 100, 10
	svcs := make([]*core.Service, processes)
	for i := range svcs {
		svcs[i], _ = f.service(nil)
	}
	agents := make([]core.Agent, agentsN)
	err := f.s.Atomic(f.ctx, func(tx core.Tx) error {
		for i := range agents {
			agents[i] = core.Agent{ID: core.NewID(), Email: fmt.Sprintf("racer%d@example.com", i), Name: fmt.Sprintf("Racer %02d", i),
				Roles: []string{}, Online: true, MaxChats: rounds + 1, PasswordHash: "x", CreatedAt: t0, StatusAt: t0}
			if err := tx.CreateAgent(f.ctx, agents[i]); err != nil {
				return err
			}
		}
		return nil
	})
	ok(t, "create agents", err)
	wins := map[string]int{}
	for round := range rounds {
		req := raceSetup(t, f, agents)
		var mu sync.Mutex
		var winner core.Agent
		var winConv core.Conversation
		errs := race(agentsN, func(i int) error {
			_, conv, err := svcs[i%processes].Accept(f.ctx, agents[i], req.ID)
			if err == nil {
				mu.Lock()
				winner, winConv = agents[i], conv
				mu.Unlock()
			}
			return err
		})
		won, taken := 0, 0
		for i, err := range errs {
			switch {
			case err == nil:
				won++
			case errors.Is(err, core.ErrAlreadyAccepted):
				taken++
			default:
				t.Errorf("round %d, agent %d: unexpected error %v", round, i, err)
			}
		}
		if won != 1 || taken != agentsN-1 {
			t.Fatalf("round %d: %d accepts won, %d told already accepted; want 1 and %d", round, won, taken, agentsN-1)
		}
		wins[winner.ID]++
		conv, err := f.s.ConversationByID(f.ctx, req.ConversationID)
		ok(t, "read conversation", err)
		if conv.Status != core.ConvActive || conv.AgentID != winner.ID || winConv.AgentID != winner.ID {
			t.Fatalf("round %d: conversation %s with %s, winner %s", round, conv.Status, conv.AgentID, winner.ID)
		}
		got, err := f.s.RequestByID(f.ctx, req.ID)
		ok(t, "read request", err)
		if got.Status != core.ReqAccepted || got.AcceptedBy != winner.ID || len(got.OfferedTo) != 0 {
			t.Fatalf("round %d: request %+v", round, got)
		}
		msgs, err := f.s.ListMessages(f.ctx, conv.ID, "", 0)
		ok(t, "messages", err)
		if len(msgs) != 1 || !strings.Contains(msgs[0].Text, winner.Name) {
			t.Fatalf("round %d: messages %+v, want one join notice", round, msgs)
		}
	}
	total := 0
	list, err := f.s.ListAgents(f.ctx)
	ok(t, "list agents", err)
	for _, a := range list {
		total += a.ActiveChats
		if a.ActiveChats != wins[a.ID] {
			t.Errorf("agent %s: %d active chats, won %d", a.Name, a.ActiveChats, wins[a.ID])
		}
	}
	if total != rounds {
		t.Errorf("active chats %d, want %d", total, rounds)
	}
}

// testCapacityRace: an agent with room for one chat accepts 20 requests at
// once; exactly one succeeds, the rest find the agent at capacity.
func testCapacityRace(t *testing.T, f *fx) {
	const n, rounds = 20, 5
	svc, _ := f.service(nil)
	for round := range rounds {
		a := f.agent(func(a *core.Agent) { a.MaxChats = 1 })
		reqs := make([]core.Request, n)
		for i := range reqs {
			reqs[i] = raceSetup(t, f, []core.Agent{a})
		}
		errs := race(n, func(i int) error { _, _, err := svc.Accept(f.ctx, a, reqs[i].ID); return err })
		won, full := 0, 0
		for i, err := range errs {
			switch {
			case err == nil:
				won++
			case errors.Is(err, core.ErrAtCapacity):
				full++
			default:
				t.Errorf("round %d, request %d: unexpected error %v", round, i, err)
			}
		}
		if won != 1 || full != n-1 {
			t.Fatalf("round %d: %d accepted, %d at capacity; want 1 and %d", round, won, full, n-1)
		}
		got, err := f.s.AgentByID(f.ctx, a.ID)
		ok(t, "read agent", err)
		if got.ActiveChats != 1 {
			t.Errorf("round %d: active chats %d, want 1", round, got.ActiveChats)
		}
		open, err := f.s.ListRequests(f.ctx, core.RequestQuery{OfferedTo: a.ID, Statuses: []core.RequestStatus{core.ReqWaiting}})
		ok(t, "open requests", err)
		if len(open) != n-1 {
			t.Errorf("round %d: %d requests still waiting, want %d", round, len(open), n-1)
		}
	}
}

// testPageRace: a visitor's page change and an accept race, 30 times,
// through two Services (two gateways). Neither undoes the other: the
// request ends accepted, the conversation active with the agent and on
// the new page.
func testPageRace(t *testing.T, f *fx) {
	const rounds = 30
	agentSvc, _ := f.service(nil)
	pageSvc, _ := f.service(nil)
	agent := f.agent(func(a *core.Agent) { a.MaxChats = rounds + 1 })
	web := core.Channel{ID: "web", Type: core.ChannelWidget}
	for round := range rounds {
		req := raceSetup(t, f, []core.Agent{agent})
		cv, err := f.s.ConversationByID(f.ctx, req.ConversationID)
		ok(t, "read conversation", err)
		page := fmt.Sprintf("https://shop.example/page/%d", round)
		errs := race(2, func(i int) error {
			if i == 0 {
				_, _, err := agentSvc.Accept(f.ctx, agent, req.ID)
				return err
			}
			return pageSvc.VisitorPage(f.ctx, core.Visitor{Customer: cv.Customer, Channel: web}, page)
		})
		ok(t, "accept", errs[0])
		ok(t, "page", errs[1])
		gotReq, err := f.s.RequestByID(f.ctx, req.ID)
		ok(t, "read request", err)
		gotConv, err := f.s.ConversationByID(f.ctx, req.ConversationID)
		ok(t, "read conversation", err)
		if gotReq.Status != core.ReqAccepted || gotReq.AcceptedBy != agent.ID ||
			gotConv.Status != core.ConvActive || gotConv.AgentID != agent.ID || gotConv.PageURL != page {
			t.Fatalf("round %d: request %s by %q, conversation %s with %q on %q; want accepted, active with %s on %s",
				round, gotReq.Status, gotReq.AcceptedBy, gotConv.Status, gotConv.AgentID, gotConv.PageURL, agent.ID, page)
		}
	}
}
