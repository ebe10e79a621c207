package storetest

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

func testAgents(t *testing.T, f *fx) {
	ctx, s := f.ctx, f.s
	alice := f.agent(func(a *core.Agent) {
		a.Email, a.Name, a.Roles, a.Admin, a.MaxChats = "Alice@Example.com", "Alice", []string{"support", "developer"}, true, 3
		a.PasswordHash, a.CreatedAt, a.StatusAt = "$2a$04$hash", at(0), at(time.Second)
	})
	carol := f.agent(func(a *core.Agent) { a.Name, a.Online, a.StatusAt = "Carol", false, time.Time{} })
	bob := f.agent(func(a *core.Agent) { a.Name = "Bob" })

	got, err := s.AgentByID(ctx, alice.ID)
	ok(t, "agent by id", err)
	equal(t, "agent by id", got, alice)
	got, err = s.AgentByEmail(ctx, "aLICE@example.COM")
	ok(t, "agent by e-mail in another case", err)
	equal(t, "agent by e-mail", got, alice)
	got, err = s.AgentByID(ctx, carol.ID)
	ok(t, "agent by id", err)
	equal(t, "agent without status time", got, carol)

	_, err = s.AgentByID(ctx, core.NewID())
	isErr(t, "unknown agent id", err, core.ErrNotFound)
	_, err = s.AgentByEmail(ctx, "nobody@example.com")
	isErr(t, "unknown e-mail", err, core.ErrNotFound)

	dup := bob
	dup.ID, dup.Email = core.NewID(), "alice@EXAMPLE.com"
	isErr(t, "create with an e-mail in use (other case)", s.CreateAgent(ctx, dup), core.ErrDuplicate)

	upd := bob
	upd.Email = "ALICE@example.com"
	isErr(t, "update to an e-mail in use", s.UpdateAgent(ctx, upd), core.ErrDuplicate)

	upd = bob
	upd.Email, upd.Name, upd.Roles, upd.Admin, upd.Online = "robert@example.com", "Robert", []string{"vip"}, true, false
	upd.MaxChats, upd.PasswordHash, upd.StatusAt, upd.DeactivatedAt = 9, "new-hash", at(time.Hour), at(2*time.Hour)
	ok(t, "update agent", s.UpdateAgent(ctx, upd))
	got, err = s.AgentByID(ctx, bob.ID)
	ok(t, "read updated agent", err)
	equal(t, "updated agent", got, upd)
	if _, err := s.AgentByEmail(ctx, bob.Email); err == nil {
		t.Errorf("old e-mail %s still finds the agent", bob.Email)
	}

	ghost := bob
	ghost.ID, ghost.Email = core.NewID(), "ghost@example.com"
	isErr(t, "update unknown agent", s.UpdateAgent(ctx, ghost), core.ErrNotFound)

	list, err := s.ListAgents(ctx)
	ok(t, "list agents", err)
	equal(t, "agents by name", list, []core.Agent{alice, carol, upd})

	n, err := s.CountAdmins(ctx)
	ok(t, "count admins", err)
	if n != 2 {
		t.Errorf("admins: got %d, want 2", n)
	}

	err = s.Atomic(ctx, func(tx core.Tx) error {
		a, err := tx.LockAgent(ctx, alice.ID)
		ok(t, "lock agent", err)
		equal(t, "locked agent", a, alice)
		_, err = tx.LockAgent(ctx, core.NewID())
		return err
	})
	isErr(t, "lock unknown agent", err, core.ErrNotFound)
}

func testActiveChats(t *testing.T, f *fx) {
	ctx, s := f.ctx, f.s
	a := f.agent(nil)
	b := f.agent(nil)
	cu := f.customer("web", "Dana")
	for _, st := range []core.ConversationStatus{core.ConvActive, core.ConvActive, core.ConvResolved} {
		f.conversation(cu, func(c *core.Conversation) { c.Status, c.AgentID = st, a.ID })
	}
	f.conversation(cu, func(c *core.Conversation) { c.Status, c.AgentID = core.ConvActive, b.ID })
	f.conversation(cu, func(c *core.Conversation) { c.Status = core.ConvWaiting })

	check := func(what string, got core.Agent, err error, want int) {
		t.Helper()
		ok(t, what, err)
		if got.ActiveChats != want {
			t.Errorf("%s: active chats %d, want %d", what, got.ActiveChats, want)
		}
	}
	got, err := s.AgentByID(ctx, a.ID)
	check("by id", got, err, 2)
	got, err = s.AgentByEmail(ctx, a.Email)
	check("by e-mail", got, err, 2)
	got, err = s.AgentByID(ctx, b.ID)
	check("other agent", got, err, 1)
	ok(t, "atomic", s.Atomic(ctx, func(tx core.Tx) error {
		got, err := tx.LockAgent(ctx, a.ID)
		check("locked", got, err, 2)
		return nil
	}))
	list, err := s.ListAgents(ctx)
	ok(t, "list", err)
	if len(list) != 2 || list[0].ActiveChats != 2 || list[1].ActiveChats != 1 {
		t.Errorf("list active chats: %+v", list)
	}
}

