package core_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

func TestSendAgentMessage(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.online("Alice"), e.online("Bob")
	conv := e.active("Ada Lovelace", alice)

	tests := []struct {
		name           string
		actor          core.Agent
		text, template string
		want           error
		field          string
		body           string
	}{
		{"not assigned", bob, "hi", "", core.ErrForbidden, "", ""},
		{"admin is not assigned either", e.admin, "hi", "", core.ErrForbidden, "", ""},
		{"text and template", alice, "hi", "opening", core.ErrInvalid, "text", ""},
		{"neither", alice, "", "", core.ErrInvalid, "text", ""},
		{"blank text", alice, "   ", "", core.ErrInvalid, "text", ""},
		{"unknown template", alice, "", "closing", core.ErrInvalid, "template", ""},
		{"text", alice, " Hello Ada ", "", nil, "", "Hello Ada"},
		{"template by name", alice, "", "opening", nil, "", "Hi Ada, I'm Alice on widget. (Ada Lovelace)"},
		{"template by shortcut", alice, "", "/hi", nil, "", "Hi Ada, I'm Alice on widget. (Ada Lovelace)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(e.messages(conv.ID))
			m, err := e.svc.SendAgentMessage(e.ctx, tt.actor, conv.ID, tt.text, tt.template)
			switch {
			case tt.field != "":
				wantField(t, err, tt.field)
			case tt.want != nil:
				wantErr(t, err, tt.want)
			default:
				ok(t, err)
				mustEqual(t, "text", m.Text, tt.body)
				mustEqual(t, "author", m.Author, core.AuthorAgent)
				mustEqual(t, "agent", m.AgentID, alice.ID)
				mustEqual(t, "delivery", m.Delivery, core.DeliveryQueued)
				mustEqual(t, "stored", e.msg(m.ID).Text, tt.body)
				if d := e.jobs.Delivers(); d[len(d)-1] != m.ID {
					t.Fatalf("delivery not queued: %v", d)
				}
				before++
			}
			mustEqual(t, "messages", len(e.messages(conv.ID)), before)
		})
	}

	_, err := e.svc.Resolve(e.ctx, alice, conv.ID)
	ok(t, err)
	_, err = e.svc.SendAgentMessage(e.ctx, alice, conv.ID, "one more thing", "")
	wantErr(t, err, core.ErrInvalidTransition)
	_, err = e.svc.SendAgentMessage(e.ctx, alice, "nope", "hi", "")
	wantErr(t, err, core.ErrNotFound)
}

