package core_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/switchboard-chat/switchboard/core"
	"github.com/switchboard-chat/switchboard/core/memstore"
)

func TestLoginLogout(t *testing.T) {
	e := newEnv(t)
	alice := e.online("Alice")

	token, a, err := e.svc.Login(e.ctx, " ALICE@Example.com ", password)
	ok(t, err)
	mustEqual(t, "agent", a.ID, alice.ID)
	if a.PasswordHash == password {
		t.Fatal("password stored in clear")
	}
	got, err := e.svc.AgentByToken(e.ctx, token)
	ok(t, err)
	mustEqual(t, "token agent", got.ID, alice.ID)

	_, _, wrongPW := e.svc.Login(e.ctx, "alice@example.com", "wrong password")
	wantErr(t, wrongPW, core.ErrUnauthorized)
	_, _, unknown := e.svc.Login(e.ctx, "nobody@example.com", password)
	wantErr(t, unknown, core.ErrUnauthorized)
	mustEqual(t, "same message for both", unknown.Error(), wrongPW.Error())
	_, _, err = e.svc.Login(e.ctx, "", password)
	wantField(t, err, "email")
	_, _, err = e.svc.Login(e.ctx, "alice@example.com", "")
	wantField(t, err, "password")

	ok(t, e.svc.Logout(e.ctx, token))
	_, err = e.svc.AgentByToken(e.ctx, token)
	wantErr(t, err, core.ErrUnauthorized)
	ok(t, e.svc.Logout(e.ctx, token)) // twice is fine
}

func TestEnsureAdmin(t *testing.T) {
	t.Run("generated password", func(t *testing.T) {
		e := newEnv(t)
		ok(t, e.store.UpdateAgent(e.ctx, func() core.Agent { a := e.admin; a.Admin = false; return a }()))
		created, pw, err := e.svc.EnsureAdmin(e.ctx, "", "")
		ok(t, err)
		mustEqual(t, "created", created, true)
		if len(pw) < 16 {
			t.Fatalf("generated password %q is too short", pw)
		}
		_, a, err := e.svc.Login(e.ctx, core.DefaultAdminEmail, pw)
		ok(t, err)
		mustEqual(t, "admin", a.Admin, true)

		created, pw2, err := e.svc.EnsureAdmin(e.ctx, "", "")
		ok(t, err)
		mustEqual(t, "created again", created, false)
		mustEqual(t, "password again", pw2, "")
		n, err := e.store.CountAdmins(e.ctx)
		ok(t, err)
		mustEqual(t, "admins", n, 1)
	})
	t.Run("given password", func(t *testing.T) {
		e := newEnv(t)
		ok(t, e.store.UpdateAgent(e.ctx, func() core.Agent { a := e.admin; a.Admin = false; return a }()))
		created, pw, err := e.svc.EnsureAdmin(e.ctx, "boss@example.com", "s3cret-pass")
		ok(t, err)
		mustEqual(t, "created", created, true)
		mustEqual(t, "password", pw, "s3cret-pass")
		_, _, err = e.svc.Login(e.ctx, "boss@example.com", "s3cret-pass")
		ok(t, err)
	})
	t.Run("e-mail taken by a non-admin", func(t *testing.T) {
		e := newEnv(t)
		ok(t, e.store.UpdateAgent(e.ctx, func() core.Agent { a := e.admin; a.Admin = false; return a }()))
		_, _, err := e.svc.EnsureAdmin(e.ctx, "root@example.com", "s3cret-pass")
		wantErr(t, err, core.ErrDuplicate)
	})
	t.Run("existing admin", func(t *testing.T) {
		e := newEnv(t)
		created, _, err := e.svc.EnsureAdmin(e.ctx, "", "")
		ok(t, err)
		mustEqual(t, "created", created, false)
		_, err = e.store.AgentByEmail(e.ctx, core.DefaultAdminEmail)
		wantErr(t, err, core.ErrNotFound)
	})
}

