package core_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/switchboard-chat/switchboard/core"
	"github.com/switchboard-chat/switchboard/core/memstore"
)

// weakPasswords are what an attacker tries first; each is refused
// wherever a password is set.
var weakPasswords = []struct{ name, pw string }{
	{"eight spaces", "        "},
	{"ten spaces", "          "},
	{"tabs and spaces", " \t \t \t \t \t "},
	{"12345678", "12345678"},
	{"1234567890", "1234567890"},
	{"password123 in capitals", "Password123"},
	{"qwertyuiop with spaces around", "  qwertyuiop  "},
	{"the product's name", "Switchboard1"},
	{"one character repeated", "aaaaaaaaaaaa"},
	{"one accented character repeated", strings.Repeat("é", 12)},
	{"nine characters", "k7#pQ2!xz"},
	{"not UTF-8", "abc\xffdefghijk"},
	{"over bcrypt's 72 bytes", strings.Repeat("xy", 37)},
}

// goodPasswords pass the rules: long enough, not common.
var goodPasswords = []string{"correct horse", "k7#pQ2!xzW", "пароль-для-Анны", "blue-ocean-7-lamps", strings.Repeat("xy", 36)}

func TestPasswordRules(t *testing.T) {
	for _, w := range weakPasswords {
		if core.CheckPassword(w.pw) == nil {
			t.Errorf("%s (%q) is accepted", w.name, w.pw)
		}
	}
	for _, pw := range goodPasswords {
		if err := core.CheckPassword(pw); err != nil {
			t.Errorf("%q is refused: %v", pw, err)
		}
	}
	// The list holds what the length rule does not already refuse, as
	// the lookup compares it: lower-case and trimmed.
	if n := len(core.CommonPasswords); n < 100 {
		t.Errorf("only %d common passwords listed", n)
	}
	for pw := range core.CommonPasswords {
		if utf8.RuneCountInString(pw) < core.MinPasswordLen || pw != strings.ToLower(strings.TrimSpace(pw)) {
			t.Errorf("list entry %q: shorter than %d or not lower-case", pw, core.MinPasswordLen)
		}
	}
}

// TestWeakPasswordsAreRefusedEverywhere performs the attack of an admin
// (or a script) setting "        " or "12345678": POST, PATCH, the
// command line and the first admin all refuse it, and nothing changes.
func TestWeakPasswordsAreRefusedEverywhere(t *testing.T) {
	e := newEnv(t)
	alice := e.online("Alice")
	for _, w := range weakPasswords {
		t.Run(w.name, func(t *testing.T) {
			_, err := e.svc.CreateAgent(e.ctx, e.admin, core.NewAgent{Email: "new@example.com", Name: "New", Password: w.pw})
			wantField(t, err, "password")
			pw := w.pw
			_, err = e.svc.UpdateAgent(e.ctx, e.admin, alice.ID, core.AgentPatch{Password: &pw})
			wantField(t, err, "password")
			_, _, err = e.svc.SetPassword(e.ctx, "alice@example.com", w.pw)
			wantField(t, err, "password")
			fresh := core.NewService(core.Deps{Store: memstore.New(), Now: e.clock.Now, BcryptCost: 4}, testSettings())
			_, _, err = fresh.EnsureAdmin(e.ctx, "first@example.com", w.pw) // SWITCHBOARD_ADMIN_PASSWORD
			wantField(t, err, "password")
			if _, _, err := e.svc.Login(e.ctx, "alice@example.com", w.pw); err == nil {
				t.Fatal("the weak password opens Alice's account")
			}
			_, _, err = e.svc.Login(e.ctx, "alice@example.com", password)
			ok(t, err)
			_, err = e.store.AgentByEmail(e.ctx, "new@example.com")
			wantErr(t, err, core.ErrNotFound)
		})
	}
}

