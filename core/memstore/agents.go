package memstore

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

// CreateAgent implements core.AgentStore.
func (t *tx) CreateAgent(_ context.Context, a core.Agent) error {
	defer t.write()()
	d, email := t.d(), strings.ToLower(a.Email)
	if _, ok := d.agents[a.ID]; ok {
		return duplicate("agent", a.ID)
	}
	if _, ok := d.agentEmail[email]; ok {
		return duplicate("agent e-mail", a.Email)
	}
	a.Roles, a.ActiveChats = slices.Clone(a.Roles), 0
	put(t, d.agents, a.ID, a)
	put(t, d.agentEmail, email, a.ID)
	return nil
}

// UpdateAgent implements core.AgentStore.
func (t *tx) UpdateAgent(_ context.Context, a core.Agent) error {
	defer t.write()()
	d := t.d()
	old, ok := d.agents[a.ID]
	if !ok {
		return notFound("agent", a.ID)
	}
	email, oldEmail := strings.ToLower(a.Email), strings.ToLower(old.Email)
	if email != oldEmail {
		if _, taken := d.agentEmail[email]; taken {
			return duplicate("agent e-mail", a.Email)
		}
		del(t, d.agentEmail, oldEmail)
		put(t, d.agentEmail, email, a.ID)
	}
	a.Roles, a.ActiveChats, a.CreatedAt, a.LastAssignedAt = slices.Clone(a.Roles), 0, old.CreatedAt, time.Time{}
	put(t, d.agents, a.ID, a)
	return nil
}

func (t *tx) agent(id string) (core.Agent, error) {
	a, ok := t.d().agents[id]
	if !ok {
		return core.Agent{}, notFound("agent", id)
	}
	a.Roles, a.ActiveChats, a.LastAssignedAt = slices.Clone(a.Roles), t.d().active[id], t.d().assigned[id]
	return a, nil
}

// AgentByID implements core.AgentStore.
func (t *tx) AgentByID(_ context.Context, id string) (core.Agent, error) {
	defer t.read()()
	return t.agent(id)
}

// AgentByEmail implements core.AgentStore (case-insensitive).
func (t *tx) AgentByEmail(_ context.Context, email string) (core.Agent, error) {
	defer t.read()()
	id, ok := t.d().agentEmail[strings.ToLower(email)]
	if !ok {
		return core.Agent{}, notFound("agent e-mail", email)
	}
	return t.agent(id)
}

// LockAgent implements core.AgentStore; the store-wide lock covers it.
func (t *tx) LockAgent(ctx context.Context, id string) (core.Agent, error) {
	return t.AgentByID(ctx, id)
}