func TestSetPassword(t *testing.T) {
	e := newEnv(t)
	alice := e.online("Alice")
	bob := e.online("Bob")
	var aliceTokens []string
	for range 2 { // two browsers
		tok, _, err := e.svc.Login(e.ctx, "alice@example.com", password)
		ok(t, err)
		_, err = e.svc.AgentByToken(e.ctx, tok) // remembered by the auth cache
		ok(t, err)
		aliceTokens = append(aliceTokens, tok)
	}
	bobToken, _, err := e.svc.Login(e.ctx, "bob@example.com", password)
	ok(t, err)

	refused := []struct {
		name, email, pw string
		field           string
		notFound        bool
	}{
		{name: "too short", email: "alice@example.com", pw: "short7!", field: "password"},
		{name: "too long", email: "alice@example.com", pw: strings.Repeat("x", 73), field: "password"},
		{name: "empty", email: "alice@example.com", pw: "", field: "password"},
		{name: "no e-mail", email: "  ", pw: "a-new-password", field: "email"},
		{name: "control characters", email: "alice\x00@example.com", pw: "a-new-password", field: "email"},
		{name: "unknown agent", email: "nobody@example.com", pw: "a-new-password", notFound: true},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := e.svc.SetPassword(e.ctx, tc.email, tc.pw)
			if tc.notFound {
				wantErr(t, err, core.ErrNotFound)
			} else {
				wantField(t, err, tc.field)
			}
			// Nothing changed: the old password and the sessions still work.
			_, _, err = e.svc.Login(e.ctx, "alice@example.com", password)
			ok(t, err)
			_, err = e.svc.AgentByToken(e.ctx, aliceTokens[0])
			ok(t, err)
		})
	}

	got, revoked, err := e.svc.SetPassword(e.ctx, " ALICE@example.com ", "a-new-password")
	ok(t, err)
	mustEqual(t, "agent", got.ID, alice.ID)
	mustEqual(t, "revoked", revoked, len(aliceTokens)+len(refused)) // each refused case logged in once more
	if got.PasswordHash == "a-new-password" {
		t.Fatal("password stored in clear")
	}
	_, _, err = e.svc.Login(e.ctx, "alice@example.com", password)
	wantErr(t, err, core.ErrUnauthorized)
	_, _, err = e.svc.Login(e.ctx, "alice@example.com", "a-new-password")
	ok(t, err)
	for _, tok := range aliceTokens {
		_, err = e.svc.AgentByToken(e.ctx, tok)
		wantErr(t, err, core.ErrUnauthorized)
	}
	b, err := e.svc.AgentByToken(e.ctx, bobToken)
	ok(t, err)
	mustEqual(t, "another agent's session", b.ID, bob.ID)
	a, err := e.store.AgentByID(e.ctx, alice.ID)
	ok(t, err)
	mustEqual(t, "still online", a.Online, true)
}

func TestCreateAgent(t *testing.T) {
	e := newEnv(t)
	valid := core.NewAgent{Email: "Alice@Example.com", Name: " Alice ", Password: password,
		Roles: []string{"Support", "support ", " Dev"}}
	a, err := e.svc.CreateAgent(e.ctx, e.admin, valid)
	ok(t, err)
	mustEqual(t, "email", a.Email, "alice@example.com")
	mustEqual(t, "name", a.Name, "Alice")
	mustSlice(t, "roles", a.Roles, []string{"support", "dev"})
	mustEqual(t, "default max chats", a.MaxChats, 4)
	mustEqual(t, "online", a.Online, false)
	stored := e.agent(a.ID)
	mustSlice(t, "stored roles", stored.Roles, []string{"support", "dev"})

	with := func(f func(*core.NewAgent)) core.NewAgent {
		in := core.NewAgent{Email: "new@example.com", Name: "New", Password: password}
		f(&in)
		return in
	}
	tests := []struct {
		name  string
		in    core.NewAgent
		field string
		want  error
	}{
		{"bad email", with(func(in *core.NewAgent) { in.Email = "new.example.com" }), "email", nil},
		{"no email", with(func(in *core.NewAgent) { in.Email = " " }), "email", nil},
		{"no name", with(func(in *core.NewAgent) { in.Name = "  " }), "name", nil},
		{"long name", with(func(in *core.NewAgent) { in.Name = strings.Repeat("n", 101) }), "name", nil},
		{"short password", with(func(in *core.NewAgent) { in.Password = "1234567" }), "password", nil},
		{"long password", with(func(in *core.NewAgent) { in.Password = strings.Repeat("p", 73) }), "password", nil},
		{"max chats too big", with(func(in *core.NewAgent) { in.MaxChats = 101 }), "max_chats", nil},
		{"max chats negative", with(func(in *core.NewAgent) { in.MaxChats = -1 }), "max_chats", nil},
		{"empty role", with(func(in *core.NewAgent) { in.Roles = []string{" "} }), "roles", nil},
		{"taken email", with(func(in *core.NewAgent) { in.Email = "ALICE@example.com" }), "", core.ErrDuplicate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.CreateAgent(e.ctx, e.admin, tt.in)
			if tt.field != "" {
				wantField(t, err, tt.field)
			} else {
				wantErr(t, err, tt.want)
			}
			agents, err := e.svc.ListAgents(e.ctx, e.admin)
			ok(t, err)
			mustEqual(t, "agents", len(agents), 2)
		})
	}
	for _, maxChats := range []int{1, 100} {
		in := with(func(in *core.NewAgent) { in.MaxChats = maxChats })
		in.Email = strings.Replace(in.Email, "new", "new"+strings.Repeat("x", maxChats%7), 1)
		got, err := e.svc.CreateAgent(e.ctx, e.admin, in)
		ok(t, err)
		mustEqual(t, "max chats", got.MaxChats, maxChats)
	}

	_, err = e.svc.CreateAgent(e.ctx, a, with(func(in *core.NewAgent) { in.Email = "x@example.com" }))
	wantErr(t, err, core.ErrForbidden)
	_, err = e.svc.ListAgents(e.ctx, a)
	wantErr(t, err, core.ErrForbidden)
}

