package core_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

func TestStartWidgetSessionNewVisitor(t *testing.T) {
	e := newEnv(t)
	ws, err := e.svc.StartWidgetSession(e.ctx, core.WidgetSessionInput{Name: " Ada Lovelace ", Email: "ada@example.com",
		PageURL: "https://shop.example/cart"})
	ok(t, err)
	if ws.VisitorID == "" || ws.Token == "" || ws.ConversationID == "" {
		t.Fatalf("session misses ids: %+v", ws)
	}
	mustEqual(t, "returning", ws.Returning, false)
	mustEqual(t, "previous_visits", ws.PreviousVisits, 0)
	mustEqual(t, "greeting", ws.Greeting, "Hi! How can we help?")

	c := e.conv(ws.ConversationID)
	mustEqual(t, "status", c.Status, core.ConvBot)
	mustEqual(t, "channel", c.ChannelID, "web")
	mustEqual(t, "page", c.PageURL, "https://shop.example/cart")
	mustEqual(t, "customer name", c.Customer.Name, "Ada Lovelace")
	mustEqual(t, "channel user id", c.Customer.ChannelUserID, ws.VisitorID)
	ms := e.messages(ws.ConversationID)
	if len(ms) != 1 || ms[0].Author != core.AuthorBot || ms[0].Text != ws.Greeting {
		t.Fatalf("messages = %+v, want the greeting as one bot message", ms)
	}
	if len(e.jobs.Delivers()) != 0 {
		t.Fatalf("the stored greeting must not be sent: %v", e.jobs.Delivers())
	}
}

func TestStartWidgetSessionReturning(t *testing.T) {
	e := newEnv(t)
	first, err := e.svc.StartWidgetSession(e.ctx, core.WidgetSessionInput{ChannelID: "web"})
	ok(t, err)
	again, err := e.svc.StartWidgetSession(e.ctx, core.WidgetSessionInput{VisitorID: first.VisitorID,
		VisitorSecret: first.VisitorSecret, Name: "Ada"})
	ok(t, err)
	mustEqual(t, "visitor id", again.VisitorID, first.VisitorID)
	mustEqual(t, "returning", again.Returning, true)
	mustEqual(t, "previous_visits", again.PreviousVisits, 1)
	mustEqual(t, "conversation (still open)", again.ConversationID, first.ConversationID)
	mustEqual(t, "greetings stored", e.count(first.ConversationID, core.AuthorBot, first.Greeting), 1)
	if again.Token == first.Token {
		t.Fatal("each session needs its own token")
	}
	mustEqual(t, "name learned", e.conv(again.ConversationID).Customer.Name, "Ada")

	// After the conversation is resolved, the next session starts a new one.
	agent := e.online("Alice")
	v, err := e.svc.VisitorByToken(e.ctx, again.Token)
	ok(t, err)
	r, err := e.svc.VisitorHandoff(e.ctx, v, "help")
	ok(t, err)
	ok(t, e.svc.Route(e.ctx, r.ID))
	_, _, err = e.svc.Accept(e.ctx, agent, r.ID)
	ok(t, err)
	_, err = e.svc.Resolve(e.ctx, agent, r.ConversationID)
	ok(t, err)
	third, err := e.svc.StartWidgetSession(e.ctx, core.WidgetSessionInput{VisitorID: first.VisitorID,
		VisitorSecret: first.VisitorSecret})
	ok(t, err)
	if third.ConversationID == first.ConversationID {
		t.Fatal("a resolved conversation was resumed")
	}
	mustEqual(t, "previous_visits", third.PreviousVisits, 2)
	mustEqual(t, "status", e.conv(third.ConversationID).Status, core.ConvBot)
}

func TestStartWidgetSessionUnknownVisitorID(t *testing.T) {
	e := newEnv(t)
	ws, err := e.svc.StartWidgetSession(e.ctx, core.WidgetSessionInput{VisitorID: "made-up-visitor"})
	ok(t, err)
	if ws.VisitorID == "made-up-visitor" || ws.VisitorID == "" {
		t.Fatalf("visitor id = %q, want a fresh one", ws.VisitorID)
	}
	mustEqual(t, "returning", ws.Returning, false)
	mustEqual(t, "previous_visits", ws.PreviousVisits, 0)
}