func testTokens(t *testing.T, f *fx) {
	ctx, s := f.ctx, f.s
	a := f.agent(nil)
	tok := core.Token{Hash: core.HashToken("secret-1"), Kind: core.TokenAgent, SubjectID: a.ID,
		CreatedAt: at(0), ExpiresAt: at(24 * time.Hour)}
	expired := core.Token{Hash: core.HashToken("secret-2"), Kind: core.TokenVisitor, SubjectID: core.NewID(),
		CreatedAt: at(-48 * time.Hour), ExpiresAt: at(-time.Hour)}
	ok(t, "create token", s.CreateToken(ctx, tok))
	ok(t, "create expired token", s.CreateToken(ctx, expired))
	isErr(t, "same hash again", s.CreateToken(ctx, tok), core.ErrDuplicate)

	got, err := s.TokenByHash(ctx, tok.Hash)
	ok(t, "token by hash", err)
	equal(t, "token", got, tok)
	got, err = s.TokenByHash(ctx, expired.Hash)
	ok(t, "expired token by hash (expiry is the Service's business)", err)
	equal(t, "expired token", got, expired)

	gotTok, gotAgent, err := s.AgentByTokenHash(ctx, tok.Hash)
	ok(t, "agent by token hash", err)
	equal(t, "agent token", gotTok, tok)
	equal(t, "agent of the token", gotAgent, a)
	_, _, err = s.AgentByTokenHash(ctx, expired.Hash)
	isErr(t, "a visitor token names no agent", err, core.ErrNotFound)
	orphan := core.Token{Hash: core.HashToken("secret-3"), Kind: core.TokenAgent, SubjectID: core.NewID(),
		CreatedAt: at(0), ExpiresAt: at(time.Hour)}
	ok(t, "create token of an unknown agent", s.CreateToken(ctx, orphan))
	_, _, err = s.AgentByTokenHash(ctx, orphan.Hash)
	isErr(t, "token of an agent that is gone", err, core.ErrNotFound)

	// Many at once: the known ones (expired too), none for unknown hashes.
	many, err := s.TokensByHashes(ctx, []string{core.HashToken("unknown"), expired.Hash, tok.Hash, orphan.Hash})
	ok(t, "tokens by hashes", err)
	slices.SortFunc(many, func(x, y core.Token) int { return strings.Compare(x.Hash, y.Hash) })
	want := []core.Token{tok, expired, orphan}
	slices.SortFunc(want, func(x, y core.Token) int { return strings.Compare(x.Hash, y.Hash) })
	equal(t, "tokens by hashes", many, want)
	none, err := s.TokensByHashes(ctx, []string{core.HashToken("unknown")})
	ok(t, "tokens by unknown hashes", err)
	if len(none) != 0 {
		t.Errorf("tokens by unknown hashes: %v, want none", none)
	}

	ok(t, "delete token", s.DeleteToken(ctx, tok.Hash))
	_, _, err = s.AgentByTokenHash(ctx, tok.Hash)
	isErr(t, "deleted agent token", err, core.ErrNotFound)
	_, err = s.TokenByHash(ctx, tok.Hash)
	isErr(t, "deleted token", err, core.ErrNotFound)
	isErr(t, "delete again", s.DeleteToken(ctx, tok.Hash), core.ErrNotFound)

	// Every agent token of one agent goes; other agents' tokens and
	// visitor tokens stay, and a rolled-back delete changes nothing.
	other := f.agent(nil)
	mine := []core.Token{
		{Hash: core.HashToken("mine-1"), Kind: core.TokenAgent, SubjectID: a.ID, CreatedAt: at(0), ExpiresAt: at(time.Hour)},
		{Hash: core.HashToken("mine-2"), Kind: core.TokenAgent, SubjectID: a.ID, CreatedAt: at(0), ExpiresAt: at(-time.Hour)},
	}
	theirs := core.Token{Hash: core.HashToken("theirs"), Kind: core.TokenAgent, SubjectID: other.ID, CreatedAt: at(0), ExpiresAt: at(time.Hour)}
	visitor := core.Token{Hash: core.HashToken("visitor-same-id"), Kind: core.TokenVisitor, SubjectID: a.ID, CreatedAt: at(0), ExpiresAt: at(time.Hour)}
	for _, tk := range append(mine, theirs, visitor) {
		ok(t, "create token", s.CreateToken(ctx, tk))
	}
	rollback := errors.New("roll back")
	isErr(t, "delete agent tokens, rolled back", s.Atomic(ctx, func(tx core.Tx) error {
		n, err := tx.DeleteAgentTokens(ctx, a.ID)
		if err != nil || n != 2 {
			t.Errorf("DeleteAgentTokens in a transaction = %d, %v; want 2", n, err)
		}
		return rollback
	}), rollback)
	_, err = s.TokenByHash(ctx, mine[0].Hash)
	ok(t, "token after a rolled-back delete", err)
	n, err := s.DeleteAgentTokens(ctx, a.ID)
	ok(t, "delete agent tokens", err)
	if n != 2 {
		t.Errorf("DeleteAgentTokens = %d, want 2", n)
	}
	for _, tk := range mine {
		_, err = s.TokenByHash(ctx, tk.Hash)
		isErr(t, "agent token after DeleteAgentTokens", err, core.ErrNotFound)
	}
	for _, tk := range []core.Token{theirs, visitor} {
		_, err = s.TokenByHash(ctx, tk.Hash)
		ok(t, "another subject's token after DeleteAgentTokens", err)
	}
	n, err = s.DeleteAgentTokens(ctx, a.ID)
	if err != nil || n != 0 {
		t.Errorf("DeleteAgentTokens again = %d, %v; want 0, nil", n, err)
	}
}