func TestResolve(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.addAgent("Alice", 1, false, true), e.online("Bob")
	conv := e.active("Ada", alice) // Alice is full
	waiting := e.routed("Ben", "help")
	if slices.Contains(waiting.OfferedTo, alice.ID) {
		t.Fatalf("request offered to a full agent: %v", waiting.OfferedTo)
	}
	e.clock.Advance(10 * time.Minute)

	_, err := e.svc.Resolve(e.ctx, bob, conv.ID)
	wantErr(t, err, core.ErrForbidden)
	mustEqual(t, "status", e.conv(conv.ID).Status, core.ConvActive)

	got, err := e.svc.Resolve(e.ctx, alice, conv.ID)
	ok(t, err)
	mustEqual(t, "status", got.Status, core.ConvResolved)
	mustEqual(t, "resolved at", got.ResolvedAt, t0.Add(10*time.Minute))
	mustEqual(t, "stored status", e.conv(conv.ID).Status, core.ConvResolved)
	r := e.req(got.RequestID)
	mustEqual(t, "request status", r.Status, core.ReqResolved)
	mustEqual(t, "request closed at", r.ClosedAt, t0.Add(10*time.Minute))
	mustEqual(t, "notice author", e.last(conv.ID).Author, core.AuthorSystem)
	mustEqual(t, "active chats", e.agent(alice.ID).ActiveChats, 0)
	// Alice was full: she can take the open request now.
	freed := fmt.Sprintf("freed:%d", t0.Add(10*time.Minute).Unix())
	if c := e.jobs.routedWith(waiting.ID); !slices.Contains(c, freed) {
		t.Fatalf("open request not re-routed with cause %s: %v", freed, c)
	}

	_, err = e.svc.Resolve(e.ctx, alice, conv.ID)
	wantErr(t, err, core.ErrInvalidTransition)
	_, err = e.svc.Resolve(e.ctx, alice, "nope")
	wantErr(t, err, core.ErrNotFound)

	freedCauses := func() map[string]int {
		out := map[string]int{}
		for _, c := range e.jobs.routedWith(waiting.ID) {
			if strings.HasPrefix(c, "freed:") {
				out[c]++
			}
		}
		return out
	}
	routes := len(e.jobs.routedWith(waiting.ID))
	// Bob had room: ending his chat changes nobody's eligibility.
	other := e.active("Cleo", bob)
	got, err = e.svc.Resolve(e.ctx, e.admin, other.ID)
	ok(t, err)
	mustEqual(t, "resolved by admin", got.Status, core.ConvResolved)
	mustEqual(t, "re-routes after an agent with room freed a slot", len(e.jobs.routedWith(waiting.ID)), routes)
	// Chats of full agents ending within one second re-offer each open
	// request under one cause (one task id); a second later, another.
	_, err = e.svc.Resolve(e.ctx, e.admin, e.active("Dora", alice).ID)
	ok(t, err)
	mustEqual(t, "causes after two chats ended in one second", len(freedCauses()), 1)
	e.clock.Advance(time.Second)
	_, err = e.svc.Resolve(e.ctx, e.admin, e.active("Eve", alice).ID)
	ok(t, err)
	mustEqual(t, "causes after a third a second later", len(freedCauses()), 2)
	// Resolving a waiting conversation is not an agent action.
	_, err = e.svc.Resolve(e.ctx, e.admin, waiting.ConversationID)
	wantErr(t, err, core.ErrInvalidTransition)
}

func TestReassign(t *testing.T) {
	e := newEnv(t)
	alice, carol, dave := e.online("Alice"), e.online("Carol"), e.online("Dave")
	bob := e.addAgent("Bob", 1, false, true)
	e.active("Full", bob) // Bob is at capacity
	conv := e.active("Ada", alice)

	tests := []struct {
		name          string
		actor         core.Agent
		target        string
		want          error
		field         string
		wantAgent     string
		wantNotice    string
		formerBlocked core.Agent
	}{
		{"empty target", alice, "", core.ErrInvalid, "agent_id", "", "", core.Agent{}},
		{"unknown target", alice, "nope", core.ErrInvalid, "agent_id", "", "", core.Agent{}},
		{"not assigned", dave, carol.ID, core.ErrForbidden, "", "", "", core.Agent{}},
		{"target at capacity", alice, bob.ID, core.ErrAtCapacity, "", "", "", core.Agent{}},
		{"to Carol", alice, carol.ID, nil, "", carol.ID, "You're now chatting with Carol.", alice},
		{"admin overrides capacity", e.admin, bob.ID, nil, "", bob.ID, "You're now chatting with Bob.", carol},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.conv(conv.ID).AgentID
			got, err := e.svc.Reassign(e.ctx, tt.actor, conv.ID, tt.target)
			switch {
			case tt.field != "":
				wantField(t, err, tt.field)
			case tt.want != nil:
				wantErr(t, err, tt.want)
			}
			if tt.want != nil {
				mustEqual(t, "agent unchanged", e.conv(conv.ID).AgentID, before)
				return
			}
			ok(t, err)
			mustEqual(t, "agent", got.AgentID, tt.wantAgent)
			mustEqual(t, "stored agent", e.conv(conv.ID).AgentID, tt.wantAgent)
			mustEqual(t, "notice", e.last(conv.ID).Text, tt.wantNotice)
			_, err = e.svc.SendAgentMessage(e.ctx, tt.formerBlocked, conv.ID, "still me", "")
			wantErr(t, err, core.ErrForbidden)
			_, err = e.svc.SendAgentMessage(e.ctx, e.agent(tt.wantAgent), conv.ID, "hello, it's me now", "")
			ok(t, err)
		})
	}
	mustEqual(t, "Bob's chats (over max by admin)", e.agent(bob.ID).ActiveChats, 2)
	mustEqual(t, "Alice's chats", e.agent(alice.ID).ActiveChats, 0)
	mustEqual(t, "Carol's chats", e.agent(carol.ID).ActiveChats, 0)
}

