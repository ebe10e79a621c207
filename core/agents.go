package core

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// DefaultAdminEmail is the first admin's e-mail when none is configured.
const DefaultAdminEmail = "admin@localhost"

// NewAgent is POST /v1/admin/agents.
type NewAgent struct {
	Email    string
	Name     string
	Password string
	Roles    []string
	MaxChats int // 0: the configured default
	Admin    bool
}

// AgentPatch is PATCH /v1/admin/agents/{id}: nil fields stay as they are.
type AgentPatch struct {
	Email    *string
	Name     *string
	Password *string
	Roles    *[]string
	MaxChats *int
	Admin    *bool
	Online   *bool
	// Active false deactivates the agent, true reactivates them.
	Active *bool
}

// dummyHash is a bcrypt hash that no password matches in practice.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("switchboard-dummy-password"), bcrypt.MinCost)

// standInHash is the hash an unknown e-mail's password is checked
// against, so that it takes as long as a known one's: dummyHash with its
// cost field ("$2a$04$…") rewritten to cost, which bcrypt then really
// spends. A stand-in of MinCost answered unknown e-mails some 50 times
// faster than known ones at the default cost, telling which exist.
func standInHash(cost int) []byte {
	h := append([]byte(nil), dummyHash...)
	copy(h[4:6], fmt.Sprintf("%02d", cost))
	return h
}