// TestVisitorIDIsNoLogin performs the attack: an agent copies a
// customer's channel_user_id from the inbox (or a visitor guesses one) and
// starts a widget session with it, with no secret, a wrong one, or their
// own. Each time they get a new visitor of their own: no token of the
// customer, no read of their conversation, no rename, no visit counted.
// The customer, with their secret, still returns to their conversation.
func TestVisitorIDIsNoLogin(t *testing.T) {
	e := newEnv(t)
	agent := e.online("Mallory")
	victim, vs := e.visitor("Dana Scully")
	_, err := e.svc.VisitorSend(e.ctx, victim, "my card ends in 4242, refund it please")
	ok(t, err)
	r, err := e.svc.VisitorHandoff(e.ctx, victim, "")
	ok(t, err)
	ok(t, e.svc.Route(e.ctx, r.ID))
	seen, err := e.svc.GetRequest(e.ctx, agent, r.ID)
	ok(t, err)
	leaked := seen.Customer.ChannelUserID // what every agent sees
	mustEqual(t, "the id agents see is the visitor id", leaked, vs.VisitorID)
	if vs.VisitorSecret == "" || vs.VisitorSecret == vs.VisitorID || strings.Contains(vs.VisitorSecret, vs.VisitorID) {
		t.Fatalf("visitor secret %q: want a value apart from the id %q", vs.VisitorSecret, vs.VisitorID)
	}
	_, other := e.visitor("Other visitor")

	for _, tt := range []struct{ name, secret string }{
		{"the id alone", ""},
		{"a made-up secret", "sbs_guessed"},
		{"the attacker's own secret", other.VisitorSecret},
		{"the id as secret", leaked},
		{"the victim's token as secret", vs.Token},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.svc.StartWidgetSession(e.ctx, core.WidgetSessionInput{VisitorID: leaked, VisitorSecret: tt.secret,
				Name: "Hacked", PageURL: "https://evil.example/"})
			ok(t, err)
			if got.VisitorID == leaked || got.ConversationID == vs.ConversationID || got.Returning || got.PreviousVisits != 0 {
				t.Fatalf("session %+v: the attacker is the customer", got)
			}
			if got.VisitorSecret == "" || got.VisitorSecret == vs.VisitorSecret || got.VisitorSecret == tt.secret {
				t.Fatalf("visitor secret %q: want a fresh one", got.VisitorSecret)
			}
			v, err := e.svc.VisitorByToken(e.ctx, got.Token)
			ok(t, err)
			if v.Customer.ID == victim.Customer.ID {
				t.Fatal("the token opens the customer")
			}
			th, err := e.svc.VisitorMessages(e.ctx, v, "")
			ok(t, err)
			for _, m := range th.Messages {
				if strings.Contains(m.Text, "4242") {
					t.Fatalf("the attacker reads the customer's conversation: %q", m.Text)
				}
			}
			c, err := e.store.CustomerByID(e.ctx, victim.Customer.ID)
			ok(t, err)
			mustEqual(t, "the customer's name", c.Name, "Dana Scully")
			mustEqual(t, "the customer's visits", c.Visits, 1)
			mustEqual(t, "the customer's page", e.conv(vs.ConversationID).PageURL, "https://shop.example/cart")
		})
	}

	back, err := e.svc.StartWidgetSession(e.ctx, core.WidgetSessionInput{VisitorID: vs.VisitorID, VisitorSecret: vs.VisitorSecret})
	ok(t, err)
	mustEqual(t, "the customer returns", back.VisitorID, vs.VisitorID)
	mustEqual(t, "to their conversation", back.ConversationID, vs.ConversationID)
	mustEqual(t, "returning", back.Returning, true)
	mustEqual(t, "with the same secret", back.VisitorSecret, vs.VisitorSecret)
	stored, err := e.store.CustomerByID(e.ctx, victim.Customer.ID)
	ok(t, err)
	if stored.VisitorSecretHash != core.HashToken(vs.VisitorSecret) {
		t.Fatalf("stored %q: want only the secret's hash", stored.VisitorSecretHash)
	}
}