// history builds four conversations a minute apart:
// c1 resolved by Alice, c2 active with Bob, c3 waiting (offered to Alice and
// Bob, declined by Carol), c4 with the bot.
func history(t *testing.T) (e *env, alice, bob, carol core.Agent, c [4]string) {
	t.Helper()
	e = newEnv(t)
	alice, bob, carol = e.online("Alice"), e.online("Bob"), e.online("Carol")

	c1 := e.routed("Ada Lovelace", "My invoice is WRONG")
	_, _, err := e.svc.Accept(e.ctx, alice, c1.ID)
	ok(t, err)
	_, err = e.svc.SendAgentMessage(e.ctx, alice, c1.ConversationID, "Let me check the billing", "")
	ok(t, err)
	_, err = e.svc.Resolve(e.ctx, alice, c1.ConversationID)
	ok(t, err)
	e.clock.Advance(time.Minute)

	c2 := e.routed("Bob Builder", "password reset please")
	_, _, err = e.svc.Accept(e.ctx, bob, c2.ID)
	ok(t, err)
	e.clock.Advance(time.Minute)

	c3 := e.routed("Cleo", "refund request")
	_, err = e.svc.Decline(e.ctx, carol, c3.ID, "")
	ok(t, err)
	e.clock.Advance(time.Minute)

	_, ws := e.visitor("Dan")
	e.clock.Advance(time.Minute)
	return e, alice, bob, carol, [4]string{c1.ConversationID, c2.ConversationID, c3.ConversationID, ws.ConversationID}
}

func TestSearchConversations(t *testing.T) {
	e, alice, bob, carol, c := history(t)
	all := []core.ConversationStatus(nil)
	tests := []struct {
		name  string
		actor core.Agent
		q     core.ConversationQuery
		want  []string
	}{
		{"admin sees all, newest first", e.admin, core.ConversationQuery{Statuses: all}, []string{c[3], c[2], c[1], c[0]}},
		{"agent: own, resolved, offered", alice, core.ConversationQuery{Statuses: all}, []string{c[2], c[0]}},
		{"agent with an active one", bob, core.ConversationQuery{Statuses: all}, []string{c[2], c[1], c[0]}},
		{"agent who declined", carol, core.ConversationQuery{Statuses: all}, []string{c[0]}},
		{"active only", e.admin, core.ConversationQuery{Statuses: []core.ConversationStatus{core.ConvActive}}, []string{c[1]}},
		{"bot and waiting", e.admin, core.ConversationQuery{Statuses: []core.ConversationStatus{core.ConvBot, core.ConvWaiting}}, []string{c[3], c[2]}},
		{"words in different messages", carol, core.ConversationQuery{Text: "invoice billing"}, []string{c[0]}},
		{"case and punctuation", e.admin, core.ConversationQuery{Text: "WRONG!"}, []string{c[0]}},
		{"every word must match", e.admin, core.ConversationQuery{Text: "invoice refund"}, nil},
		{"whole words", e.admin, core.ConversationQuery{Text: "invoic"}, nil},
		{"customer part of name", e.admin, core.ConversationQuery{Customer: "LOVEL"}, []string{c[0]}},
		{"customer", e.admin, core.ConversationQuery{Customer: "builder"}, []string{c[1]}},
		{"channel", e.admin, core.ConversationQuery{Channel: "wa"}, nil},
		{"agent", e.admin, core.ConversationQuery{AgentID: bob.ID}, []string{c[1]}},
		{"from/to", e.admin, core.ConversationQuery{From: t0.Add(time.Minute), To: t0.Add(3 * time.Minute)}, []string{c[2], c[1]}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, next, err := e.svc.SearchConversations(e.ctx, tt.actor, tt.q)
			ok(t, err)
			if !slices.Equal(convIDs(got), append([]string{}, tt.want...)) {
				t.Fatalf("got %v, want %v", convIDs(got), tt.want)
			}
			mustEqual(t, "next cursor", next, "")
			for _, cv := range got {
				if cv.Channel.Type != core.ChannelWidget || cv.Customer.ID == "" {
					t.Fatalf("conversation %s not filled: %+v", cv.ID, cv)
				}
			}
		})
	}

	t.Run("paging", func(t *testing.T) {
		var seen []string
		q := core.ConversationQuery{Limit: 3}
		for page := 0; page < 3; page++ {
			got, next, err := e.svc.SearchConversations(e.ctx, e.admin, q)
			ok(t, err)
			seen = append(seen, convIDs(got)...)
			if next == "" {
				break
			}
			q.Cursor = next
		}
		mustSlice(t, "pages", seen, []string{c[3], c[2], c[1], c[0]})
	})

	bad := []struct {
		name  string
		q     core.ConversationQuery
		field string
	}{
		{"limit too big", core.ConversationQuery{Limit: core.MaxPageSize + 1}, "limit"},
		{"negative limit", core.ConversationQuery{Limit: -1}, "limit"},
		{"long q", core.ConversationQuery{Text: strings.Repeat("a", 501)}, "q"},
		{"to before from", core.ConversationQuery{From: t0, To: t0}, "to"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := e.svc.SearchConversations(e.ctx, e.admin, tt.q)
			wantField(t, err, tt.field)
		})
	}
}