// Login checks e-mail and password and issues an agent token. Wrong
// e-mail and wrong password fail alike.
func (s *Service) Login(ctx context.Context, email, password string) (string, Agent, error) {
	if strings.TrimSpace(email) == "" {
		return "", Agent{}, Invalid("email", "is required")
	}
	if password == "" {
		return "", Agent{}, Invalid("password", "is required")
	}
	var a Agent
	err := fmt.Errorf("login: e-mail with control characters: %w", ErrNotFound) // no such agent
	if !hasControls(email) && utf8.ValidString(email) {
		a, err = s.store.AgentByEmail(ctx, strings.TrimSpace(email))
	}
	if err != nil && !isNotFound(err) {
		return "", Agent{}, fmt.Errorf("login: read agent: %w", err)
	}
	hash := standInHash(s.bcryptCost)
	if err == nil {
		hash = []byte(a.PasswordHash)
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil || err != nil {
		return "", Agent{}, fmt.Errorf("wrong e-mail or password: %w", ErrUnauthorized)
	}
	if !a.Active() { // answered as a wrong password: the account's state is no one's business
		return "", Agent{}, fmt.Errorf("login of deactivated agent %s: %w", a.ID, ErrUnauthorized)
	}
	token, th := newToken("sba_")
	now := s.clock()
	if err := s.store.CreateToken(ctx, Token{Hash: th, Kind: TokenAgent, SubjectID: a.ID, CreatedAt: now,
		ExpiresAt: now.Add(s.set().AgentTokenTTL)}); err != nil {
		return "", Agent{}, fmt.Errorf("login: store token: %w", err)
	}
	return token, a, nil
}

// Logout revokes an agent token, and tells the agent's open event
// streams, so that the one it opened closes at once (TokensRevoked).
func (s *Service) Logout(ctx context.Context, token string) error {
	hash := HashToken(token)
	s.auth.forgetToken(hash)
	s.visitors.forgetToken(hash)
	t, err := s.store.TokenByHash(ctx, hash)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	if err := s.store.DeleteToken(ctx, hash); err != nil && !isNotFound(err) {
		return fmt.Errorf("logout: %w", err)
	}
	s.tokensRevoked(ctx, t.Kind, t.SubjectID, "logout")
	return nil
}

// AgentByToken authenticates an agent token. A token that passed is
// remembered for AuthCacheTTL (auth_cache.go); its expiry is checked on
// every call.
func (s *Service) AgentByToken(ctx context.Context, token string) (Agent, error) {
	if token == "" {
		return Agent{}, errNoToken
	}
	hash, now := HashToken(token), s.clock()
	a, expires, ok := s.auth.get(hash, now)
	if !ok {
		t, got, err := s.store.AgentByTokenHash(ctx, hash)
		if isNotFound(err) {
			return Agent{}, fmt.Errorf("no agent token, or its agent is gone: %w", ErrUnauthorized)
		}
		if err != nil {
			return Agent{}, fmt.Errorf("read agent token: %w", err)
		}
		a, expires = got, t.ExpiresAt
		if !a.Active() { // a login that raced the deactivation made it
			return Agent{}, fmt.Errorf("token of deactivated agent %s: %w", a.ID, ErrUnauthorized)
		}
		if now.Before(expires) {
			s.auth.put(hash, a.ID, a, expires, now)
		}
	}
	if !now.Before(expires) {
		return Agent{}, errExpiredToken
	}
	return a, nil
}

// Me re-reads the calling agent.
func (s *Service) Me(ctx context.Context, actor Agent) (Agent, error) {
	a, err := s.store.AgentByID(ctx, actor.ID)
	if err != nil {
		return Agent{}, fmt.Errorf("read agent %s: %w", actor.ID, err)
	}
	return a, nil
}

// SetOnline switches the agent online or offline; open requests are
// re-offered so the panel matches who is there.
func (s *Service) SetOnline(ctx context.Context, actor Agent, online bool) (Agent, error) {
	var out Agent
	err := s.store.Atomic(ctx, func(tx Tx) error {
		a, err := tx.LockAgent(ctx, actor.ID)
		if err != nil {
			return fmt.Errorf("set status of agent %s: %w", actor.ID, err)
		}
		if a.Online != online {
			a.Online, a.StatusAt = online, s.clock()
			if err := tx.UpdateAgent(ctx, a); err != nil {
				return fmt.Errorf("set status of agent %s: %w", actor.ID, err)
			}
		}
		out = a
		return nil
	})
	if err != nil {
		return Agent{}, err
	}
	s.auth.forgetSubject(out.ID)
	var a after
	s.publish(&a, AgentStream(out.ID), EventAgentUpdated, out) // the agent's other tabs
	a.run(ctx, s)
	s.rerouteOpen(ctx, fmt.Sprintf("status:%s:%t:%d", actor.ID, online, out.StatusAt.UnixNano()))
	return out, nil
}

// EnsureAdmin creates the first admin when there is none. An empty
// password is generated and returned so it can be shown once.
func (s *Service) EnsureAdmin(ctx context.Context, email, password string) (created bool, pw string, err error) {
	n, err := s.store.CountAdmins(ctx)
	if err != nil {
		return false, "", fmt.Errorf("count admins: %w", err)
	}
	if n > 0 {
		return false, "", nil
	}
	if email == "" {
		email = DefaultAdminEmail
	}
	pw = password
	if pw == "" {
		pw = RandomPassword()
	}
	_, err = s.createAgent(ctx, NewAgent{Email: email, Name: "Admin", Password: pw, Admin: true})
	if errors.Is(err, ErrDuplicate) {
		// Another instance starting at the same moment may have won.
		if n, cerr := s.store.CountAdmins(ctx); cerr == nil && n > 0 {
			return false, "", nil
		}
		return false, "", fmt.Errorf("first admin %s: an agent with that e-mail exists but is not an admin: %w", email, err)
	}
	if err != nil {
		return false, "", err
	}
	return true, pw, nil
}

// CreateAgent adds an agent (admins only).
func (s *Service) CreateAgent(ctx context.Context, actor Agent, in NewAgent) (Agent, error) {
	if !actor.Admin {
		return Agent{}, fmt.Errorf("create agent: %w", ErrForbidden)
	}
	return s.createAgent(ctx, in)
}

// AddAgent adds an agent without an acting admin (the CLI).
func (s *Service) AddAgent(ctx context.Context, in NewAgent) (Agent, error) {
	return s.createAgent(ctx, in)
}

func (s *Service) createAgent(ctx context.Context, in NewAgent) (Agent, error) {
	in.Email = strings.ToLower(strings.TrimSpace(in.Email))
	var err error
	if in.Name, err = agentName(in.Name); err != nil {
		return Agent{}, err
	}
	if in.MaxChats == 0 {
		in.MaxChats = s.set().DefaultMaxChat
	}
	if err := checkAgent(in.Email, in.Name, in.Roles, in.MaxChats); err != nil {
		return Agent{}, err
	}
	hash, err := s.hashPassword(in.Password)
	if err != nil {
		return Agent{}, err
	}
	now := s.clock()
	a := Agent{ID: NewID(), Email: in.Email, Name: in.Name, Roles: normRoles(in.Roles), Admin: in.Admin,
		MaxChats: in.MaxChats, PasswordHash: hash, CreatedAt: now, StatusAt: now}
	if err := s.store.CreateAgent(ctx, a); err != nil {
		if errors.Is(err, ErrDuplicate) {
			return Agent{}, emailTaken(in.Email, err)
		}
		return Agent{}, fmt.Errorf("create agent %s: %w", in.Email, err)
	}
	return a, nil
}

// ListAgents lists every agent (admins only).
func (s *Service) ListAgents(ctx context.Context, actor Agent) ([]Agent, error) {
	if !actor.Admin {
		return nil, fmt.Errorf("list agents: %w", ErrForbidden)
	}
	agents, err := s.store.ListAgents(ctx)
	if err != nil {
		return nil, fmt.Errorf("list agents: %w", err)
	}
	return agents, nil
}

// UpdateAgent changes an agent (admins only).
func (s *Service) UpdateAgent(ctx context.Context, actor Agent, id string, p AgentPatch) (Agent, error) {
	if !actor.Admin {
		return Agent{}, fmt.Errorf("update agent: %w", ErrForbidden)
	}
	var hash string
	if p.Password != nil {
		var err error
		if hash, err = s.hashPassword(*p.Password); err != nil {
			return Agent{}, err
		}
	}
	var out Agent
	var revoke bool // a new password or a deactivation: every token of the agent goes
	err := s.store.Atomic(ctx, func(tx Tx) error {
		a, err := tx.LockAgent(ctx, id)
		if err != nil {
			return fmt.Errorf("update agent %s: %w", id, err)
		}
		if p.Email != nil {
			a.Email = strings.ToLower(strings.TrimSpace(*p.Email))
		}
		if p.Name != nil {
			if a.Name, err = agentName(*p.Name); err != nil {
				return err
			}
		}
		if p.Roles != nil {
			a.Roles = normRoles(*p.Roles)
		}
		if p.MaxChats != nil {
			a.MaxChats = *p.MaxChats
		}
		if p.Admin != nil {
			if a.ID == actor.ID && !*p.Admin {
				return Invalid("admin", "an admin cannot remove their own admin right")
			}
			a.Admin = *p.Admin
		}
		if p.Active != nil && *p.Active != a.Active() {
			switch {
			case *p.Active:
				a.DeactivatedAt = time.Time{}
			case a.ID == actor.ID:
				return Invalid("active", "an admin cannot deactivate themselves")
			default:
				a.DeactivatedAt = s.clock()
				revoke = true
			}
		}
		online := a.Online
		if p.Online != nil {
			online = *p.Online
		}
		if online && !a.Active() {
			if p.Online != nil {
				return Invalid("online", "a deactivated agent cannot be online")
			}
			online = false // deactivated now: offline, offered nothing
		}
		if online != a.Online {
			a.Online, a.StatusAt = online, s.clock()
		}
		if hash != "" {
			a.PasswordHash, revoke = hash, true
		}
		if err := checkAgent(a.Email, a.Name, a.Roles, a.MaxChats); err != nil {
			return err
		}
		if err := tx.UpdateAgent(ctx, a); err != nil {
			if errors.Is(err, ErrDuplicate) {
				return emailTaken(a.Email, err)
			}
			return fmt.Errorf("update agent %s: %w", id, err)
		}
		if revoke {
			if _, err := tx.DeleteAgentTokens(ctx, a.ID); err != nil {
				return fmt.Errorf("update agent %s: revoke tokens: %w", id, err)
			}
		}
		out = a
		return nil
	})
	if err != nil {
		return Agent{}, err
	}
	s.auth.forgetSubject(id) // their next call reads the change
	if revoke {
		reason := "password"
		if !out.Active() {
			reason = "deactivated"
		}
		s.tokensRevoked(ctx, TokenAgent, id, reason)
	}
	s.rerouteOpen(ctx, fmt.Sprintf("agent:%s:%d", id, s.clock().UnixNano()))
	return out, nil
}

// SetPassword gives the agent with that e-mail a new password (the
// command line's `agents passwd`), under the rules of agent creation, and
// signs the agent out: every token of the agent is revoked in the same
// transaction. It returns the agent and how many tokens were revoked.
// Other processes may accept a revoked token for up to AuthCacheTTL.
func (s *Service) SetPassword(ctx context.Context, email, password string) (Agent, int, error) {
	hash, err := s.hashPassword(password)
	if err != nil {
		return Agent{}, 0, err
	}
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" || hasControls(email) || !utf8.ValidString(email) {
		return Agent{}, 0, Invalid("email", "must be an e-mail address")
	}
	found, err := s.store.AgentByEmail(ctx, email)
	if err != nil {
		return Agent{}, 0, fmt.Errorf("set password of %s: %w", email, err)
	}
	var out Agent
	var revoked int
	err = s.store.Atomic(ctx, func(tx Tx) error {
		a, err := tx.LockAgent(ctx, found.ID)
		if err != nil {
			return fmt.Errorf("set password of %s: %w", email, err)
		}
		a.PasswordHash = hash
		if err := tx.UpdateAgent(ctx, a); err != nil {
			return fmt.Errorf("set password of %s: %w", email, err)
		}
		if revoked, err = tx.DeleteAgentTokens(ctx, a.ID); err != nil {
			return fmt.Errorf("set password of %s: revoke tokens: %w", email, err)
		}
		out = a
		return nil
	})
	if err != nil {
		return Agent{}, 0, err
	}
	s.auth.forgetSubject(out.ID)
	s.tokensRevoked(ctx, TokenAgent, out.ID, "password")
	return out, revoked, nil
}