// TestVisitorSecretOfAnotherChannel: a secret resumes a visitor on the
// widget channel that issued it only.
func TestVisitorSecretOfAnotherChannel(t *testing.T) {
	e := newEnv(t, func(s *core.Settings) {
		s.Channels = append(s.Channels, core.Channel{ID: "docs", Type: core.ChannelWidget})
	})
	first, err := e.svc.StartWidgetSession(e.ctx, core.WidgetSessionInput{ChannelID: "web"})
	ok(t, err)
	there, err := e.svc.StartWidgetSession(e.ctx, core.WidgetSessionInput{ChannelID: "docs", VisitorID: first.VisitorID,
		VisitorSecret: first.VisitorSecret})
	ok(t, err)
	if there.Returning || there.VisitorID == first.VisitorID {
		t.Fatalf("session on another widget channel: %+v", there)
	}
}

func TestStartWidgetSessionInvalid(t *testing.T) {
	tests := []struct {
		name  string
		in    core.WidgetSessionInput
		want  error
		field string
	}{
		{"not a widget channel", core.WidgetSessionInput{ChannelID: "wa"}, core.ErrInvalid, "channel_id"},
		{"unknown channel", core.WidgetSessionInput{ChannelID: "nope"}, core.ErrNotFound, ""},
		{"page url scheme", core.WidgetSessionInput{PageURL: "ftp://shop.example/"}, core.ErrInvalid, "page_url"},
		{"page url relative", core.WidgetSessionInput{PageURL: "/cart"}, core.ErrInvalid, "page_url"},
		{"page url too long", core.WidgetSessionInput{PageURL: "https://x.example/" + strings.Repeat("a", core.MaxURLLen)}, core.ErrInvalid, "page_url"},
		{"email", core.WidgetSessionInput{Email: "not-an-email"}, core.ErrInvalid, "email"},
		{"visitor id", core.WidgetSessionInput{VisitorID: "../../etc"}, core.ErrInvalid, "visitor_id"},
		{"visitor secret", core.WidgetSessionInput{VisitorID: "v", VisitorSecret: "sbs_x y"}, core.ErrInvalid, "visitor_secret"},
		{"visitor secret too long", core.WidgetSessionInput{VisitorSecret: strings.Repeat("s", 65)}, core.ErrInvalid, "visitor_secret"},
		{"name too long", core.WidgetSessionInput{Name: strings.Repeat("n", core.MaxNameLen+1)}, core.ErrInvalid, "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			_, err := e.svc.StartWidgetSession(e.ctx, tt.in)
			if tt.field != "" {
				wantField(t, err, tt.field)
			} else {
				wantErr(t, err, tt.want)
			}
			all, _, err := e.store.SearchConversations(e.ctx, core.ConversationQuery{})
			ok(t, err)
			mustEqual(t, "conversations stored", len(all), 0)
		})
	}
}

func TestStartWidgetSessionNoWidgetChannel(t *testing.T) {
	e := newEnv(t, func(s *core.Settings) { s.Channels = []core.Channel{{ID: "wa", Type: "whatsapp"}} })
	_, err := e.svc.StartWidgetSession(e.ctx, core.WidgetSessionInput{})
	wantErr(t, err, core.ErrNotFound)
}

func TestTokens(t *testing.T) {
	e := newEnv(t)
	ws, err := e.svc.StartWidgetSession(e.ctx, core.WidgetSessionInput{})
	ok(t, err)
	agentToken, _, err := e.svc.Login(e.ctx, "root@example.com", password)
	ok(t, err)

	v, err := e.svc.VisitorByToken(e.ctx, ws.Token)
	ok(t, err)
	mustEqual(t, "visitor", v.Customer.ChannelUserID, ws.VisitorID)
	mustEqual(t, "visitor channel", v.Channel, core.Channel{ID: "web", Type: core.ChannelWidget})
	a, err := e.svc.AgentByToken(e.ctx, agentToken)
	ok(t, err)
	mustEqual(t, "agent", a.ID, e.admin.ID)

	tests := []struct {
		name  string
		check func() error
	}{
		{"visitor token on an agent route", func() error { _, err := e.svc.AgentByToken(e.ctx, ws.Token); return err }},
		{"agent token on a visitor route", func() error { _, err := e.svc.VisitorByToken(e.ctx, agentToken); return err }},
		{"empty agent token", func() error { _, err := e.svc.AgentByToken(e.ctx, ""); return err }},
		{"empty visitor token", func() error { _, err := e.svc.VisitorByToken(e.ctx, ""); return err }},
		{"unknown token", func() error { _, err := e.svc.AgentByToken(e.ctx, "sba_nothing"); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantErr(t, tt.check(), core.ErrUnauthorized) })
	}
}