// ListAgents implements core.AgentStore: by name, then id.
func (t *tx) ListAgents(context.Context) ([]core.Agent, error) {
	defer t.read()()
	out := make([]core.Agent, 0, len(t.d().agents))
	for id := range t.d().agents {
		a, _ := t.agent(id)
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b core.Agent) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// CountAdmins implements core.AgentStore.
func (t *tx) CountAdmins(context.Context) (int, error) {
	defer t.read()()
	n := 0
	for _, a := range t.d().agents {
		if a.Admin {
			n++
		}
	}
	return n, nil
}

// CreateToken implements core.TokenStore.
func (t *tx) CreateToken(_ context.Context, tok core.Token) error {
	defer t.write()()
	if _, ok := t.d().tokens[tok.Hash]; ok {
		return duplicate("token", "…")
	}
	put(t, t.d().tokens, tok.Hash, tok)
	return nil
}

// TokenByHash implements core.TokenStore.
func (t *tx) TokenByHash(_ context.Context, hash string) (core.Token, error) {
	defer t.read()()
	tok, ok := t.d().tokens[hash]
	if !ok {
		return core.Token{}, notFound("token", "…")
	}
	return tok, nil
}

// AgentByTokenHash implements core.AgentStore.
func (t *tx) AgentByTokenHash(ctx context.Context, hash string) (core.Token, core.Agent, error) {
	tok, err := t.TokenByHash(ctx, hash)
	if err != nil {
		return core.Token{}, core.Agent{}, err
	}
	if tok.Kind != core.TokenAgent {
		return core.Token{}, core.Agent{}, notFound("agent token", "…")
	}
	a, err := t.AgentByID(ctx, tok.SubjectID)
	if err != nil {
		return core.Token{}, core.Agent{}, err
	}
	return tok, a, nil
}

// DeleteToken implements core.TokenStore.
func (t *tx) DeleteToken(_ context.Context, hash string) error {
	defer t.write()()
	if _, ok := t.d().tokens[hash]; !ok {
		return notFound("token", "…")
	}
	del(t, t.d().tokens, hash)
	return nil
}

// TokensByHashes implements core.TokenStore.
func (t *tx) TokensByHashes(_ context.Context, hashes []string) ([]core.Token, error) {
	defer t.read()()
	var out []core.Token
	for _, h := range hashes {
		if tok, ok := t.d().tokens[h]; ok {
			out = append(out, tok)
		}
	}
	return out, nil
}

// DeleteAgentTokens implements core.TokenStore.
func (t *tx) DeleteAgentTokens(_ context.Context, agentID string) (int, error) {
	defer t.write()()
	n := 0
	for hash, tok := range t.d().tokens {
		if tok.Kind == core.TokenAgent && tok.SubjectID == agentID {
			del(t, t.d().tokens, hash)
			n++
		}
	}
	return n, nil
}

// CreateCustomer implements core.CustomerStore.
func (t *tx) CreateCustomer(_ context.Context, c core.Customer) error {
	defer t.write()()
	d, k := t.d(), key{c.ChannelID, c.ChannelUserID}
	if _, ok := d.customers[c.ID]; ok {
		return duplicate("customer", c.ID)
	}
	if _, ok := d.customerKey[k]; ok {
		return duplicate("customer", c.ChannelID+"/"+c.ChannelUserID)
	}
	put(t, d.customers, c.ID, c)
	put(t, d.customerKey, k, c.ID)
	return nil
}

// UpdateCustomer implements core.CustomerStore.
func (t *tx) UpdateCustomer(_ context.Context, c core.Customer) error {
	defer t.write()()
	d := t.d()
	old, ok := d.customers[c.ID]
	if !ok {
		return notFound("customer", c.ID)
	}
	oldKey, k := key{old.ChannelID, old.ChannelUserID}, key{c.ChannelID, c.ChannelUserID}
	if k != oldKey {
		if _, taken := d.customerKey[k]; taken {
			return duplicate("customer", c.ChannelID+"/"+c.ChannelUserID)
		}
		del(t, d.customerKey, oldKey)
		put(t, d.customerKey, k, c.ID)
	}
	c.CreatedAt, c.VisitorSecretHash = old.CreatedAt, old.VisitorSecretHash // written on create only
	put(t, d.customers, c.ID, c)
	return nil
}

// CustomerByID implements core.CustomerStore.
func (t *tx) CustomerByID(_ context.Context, id string) (core.Customer, error) {
	defer t.read()()
	c, ok := t.d().customers[id]
	if !ok {
		return core.Customer{}, notFound("customer", id)
	}
	return c, nil
}

// LockCustomer implements core.CustomerStore; the store-wide lock covers it.
func (t *tx) LockCustomer(ctx context.Context, id string) (core.Customer, error) {
	return t.CustomerByID(ctx, id)
}

// CustomerByChannelUser implements core.CustomerStore.
func (t *tx) CustomerByChannelUser(_ context.Context, channelID, channelUserID string) (core.Customer, error) {
	defer t.read()()
	id, ok := t.d().customerKey[key{channelID, channelUserID}]
	if !ok {
		return core.Customer{}, notFound("customer", channelID+"/"+channelUserID)
	}
	return t.d().customers[id], nil
}
