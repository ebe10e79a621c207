package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/switchboard-chat/switchboard/core"
)

const agentCols = `a.id, a.email, a.name, a.roles, a.admin, a.online, a.max_chats, a.password_hash,
	a.created_at, a.status_at, a.deactivated_at,
	(SELECT count(*) FROM conversations c WHERE c.agent_id = a.id AND c.status = 'active') AS active_chats,
	(SELECT max(r.accepted_at) FROM requests r WHERE r.accepted_by = a.id) AS last_assigned_at`

type agentRow struct {
	ID           string `db:"id"`
	Email        string `db:"email"`
	Name         string `db:"name"`
	Roles        string `db:"roles"`
	Admin        bool   `db:"admin"`
	Online       bool   `db:"online"`
	MaxChats     int    `db:"max_chats"`
	PasswordHash string `db:"password_hash"`
	CreatedAt    micros `db:"created_at"`
	StatusAt     micros `db:"status_at"`
	ActiveChats  int    `db:"active_chats"`
	LastAssigned micros `db:"last_assigned_at"`
	Deactivated  micros `db:"deactivated_at"`
}

func (r agentRow) agent() (core.Agent, error) {
	roles := []string{}
	if err := json.Unmarshal([]byte(r.Roles), &roles); err != nil {
		return core.Agent{}, fmt.Errorf("agent %s: decode roles: %w", r.ID, err)
	}
	if roles == nil {
		roles = []string{}
	}
	return core.Agent{ID: r.ID, Email: r.Email, Name: r.Name, Roles: roles, Admin: r.Admin, Online: r.Online,
		MaxChats: r.MaxChats, ActiveChats: r.ActiveChats, PasswordHash: r.PasswordHash, LastAssignedAt: r.LastAssigned.time(),
		CreatedAt: r.CreatedAt.time(), StatusAt: r.StatusAt.time(), DeactivatedAt: r.Deactivated.time()}, nil
}

func encodeRoles(roles []string) (string, error) {
	if roles == nil {
		roles = []string{}
	}
	b, err := json.Marshal(roles)
	return string(b), err
}

// CreateAgent stores a new agent; ErrDuplicate when the e-mail is taken
// (case-insensitively).
func (c *conn) CreateAgent(ctx context.Context, a core.Agent) error {
	roles, err := encodeRoles(a.Roles)
	if err != nil {
		return fmt.Errorf("create agent %s: encode roles: %w", a.ID, err)
	}
	_, err = c.w.ExecContext(ctx, `INSERT INTO agents
		(id, email, name, roles, admin, online, max_chats, password_hash, created_at, status_at, deactivated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		a.ID, a.Email, a.Name, roles, a.Admin, a.Online, a.MaxChats, a.PasswordHash, tm(a.CreatedAt), tm(a.StatusAt),
		tm(a.DeactivatedAt))
	if err != nil {
		return wrap(err, "create agent %s", a.ID)
	}
	return nil
}

// UpdateAgent writes every field of an existing agent but its creation time.
func (c *conn) UpdateAgent(ctx context.Context, a core.Agent) error {
	roles, err := encodeRoles(a.Roles)
	if err != nil {
		return fmt.Errorf("update agent %s: encode roles: %w", a.ID, err)
	}
	n, err := exec(ctx, c.w, `UPDATE agents SET email = $2, name = $3, roles = $4, admin = $5, online = $6,
		max_chats = $7, password_hash = $8, status_at = $9, deactivated_at = $10 WHERE id = $1`,
		a.ID, a.Email, a.Name, roles, a.Admin, a.Online, a.MaxChats, a.PasswordHash, tm(a.StatusAt), tm(a.DeactivatedAt))
	if err != nil {
		return wrap(err, "update agent %s", a.ID)
	}
	if n == 0 {
		return notFound("update agent %s", a.ID)
	}
	return nil
}

func (c *conn) getAgent(ctx context.Context, x sqlx.QueryerContext, what, where string, arg any) (core.Agent, error) {
	var r agentRow
	if err := sqlx.GetContext(ctx, x, &r, "SELECT "+agentCols+" FROM agents a WHERE "+where, arg); err != nil {
		return core.Agent{}, wrap(err, "agent %s", what)
	}
	return r.agent()
}

// AgentByID reads an agent with their active chats.
func (c *conn) AgentByID(ctx context.Context, id string) (core.Agent, error) {
	return c.getAgent(ctx, c.r, id, "a.id = $1", id)
}

// AgentByEmail reads an agent by e-mail, case-insensitively.
func (c *conn) AgentByEmail(ctx context.Context, email string) (core.Agent, error) {
	return c.getAgent(ctx, c.r, email, "lower(a.email) = lower($1)", email)
}

// LockAgent locks the agent's row, then reads the agent (and counts their
// active chats) in a separate statement.
func (c *conn) LockAgent(ctx context.Context, id string) (core.Agent, error) {
	if err := c.forUpdate(ctx, "agents", id); err != nil {
		return core.Agent{}, err
	}
	return c.getAgent(ctx, c.w, id, "a.id = $1", id)
}

// ListAgents lists every agent by name.
func (c *conn) ListAgents(ctx context.Context) ([]core.Agent, error) {
	var rows []agentRow
	if err := sqlx.SelectContext(ctx, c.r, &rows, "SELECT "+agentCols+" FROM agents a ORDER BY a.name, a.id"); err != nil {
		return nil, wrap(err, "list agents")
	}
	out := make([]core.Agent, 0, len(rows))
	for _, r := range rows {
		a, err := r.agent()
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// CountAdmins counts the admin agents.
func (c *conn) CountAdmins(ctx context.Context) (int, error) {
	var n int
	if err := sqlx.GetContext(ctx, c.r, &n, "SELECT count(*) FROM agents WHERE admin"); err != nil {
		return 0, wrap(err, "count admins")
	}
	return n, nil
}