func TestGetConversation(t *testing.T) {
	e, alice, bob, carol, c := history(t)
	tests := []struct {
		name  string
		actor core.Agent
		id    string
		want  error
	}{
		{"resolved is shared", carol, c[0], nil},
		{"own active", bob, c[1], nil},
		{"admin", e.admin, c[1], nil},
		{"someone else's active", carol, c[1], core.ErrForbidden},
		{"someone else's active (other agent)", alice, c[1], core.ErrForbidden},
		{"offered waiting", alice, c[2], nil},
		{"declined waiting", carol, c[2], core.ErrForbidden},
		{"bot", alice, c[3], core.ErrForbidden},
		{"unknown", alice, "nope", core.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conv, msgs, err := e.svc.GetConversation(e.ctx, tt.actor, tt.id)
			if tt.want != nil {
				wantErr(t, err, tt.want)
				return
			}
			ok(t, err)
			mustEqual(t, "id", conv.ID, tt.id)
			mustEqual(t, "channel", conv.Channel.Type, core.ChannelWidget)
			if len(msgs) == 0 || msgs[0].Author != core.AuthorBot {
				t.Fatalf("messages = %+v, want the greeting first", msgs)
			}
			mustEqual(t, "messages", len(msgs), len(e.messages(tt.id)))
		})
	}
}

// Handing on a full agent's chat makes that agent eligible again, so the
// open requests are re-offered; handing on a chat of an agent with room
// changes nobody's eligibility.
func TestReassignReoffersOnlyWhenAFullAgentFreesASlot(t *testing.T) {
	e := newEnv(t)
	alice, carol := e.online("Alice"), e.online("Carol")
	bob := e.addAgent("Bob", 1, false, true)
	conv := e.active("Ada", bob) // Bob is full
	waiting := e.routed("Ben", "help")
	if slices.Contains(waiting.OfferedTo, bob.ID) {
		t.Fatalf("request offered to a full agent: %v", waiting.OfferedTo)
	}
	reassigned := func() int {
		n := 0
		for _, c := range e.jobs.routedWith(waiting.ID) {
			if strings.HasPrefix(c, "reassigned:") {
				n++
			}
		}
		return n
	}
	_, err := e.svc.Reassign(e.ctx, bob, conv.ID, alice.ID)
	ok(t, err)
	mustEqual(t, "re-offers after Bob (full) handed on a chat", reassigned(), 1)
	_, err = e.svc.Reassign(e.ctx, alice, conv.ID, carol.ID)
	ok(t, err)
	mustEqual(t, "re-offers after Alice (with room) handed it on", reassigned(), 1)
}
