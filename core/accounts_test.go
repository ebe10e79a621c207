package core_test

import (
	"strings"
	"testing"
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