func TestTokenExpiry(t *testing.T) {
	e := newEnv(t)
	ws, err := e.svc.StartWidgetSession(e.ctx, core.WidgetSessionInput{})
	ok(t, err)
	agentToken, _, err := e.svc.Login(e.ctx, "root@example.com", password)
	ok(t, err)
	set := e.svc.Settings()

	e.clock.Advance(set.AgentTokenTTL - time.Second)
	_, err = e.svc.AgentByToken(e.ctx, agentToken)
	ok(t, err)
	e.clock.Advance(time.Second)
	_, err = e.svc.AgentByToken(e.ctx, agentToken)
	wantErr(t, err, core.ErrUnauthorized)

	_, err = e.svc.VisitorByToken(e.ctx, ws.Token)
	ok(t, err)
	e.clock.Advance(set.VisitorTTL - set.AgentTokenTTL)
	_, err = e.svc.VisitorByToken(e.ctx, ws.Token)
	wantErr(t, err, core.ErrUnauthorized)
}

func TestVisitorHandoff(t *testing.T) {
	e := newEnv(t)
	v, ws := e.visitor("Ada Lovelace")
	_, err := e.svc.VisitorSend(e.ctx, v, "My invoice is wrong")
	ok(t, err)
	_, err = e.svc.VisitorSend(e.ctx, v, "It says 300 instead of 30")
	ok(t, err)

	r, err := e.svc.VisitorHandoff(e.ctx, v, "")
	ok(t, err)
	mustEqual(t, "status", r.Status, core.ReqWaiting)
	mustEqual(t, "reason", r.Reason, core.ReasonCustomerAsked)
	mustEqual(t, "initial message", r.InitialMessage, "My invoice is wrong")
	mustEqual(t, "conversation", r.ConversationID, ws.ConversationID)
	mustEqual(t, "channel", r.Channel.Type, core.ChannelWidget)
	mustEqual(t, "customer", r.Customer.DisplayName(), "Ada Lovelace")
	mustEqual(t, "page", r.PageURL, "https://shop.example/cart")
	mustEqual(t, "queue position", r.QueuePosition, 1)
	mustEqual(t, "conversation status", e.conv(ws.ConversationID).Status, core.ConvWaiting)

	again, err := e.svc.VisitorHandoff(e.ctx, v, "hello??")
	ok(t, err)
	mustEqual(t, "second handoff", again.ID, r.ID)
	mustEqual(t, "requests", len(e.allRequests()), 1)
	mustSlice(t, "routes", e.jobs.routedWith(r.ID), []string{"open"})
	mustEqual(t, "system messages before routing (routing tells the wait)", len(e.systemTexts(ws.ConversationID)), 0)

	// The bot stays quiet once a person was asked for.
	for _, id := range e.jobs.Bots() {
		ok(t, e.svc.RunBot(e.ctx, id))
	}
	for _, m := range e.messages(ws.ConversationID)[1:] {
		if m.Author == core.AuthorBot {
			t.Fatalf("bot answered after the handoff: %q", m.Text)
		}
	}

	th, err := e.svc.VisitorMessages(e.ctx, v, "")
	ok(t, err)
	mustEqual(t, "thread status", th.Status, "waiting")
	mustEqual(t, "thread queue position", th.QueuePosition, 1)
	mustEqual(t, "thread messages", len(th.Messages), len(e.messages(ws.ConversationID)))
	after, err := e.svc.VisitorMessages(e.ctx, v, th.Messages[len(th.Messages)-2].ID)
	ok(t, err)
	mustEqual(t, "messages after", len(after.Messages), 1)
}