// RandomPassword makes a password for generated accounts: 20 characters
// of crypto/rand base64url (120 bits).
func RandomPassword() string {
	tok, _ := newToken("")
	return tok[:20]
}

func (s *Service) hashPassword(pw string) (string, error) {
	if err := checkPassword(pw); err != nil {
		return "", err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), s.bcryptCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// agentName is the name an admin typed, cleaned as customers' names are
// (CleanName); control characters (NUL, ESC) are refused rather than
// dropped, since nobody types them.
func agentName(name string) (string, error) {
	if hasControls(name) || !utf8.ValidString(name) {
		return "", Invalid("name", "must be text without control characters")
	}
	return CleanName(name), nil
}

func checkAgent(email, name string, roles []string, maxChats int) error {
	switch {
	case !validEmail(email):
		return Invalid("email", "must be an e-mail address")
	case name == "" || utf8.RuneCountInString(name) > 100:
		return Invalid("name", "is required, at most 100 characters")
	case maxChats < 1 || maxChats > 100:
		return Invalid("max_chats", "must be between 1 and 100")
	}
	for _, r := range roles {
		if strings.TrimSpace(r) == "" || len(r) > 50 {
			return Invalid("roles", "must be non-empty names of at most 50 characters")
		}
	}
	return nil
}

// emailTaken is the refusal of an e-mail address another agent has: a
// field error people can read, which still matches ErrDuplicate (err, the
// store's own error, stays in the chain for logs but not in the message).
func emailTaken(email string, err error) error {
	return &FieldError{Field: "email", Reason: email + " is already used by another agent", Err: err}
}

func normRoles(roles []string) []string {
	out := make([]string, 0, len(roles))
	seen := map[string]bool{}
	for _, r := range roles {
		r = strings.ToLower(strings.TrimSpace(r))
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}