func TestValidEmail(t *testing.T) {
	for _, s := range []string{"admin@localhost", "alice@example.com", "first.last+tag@mail.example.co.uk",
		"o'brien@example.ie", "jürgen@bücher.example", "x@a-b.example"} {
		if !core.ValidEmail(s) {
			t.Errorf("%q refused", s)
		}
	}
	for _, s := range []string{"", "@", "a@", "@b", "a@@b", "a@b@c", "ab", "a@b..c", "a@.b", "a@b.", "a@-b.c",
		"a b@c", "a@b c", "a\x00@b", "a\x1b@b", "a\u200b@b.example", "a@b\u202e.example",
		strings.Repeat("l", 65) + "@example.com", "a@" + strings.Repeat("d", 64) + ".example",
		"a@" + strings.Repeat("d.", 127) + "example"} {
		if core.ValidEmail(s) {
			t.Errorf("%q accepted", s)
		}
	}
}

// TestAgentFieldsRefuseWhatNobodyTypes performs the attacks on agent
// fields: an e-mail of "@", names with NUL or ESC (by POST and by PATCH),
// a name made of invisible characters. Each is refused and nothing
// changes; bidi overrides and zero-width characters are dropped from
// names that have letters.
func TestAgentFieldsRefuseWhatNobodyTypes(t *testing.T) {
	e := newEnv(t)
	alice := e.online("Alice")
	refused := []struct {
		name, field string
		patch       core.AgentPatch
	}{
		{"e-mail @", "email", core.AgentPatch{Email: ptr("@")}},
		{"e-mail without a domain", "email", core.AgentPatch{Email: ptr("alice@")}},
		{"e-mail without a local part", "email", core.AgentPatch{Email: ptr("@example.com")}},
		{"name with NUL", "name", core.AgentPatch{Name: ptr("Eve\x00")}},
		{"name with ESC", "name", core.AgentPatch{Name: ptr("Eve\x1b[2J\x1b[31mADMIN")}},
		{"name with DEL", "name", core.AgentPatch{Name: ptr("Eve\x7f")}},
		{"name of zero-width spaces", "name", core.AgentPatch{Name: ptr("\u200b\u200b\u200b")}},
		{"name of a bidi override", "name", core.AgentPatch{Name: ptr("\u202e")}},
		{"name of Hangul fillers", "name", core.AgentPatch{Name: ptr("\u3164\u3164")}},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.UpdateAgent(e.ctx, e.admin, alice.ID, tt.patch)
			wantField(t, err, tt.field)
			got := e.agent(alice.ID)
			mustEqual(t, "email", got.Email, "alice@example.com")
			mustEqual(t, "name", got.Name, "Alice")
			in := core.NewAgent{Email: "new@example.com", Name: "New", Password: password}
			if tt.patch.Email != nil {
				in.Email = *tt.patch.Email
			}
			if tt.patch.Name != nil {
				in.Name = *tt.patch.Name
			}
			_, err = e.svc.CreateAgent(e.ctx, e.admin, in)
			wantField(t, err, tt.field)
		})
	}
	got, err := e.svc.UpdateAgent(e.ctx, e.admin, alice.ID, core.AgentPatch{Name: ptr("\u2066Alice\u2069 \u202eB.\u200d\ufeff")})
	ok(t, err)
	mustEqual(t, "name without its invisible characters", got.Name, "Alice B.")
	mustEqual(t, "stored", e.agent(alice.ID).Name, "Alice B.")
}

// TestTakenEmailIsAFieldError: a duplicate e-mail is refused with a
// sentence about the field (still ErrDuplicate), by POST and by PATCH.
func TestTakenEmailIsAFieldError(t *testing.T) {
	e := newEnv(t)
	alice := e.online("Alice")
	_, err := e.svc.UpdateAgent(e.ctx, e.admin, alice.ID, core.AgentPatch{Email: ptr(" ROOT@example.com ")})
	wantField(t, err, "email")
	wantErr(t, err, core.ErrDuplicate)
	mustEqual(t, "message", err.Error(), "email: root@example.com is already used by another agent")
	_, err = e.svc.CreateAgent(e.ctx, e.admin, core.NewAgent{Email: "alice@example.com", Name: "Alice 2", Password: password})
	wantField(t, err, "email")
	wantErr(t, err, core.ErrDuplicate)
}