func testCustomers(t *testing.T, f *fx) {
	ctx, s := f.ctx, f.s
	c := core.Customer{ID: core.NewID(), ChannelID: "web", ChannelUserID: "v-1", Name: "Dana Scully",
		Email: "dana@example.com", Visits: 2, CreatedAt: at(0), LastSeenAt: at(time.Minute),
		VisitorSecretHash: core.HashToken("sbs_dana")}
	ok(t, "create customer", s.CreateCustomer(ctx, c))
	got, err := s.CustomerByID(ctx, c.ID)
	ok(t, "customer by id", err)
	equal(t, "customer by id", got, c)
	got, err = s.CustomerByChannelUser(ctx, "web", "v-1")
	ok(t, "customer by channel user", err)
	equal(t, "customer by channel user", got, c)

	dup := c
	dup.ID = core.NewID()
	isErr(t, "same channel user", s.CreateCustomer(ctx, dup), core.ErrDuplicate)
	other := dup
	other.ChannelID, other.VisitorSecretHash = "wa", ""
	ok(t, "same user id on another channel", s.CreateCustomer(ctx, other))
	got, err = s.CustomerByChannelUser(ctx, "wa", "v-1")
	ok(t, "customer on the other channel", err)
	equal(t, "customer on the other channel", got, other)

	c.Name, c.Email, c.Visits, c.LastSeenAt = "Dana K. Scully", "dks@example.com", 3, at(time.Hour)
	upd := c
	upd.VisitorSecretHash = core.HashToken("sbs_someone-else") // written on create only
	ok(t, "update customer", s.UpdateCustomer(ctx, upd))
	got, err = s.CustomerByID(ctx, c.ID)
	ok(t, "read updated customer", err)
	equal(t, "updated customer, its visitor secret kept", got, c)

	ghost := c
	ghost.ID = core.NewID()
	isErr(t, "update unknown customer", s.UpdateCustomer(ctx, ghost), core.ErrNotFound)
	_, err = s.CustomerByID(ctx, core.NewID())
	isErr(t, "unknown customer id", err, core.ErrNotFound)
	_, err = s.CustomerByChannelUser(ctx, "web", "v-2")
	isErr(t, "unknown channel user", err, core.ErrNotFound)
	_, err = s.CustomerByChannelUser(ctx, "tg", "v-1")
	isErr(t, "user id on a channel without it", err, core.ErrNotFound)
}