func TestVisitorHandoffTextIsInitialMessage(t *testing.T) {
	e := newEnv(t)
	v, ws := e.visitor("")
	r, err := e.svc.VisitorHandoff(e.ctx, v, "  Please call me back ")
	ok(t, err)
	mustEqual(t, "initial message", r.InitialMessage, "Please call me back")
	mustEqual(t, "customer", r.Customer.DisplayName(), core.AnonymousName)
	first, err := e.store.FirstCustomerMessage(e.ctx, ws.ConversationID)
	ok(t, err)
	if first.ProcessedAt.IsZero() {
		t.Fatal("the handoff text must not be left for the bot")
	}
	_, err = e.svc.VisitorHandoff(e.ctx, v, strings.Repeat("x", core.MaxTextLen+1))
	wantField(t, err, "text")
}

func TestVisitorPage(t *testing.T) {
	e := newEnv(t)
	v, ws := e.visitor("Ada")
	r, err := e.svc.VisitorHandoff(e.ctx, v, "help")
	ok(t, err)
	ok(t, e.svc.VisitorPage(e.ctx, v, "https://shop.example/checkout"))
	mustEqual(t, "conversation page", e.conv(ws.ConversationID).PageURL, "https://shop.example/checkout")
	mustEqual(t, "request page", e.req(r.ID).PageURL, "https://shop.example/checkout")
	wantField(t, e.svc.VisitorPage(e.ctx, v, ""), "page_url")
	wantField(t, e.svc.VisitorPage(e.ctx, v, "javascript:alert(1)"), "page_url")
}

// TestVisitorPageTellsAgents: the agents offered the request see the new
// page in their panel, and so does the agent handling the conversation.
func TestVisitorPageTellsAgents(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.online("Alice"), e.online("Bob")
	v, ws := e.visitor("Ada")
	r, err := e.svc.VisitorHandoff(e.ctx, v, "help")
	ok(t, err)
	ok(t, e.svc.Route(e.ctx, r.ID))
	e.events.reset()

	ok(t, e.svc.VisitorPage(e.ctx, v, "https://shop.example/docs"))
	for _, ag := range []core.Agent{alice, bob} {
		got, isReq := e.events.last(core.AgentStream(ag.ID), core.EventRequestUpdated).(core.Request)
		if !isReq || got.ID != r.ID || got.PageURL != "https://shop.example/docs" || !got.OfferedToMe {
			t.Errorf("%s's panel after the page change: %+v", ag.Name, got)
		}
	}
	ok(t, e.svc.VisitorPage(e.ctx, v, "https://shop.example/docs"))
	mustEqual(t, "events for the same page again", len(e.events.take(core.AgentStream(alice.ID))), 1)

	_, _, err = e.svc.Accept(e.ctx, alice, r.ID)
	ok(t, err)
	e.events.reset()
	ok(t, e.svc.VisitorPage(e.ctx, v, "https://shop.example/cart"))
	got, isConv := e.events.last(core.AgentStream(alice.ID), core.EventConversationUpdated).(core.Conversation)
	if !isConv || got.ID != ws.ConversationID || got.PageURL != "https://shop.example/cart" {
		t.Errorf("the handling agent's conversation after the page change: %+v", got)
	}
	mustEqual(t, "request still accepted", e.req(r.ID).Status, core.ReqAccepted)
	mustEqual(t, "request page kept once accepted", e.req(r.ID).PageURL, "https://shop.example/docs")
	mustEqual(t, "events for Bob", len(e.events.take(core.AgentStream(bob.ID))), 0)
}