func TestUpdateAgent(t *testing.T) {
	e := newEnv(t)
	alice := e.online("Alice")
	name, maxChats, no := "Alice A.", 2, false
	got, err := e.svc.UpdateAgent(e.ctx, e.admin, alice.ID, core.AgentPatch{Name: &name, MaxChats: &maxChats})
	ok(t, err)
	mustEqual(t, "name", got.Name, "Alice A.")
	mustEqual(t, "max chats", e.agent(alice.ID).MaxChats, 2)
	_, err = e.svc.UpdateAgent(e.ctx, alice, alice.ID, core.AgentPatch{Name: &name})
	wantErr(t, err, core.ErrForbidden)
	_, err = e.svc.UpdateAgent(e.ctx, e.admin, e.admin.ID, core.AgentPatch{Admin: &no})
	wantField(t, err, "admin")
	email := "root@example.com"
	_, err = e.svc.UpdateAgent(e.ctx, e.admin, alice.ID, core.AgentPatch{Email: &email})
	wantErr(t, err, core.ErrDuplicate)
	zero := 0
	_, err = e.svc.UpdateAgent(e.ctx, e.admin, alice.ID, core.AgentPatch{MaxChats: &zero})
	wantField(t, err, "max_chats")
	mustEqual(t, "max chats unchanged", e.agent(alice.ID).MaxChats, 2)
	_, err = e.svc.UpdateAgent(e.ctx, e.admin, "nope", core.AgentPatch{Name: &name})
	wantErr(t, err, core.ErrNotFound)
}

func TestSetOnlineReroutes(t *testing.T) {
	e := newEnv(t)
	alice := e.addAgent("Alice", 4, false, false)
	r := e.routed("Ada", "help") // nobody online: offered to no one
	mustEqual(t, "offers", len(r.OfferedTo), 0)

	got, err := e.svc.SetOnline(e.ctx, alice, true)
	ok(t, err)
	mustEqual(t, "online", got.Online, true)
	mustEqual(t, "status at", got.StatusAt, t0)
	mustEqual(t, "stored online", e.agent(alice.ID).Online, true)
	causes := e.jobs.routedWith(r.ID)
	if len(causes) != 2 || !strings.HasPrefix(causes[1], "status:"+alice.ID+":true") {
		t.Fatalf("routes = %v, want a status re-route", causes)
	}
	ok(t, e.svc.Route(e.ctx, r.ID))
	mustSlice(t, "offered", e.req(r.ID).OfferedTo, []string{alice.ID})

	_, err = e.svc.SetOnline(e.ctx, alice, false)
	ok(t, err)
	ok(t, e.svc.Route(e.ctx, r.ID))
	mustEqual(t, "offers after going offline", len(e.req(r.ID).OfferedTo), 0)
	if c := e.jobs.routedWith(r.ID); len(c) != 3 || c[1] == c[2] {
		t.Fatalf("routes = %v, want distinct causes per status change", c)
	}
	me, err := e.svc.Me(e.ctx, alice)
	ok(t, err)
	mustEqual(t, "me online", me.Online, false)
}

func TestEnsureAdminConcurrently(t *testing.T) {
	// A Service on an empty store (newEnv adds an admin of its own).
	svc := core.NewService(core.Deps{Store: memstore.New(), Jobs: &fakeJobs{}, BcryptCost: 4}, core.DefaultSettings())
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 8)
	created := make([]bool, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			created[i], _, errs[i] = svc.EnsureAdmin(ctx, "boss@example.com", "boss-password")
		}()
	}
	wg.Wait()
	n := 0
	for i, err := range errs {
		ok(t, err)
		if created[i] {
			n++
		}
	}
	mustEqual(t, "admins created by 8 instances starting at once", n, 1)
}