func TestCleanName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Ada Lovelace", "Ada Lovelace"},
		{"  Ada  ", "Ada"},
		{"Anna\u202Egnp.exe", "Annagnp.exe"},         // right-to-left override
		{"\u202Aa\u202Bb\u202Cc\u202Dd", "abcd"},     // embeddings, pop, left-to-right override
		{"\u2066x\u2067y\u2068z\u2069", "xyz"},       // isolates
		{"A\u200Bd\u200Ca\u200D\u200E\u200F", "Ada"}, // zero-width space, joiners, marks
		{"\uFEFFAda\u2060\u2061\u00AD", "Ada"},       // BOM, word joiner, invisible times, soft hyphen
		{"Ada\x00\x1b[31m", "Ada[31m"},               // controls
		{"Ada\tB.\nLovelace\r", "Ada B. Lovelace"},   // line breaks and tabs are spaces
		{"Ada\u2028Lovelace\u2029", "AdaLovelace"},   // line and paragraph separators
		{"\u3164\u115F\u1160\uFFA0", ""},             // Hangul fillers: a blank name
		{"\u200B\u200B", ""},                         // only zero-width: no name
		{"Zoë 李 محمد 😀", "Zoë 李 محمد 😀"},             // letters of every script stay
		{"ok\xffname", "ok\uFFFDname"},               // invalid UTF-8
		{"e\u0301", "e\u0301"},                       // combining marks stay
		{"\u0627\u0644\u0639\u0631\u0628\u064A\u0629", "\u0627\u0644\u0639\u0631\u0628\u064A\u0629"}, // right-to-left text itself stays
	}
	for _, tt := range tests {
		if got := core.CleanName(tt.in); got != tt.want {
			t.Errorf("CleanName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestCustomerNamesDropInvisibleCharacters performs the attack of a
// customer naming themselves with a right-to-left override or zero-width
// characters, on the widget and on a provider channel: agents see the
// letters only.
func TestCustomerNamesDropInvisibleCharacters(t *testing.T) {
	e := newEnv(t)
	ws, err := e.svc.StartWidgetSession(e.ctx, core.WidgetSessionInput{Name: "Anna\u202Egnp.exe"})
	ok(t, err)
	mustEqual(t, "widget visitor", e.conv(ws.ConversationID).Customer.Name, "Annagnp.exe")
	blank, err := e.svc.StartWidgetSession(e.ctx, core.WidgetSessionInput{Name: "\u200b\u2066\u2069"})
	ok(t, err)
	mustEqual(t, "widget visitor of invisible characters", e.conv(blank.ConversationID).Customer.DisplayName(), core.AnonymousName)

	m, err := e.svc.Ingest(e.ctx, core.Inbound{ChannelID: "wa", ChannelUserID: "4915100000001", Name: "\u2067Support\u2069 \u200bTeam\u202E",
		ProviderID: "wamid.bidi", Text: "hello"})
	ok(t, err)
	mustEqual(t, "provider customer", e.conv(m.ConversationID).Customer.Name, "Support Team")
}

func ptr[T any](v T) *T { return &v }

// login signs an agent in and uses the token once, so that the auth
// cache remembers it (a revocation must drop it from there too).
func (e *env) login(email string) string {
	e.t.Helper()
	tok, _, err := e.svc.Login(e.ctx, email, password)
	ok(e.t, err)
	_, err = e.svc.AgentByToken(e.ctx, tok)
	ok(e.t, err)
	return tok
}

// wantRevoked checks that none of the tokens authenticates or keeps a
// stream open any more.
func (e *env) wantRevoked(tokens ...string) {
	e.t.Helper()
	hashes := make([]string, len(tokens))
	for i, tok := range tokens {
		_, err := e.svc.AgentByToken(e.ctx, tok)
		wantErr(e.t, err, core.ErrUnauthorized)
		hashes[i] = core.HashToken(tok)
	}
	live, err := e.svc.LiveTokens(e.ctx, hashes)
	ok(e.t, err)
	if len(live) != 0 {
		e.t.Fatalf("revoked tokens still live for the streams: %v", live)
	}
}

// TestPasswordResetRevokesTokens performs the attack of item 7: a
// password reset through PATCH /v1/admin/agents/{id} (the one an admin
// makes when a laptop is stolen) used to leave the old tokens working.
// Now every token of the agent goes in the same transaction, the ones
// this process remembers too, and the agent's streams are told.
func TestPasswordResetRevokesTokens(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.online("Alice"), e.online("Bob")
	stolen, other := e.login("alice@example.com"), e.login("alice@example.com")
	bobs := e.login("bob@example.com")
	e.events.reset()

	pw := "a-brand-new-passphrase"
	got, err := e.svc.UpdateAgent(e.ctx, e.admin, alice.ID, core.AgentPatch{Password: &pw})
	ok(t, err)
	mustEqual(t, "still active", got.Active(), true)
	e.wantRevoked(stolen, other)
	if types := e.events.take(core.AgentStream(alice.ID)); !has(types, core.EventTokensRevoked) {
		t.Fatalf("alice's stream got %v, want %s", types, core.EventTokensRevoked)
	}
	b, err := e.svc.AgentByToken(e.ctx, bobs)
	ok(t, err)
	mustEqual(t, "another agent's session", b.ID, bob.ID)
	_, _, err = e.svc.Login(e.ctx, "alice@example.com", password)
	wantErr(t, err, core.ErrUnauthorized)
	_, _, err = e.svc.Login(e.ctx, "alice@example.com", pw)
	ok(t, err)

	// A change that is not a password keeps the sessions.
	kept := e.login("bob@example.com")
	name := "Robert"
	_, err = e.svc.UpdateAgent(e.ctx, e.admin, bob.ID, core.AgentPatch{Name: &name})
	ok(t, err)
	_, err = e.svc.AgentByToken(e.ctx, kept)
	ok(t, err)
	if types := e.events.take(core.AgentStream(bob.ID)); has(types, core.EventTokensRevoked) {
		t.Fatalf("a rename revoked bob's tokens: %v", types)
	}
}

// TestLogoutTellsTheStreams: a logout revokes that token alone and tells
// the agent's streams, which check their own token.
func TestLogoutTellsTheStreams(t *testing.T) {
	e := newEnv(t)
	alice := e.online("Alice")
	tab1, tab2 := e.login("alice@example.com"), e.login("alice@example.com")
	e.events.reset()
	ok(t, e.svc.Logout(e.ctx, tab1))
	e.wantRevoked(tab1)
	live, err := e.svc.LiveTokens(e.ctx, []string{core.HashToken(tab1), core.HashToken(tab2)})
	ok(t, err)
	mustEqual(t, "the other tab's token is live", live[core.HashToken(tab2)], true)
	mustEqual(t, "the logged-out one is not", live[core.HashToken(tab1)], false)
	ev, _ := e.events.last(core.AgentStream(alice.ID), core.EventTokensRevoked).(core.TokensRevoked)
	mustEqual(t, "event", ev.Reason, "logout")
	ok(t, e.svc.Logout(e.ctx, tab1)) // twice: nothing to do
}

// TestLiveTokensExpiry: an expired token keeps no stream open.
func TestLiveTokensExpiry(t *testing.T) {
	e := newEnv(t)
	e.online("Alice")
	tok := e.login("alice@example.com")
	_, ws := e.visitor("Ada")
	hashes := []string{core.HashToken(tok), core.HashToken(ws.Token), core.HashToken("never-issued")}
	live, err := e.svc.LiveTokens(e.ctx, hashes)
	ok(t, err)
	mustEqual(t, "live now", len(live), 2)
	e.clock.Advance(testSettings().AgentTokenTTL)
	live, err = e.svc.LiveTokens(e.ctx, hashes)
	ok(t, err)
	mustEqual(t, "agent token after its TTL", live[core.HashToken(tok)], false)
	mustEqual(t, "visitor token within its TTL", live[core.HashToken(ws.Token)], true)
}

// TestDeactivation: PATCH active:false revokes every token, refuses the
// login (as a wrong password would be), takes the agent offline and out
// of routing; the agent cannot be put online or given a conversation,
// an admin cannot deactivate themselves, and active:true undoes it.
func TestDeactivation(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.online("Alice"), e.online("Bob")
	tok := e.login("alice@example.com")
	offered := e.routed("Ada", "help with my order")
	if !offered.IsOfferedTo(alice.ID) {
		t.Fatalf("request offered to %v, want alice among them", offered.OfferedTo)
	}
	conv := e.active("Carl", bob)
	e.events.reset()

	no, yes := false, true
	got, err := e.svc.UpdateAgent(e.ctx, e.admin, alice.ID, core.AgentPatch{Active: &no})
	ok(t, err)
	mustEqual(t, "active", got.Active(), false)
	mustEqual(t, "online", got.Online, false)
	stored := e.agent(alice.ID)
	if stored.Active() || stored.Online || !stored.DeactivatedAt.Equal(t0) {
		t.Fatalf("stored agent: active %v online %v deactivated %v", stored.Active(), stored.Online, stored.DeactivatedAt)
	}
	body, err := json.Marshal(got)
	ok(t, err)
	if !strings.Contains(string(body), `"active":false`) {
		t.Fatalf("Agent JSON %s lacks active:false", body)
	}
	e.wantRevoked(tok)
	ev, _ := e.events.last(core.AgentStream(alice.ID), core.EventTokensRevoked).(core.TokensRevoked)
	mustEqual(t, "event", ev.Reason, "deactivated")

	_, _, err = e.svc.Login(e.ctx, "alice@example.com", password)
	wantErr(t, err, core.ErrUnauthorized)
	_, _, wrong := e.svc.Login(e.ctx, "alice@example.com", "not-her-password")
	if err.Error() == "" || !strings.Contains(err.Error(), "deactivated") || !errors.Is(wrong, core.ErrUnauthorized) {
		t.Fatalf("login errors: %v / %v", err, wrong)
	}
	// A login that raced the deactivation (the password checked before it
	// committed, the token stored after) opens nothing.
	raced := "sba_raced-login"
	ok(t, e.store.CreateToken(e.ctx, core.Token{Hash: core.HashToken(raced), Kind: core.TokenAgent, SubjectID: alice.ID,
		CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}))
	_, err = e.svc.AgentByToken(e.ctx, raced)
	wantErr(t, err, core.ErrUnauthorized)

	// Out of routing: rerouted away from her, never offered anew.
	ok(t, e.svc.Route(e.ctx, offered.ID))
	if r := e.req(offered.ID); r.IsOfferedTo(alice.ID) {
		t.Fatalf("the open request is still offered to alice: %v", r.OfferedTo)
	}
	fresh := e.routed("Dora", "another question")
	if fresh.IsOfferedTo(alice.ID) {
		t.Fatalf("a new request is offered to the deactivated agent: %v", fresh.OfferedTo)
	}
	_, err = e.svc.UpdateAgent(e.ctx, e.admin, alice.ID, core.AgentPatch{Online: &yes})
	wantField(t, err, "online")
	_, err = e.svc.Reassign(e.ctx, e.admin, conv.ID, alice.ID)
	wantField(t, err, "agent_id")
	mustEqual(t, "conversation stays", e.conv(conv.ID).AgentID, bob.ID)
	_, err = e.svc.UpdateAgent(e.ctx, e.admin, e.admin.ID, core.AgentPatch{Active: &no})
	wantField(t, err, "active")
	mustEqual(t, "admin still active", e.agent(e.admin.ID).Active(), true)

	// Reactivated: she logs in again and goes online herself.
	got, err = e.svc.UpdateAgent(e.ctx, e.admin, alice.ID, core.AgentPatch{Active: &yes})
	ok(t, err)
	mustEqual(t, "reactivated", got.Active(), true)
	mustEqual(t, "offline until she says so", got.Online, false)
	back := e.login("alice@example.com")
	a, err := e.svc.AgentByToken(e.ctx, back)
	ok(t, err)
	_, err = e.svc.SetOnline(e.ctx, a, true)
	ok(t, err)
}