func TestCleanPageURL(t *testing.T) {
	keep := []string{"utm_source", "utm_campaign", "q"}
	tests := []struct{ in, want string }{
		{"https://shop.example/cart", "https://shop.example/cart"},
		{"https://shop.example/account/reset?reset_token=s3cr3t", "https://shop.example/account/reset"},
		{"https://shop.example/login#access_token=s3cr3t&token_type=bearer", "https://shop.example/login"},
		{"https://shop.example/?reset_token=s3cr3t&utm_source=mail&q=red+pens#access_token=s3cr3t",
			"https://shop.example/?utm_source=mail&q=red+pens"},
		{"https://shop.example/?UTM_SOURCE=x&utm_source=y&utm_source=z", "https://shop.example/?utm_source=y&utm_source=z"},
		{"https://shop.example/?utm%5Fsource=enc", "https://shop.example/?utm%5Fsource=enc"},
		{"https://shop.example/p?", "https://shop.example/p"},
		{"https://shop.example/p#", "https://shop.example/p"},
		{"https://shop.example/#/docs", "https://shop.example/#/docs"},
		{"https://shop.example/#!/orders/7", "https://shop.example/#!/orders/7"},
		{"https://shop.example/#/callback?code=s3cr3t&utm_campaign=x", "https://shop.example/#/callback?utm_campaign=x"},
		{"https://shop.example/#/reset?token=s3cr3t", "https://shop.example/#/reset"},
		{"https://shop.example/#section-2", "https://shop.example/"},
		{"https://shop.example/#id_token=s3cr3t", "https://shop.example/"},
		{"https://user:s3cr3t@shop.example/p", "https://shop.example/p"},
		{"https://shop.example:8443/p?a=1", "https://shop.example:8443/p"},
		{"https://shop.example/caf%C3%A9/#/d%C3%A9j%C3%A0", "https://shop.example/caf%C3%A9/#/d%C3%A9j%C3%A0"},
	}
	for _, tt := range tests {
		if got := core.CleanPageURL(tt.in, keep); got != tt.want {
			t.Errorf("CleanPageURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := core.CleanPageURL("https://shop.example/?utm_source=x&q=1", nil); got != "https://shop.example/" {
		t.Errorf("no keys kept: %q", got)
	}
}

// TestPageURLSecretsAreDropped performs the attack of item 9: a visitor
// on a password-reset page reached from an OAuth redirect reports
// ?reset_token=…#access_token=…; neither the conversation, the request
// nor the panel shows either secret, while the channel's allowed keys stay.
func TestPageURLSecretsAreDropped(t *testing.T) {
	e := newEnv(t, func(s *core.Settings) { s.PageQueryKeys = map[string][]string{"web": {"utm_source"}} })
	agent := e.online("Alice")
	const page = "https://shop.example/account/reset?reset_token=RT-s3cr3t&utm_source=mail#access_token=AT-s3cr3t"
	ws, err := e.svc.StartWidgetSession(e.ctx, core.WidgetSessionInput{PageURL: page})
	ok(t, err)
	mustSlice(t, "keys the widget may report", ws.PageURLQueryKeys, []string{"utm_source"})
	const clean = "https://shop.example/account/reset?utm_source=mail"
	mustEqual(t, "conversation page", e.conv(ws.ConversationID).PageURL, clean)

	v, err := e.svc.VisitorByToken(e.ctx, ws.Token)
	ok(t, err)
	r, err := e.svc.VisitorHandoff(e.ctx, v, "I can't log in")
	ok(t, err)
	ok(t, e.svc.Route(e.ctx, r.ID))
	ok(t, e.svc.VisitorPage(e.ctx, v, "https://shop.example/login?next=%2Fhome&reset_token=RT2-s3cr3t#id_token=IT-s3cr3t"))
	got, err := e.svc.GetRequest(e.ctx, agent, r.ID)
	ok(t, err)
	mustEqual(t, "request page after navigation", got.PageURL, "https://shop.example/login")
	mustEqual(t, "conversation page after navigation", e.conv(ws.ConversationID).PageURL, "https://shop.example/login")
	for _, ev := range e.events.all() {
		if strings.Contains(ev, "s3cr3t") {
			t.Errorf("an event shows a secret of the page: %s", ev)
		}
	}
	// The same page again (only its secrets differ) is no navigation.
	before := len(e.events.all())
	if before == 0 {
		t.Fatal("no events published: the search above proves nothing")
	}
	ok(t, e.svc.VisitorPage(e.ctx, v, "https://shop.example/login?reset_token=other"))
	mustEqual(t, "events for the same page", len(e.events.all()), before)
}

// all renders every event published so far as stream, type and JSON data.
func (f *fakeEvents) all() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for stream, ps := range f.got {
		for _, p := range ps {
			b, _ := json.Marshal(p.data)
			out = append(out, stream+" "+p.typ+" "+string(b))
		}
	}
	return out
}