// tokenReads counts the store's token reads.
type tokenReads struct {
	core.Store
	mu sync.Mutex
	n  int
}

func (r *tokenReads) AgentByTokenHash(ctx context.Context, hash string) (core.Token, core.Agent, error) {
	r.mu.Lock()
	r.n++
	r.mu.Unlock()
	return r.Store.AgentByTokenHash(ctx, hash)
}

func (r *tokenReads) reads() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

// TestAgentTokenCache: a token that passed is read again only after
// AuthCacheTTL; its expiry, a logout and a change of its agent in this
// process count at once; a revocation elsewhere counts within the TTL.
func TestAgentTokenCache(t *testing.T) {
	steps := []struct {
		name      string
		do        func(e *env, svc *core.Service, token string, alice core.Agent)
		wantErr   error
		wantReads int // store reads after the step's call, in all
		wantAdmin bool
	}{
		{"first call reads", nil, nil, 1, false},
		{"a call within the TTL does not", func(e *env, _ *core.Service, _ string, _ core.Agent) {
			e.clock.Advance(core.AuthCacheTTL / 2)
		}, nil, 1, false},
		{"after the TTL it reads again", func(e *env, _ *core.Service, _ string, _ core.Agent) {
			e.clock.Advance(core.AuthCacheTTL)
		}, nil, 2, false},
		{"a change of the agent here counts at once", func(e *env, svc *core.Service, _ string, alice core.Agent) {
			admin := true
			_, err := svc.UpdateAgent(e.ctx, e.admin, alice.ID, core.AgentPatch{Admin: &admin})
			ok(e.t, err)
		}, nil, 3, true},
		{"a token revoked by another process passes until the TTL", func(e *env, _ *core.Service, token string, _ core.Agent) {
			ok(e.t, e.store.DeleteToken(e.ctx, core.HashToken(token)))
		}, nil, 3, true},
		{"and is refused after it", func(e *env, _ *core.Service, _ string, _ core.Agent) {
			e.clock.Advance(core.AuthCacheTTL)
		}, core.ErrUnauthorized, 4, false},
	}
	e := newEnv(t)
	reads := &tokenReads{Store: e.store}
	svc := core.NewService(core.Deps{Store: reads, Jobs: e.jobs, Events: e.events, Now: e.clock.Now, BcryptCost: 4}, testSettings())
	alice := e.online("Alice")
	token, _, err := svc.Login(e.ctx, "alice@example.com", password)
	ok(t, err)
	for _, st := range steps {
		if st.do != nil {
			st.do(e, svc, token, alice)
		}
		got, err := svc.AgentByToken(e.ctx, token)
		if st.wantErr != nil {
			wantErr(t, err, st.wantErr)
		} else {
			ok(t, err)
			mustEqual(t, st.name+": agent", got.ID, alice.ID)
			mustEqual(t, st.name+": admin", got.Admin, st.wantAdmin)
		}
		mustEqual(t, st.name+": store reads", reads.reads(), st.wantReads)
	}

	t.Run("logout counts at once", func(t *testing.T) {
		token, _, err := svc.Login(e.ctx, "alice@example.com", password)
		ok(t, err)
		_, err = svc.AgentByToken(e.ctx, token)
		ok(t, err)
		ok(t, svc.Logout(e.ctx, token))
		_, err = svc.AgentByToken(e.ctx, token)
		wantErr(t, err, core.ErrUnauthorized)
	})
	t.Run("expiry counts on a remembered token", func(t *testing.T) {
		token, _, err := svc.Login(e.ctx, "alice@example.com", password)
		ok(t, err)
		e.clock.Advance(testSettings().AgentTokenTTL - core.AuthCacheTTL/2)
		_, err = svc.AgentByToken(e.ctx, token) // read and remembered
		ok(t, err)
		before := reads.reads()
		e.clock.Advance(core.AuthCacheTTL / 4 * 3) // expired, still remembered
		_, err = svc.AgentByToken(e.ctx, token)
		wantErr(t, err, core.ErrUnauthorized)
		mustEqual(t, "reads for the expired token", reads.reads(), before)
	})
	t.Run("a status change here counts at once", func(t *testing.T) {
		token, _, err := svc.Login(e.ctx, "alice@example.com", password)
		ok(t, err)
		a, err := svc.AgentByToken(e.ctx, token)
		ok(t, err)
		_, err = svc.SetOnline(e.ctx, a, !a.Online)
		ok(t, err)
		got, err := svc.AgentByToken(e.ctx, token)
		ok(t, err)
		mustEqual(t, "online after the change", got.Online, !a.Online)
	})
}
