package sqlstore

import (
	"context"

	"github.com/jmoiron/sqlx"

	"github.com/switchboard-chat/switchboard/core"
)

type tokenRow struct {
	Hash      string `db:"hash"`
	Kind      string `db:"kind"`
	SubjectID string `db:"subject_id"`
	ExpiresAt micros `db:"expires_at"`
	CreatedAt micros `db:"created_at"`
}

// CreateToken stores a hashed token.
func (c *conn) CreateToken(ctx context.Context, t core.Token) error {
	_, err := c.w.ExecContext(ctx, `INSERT INTO tokens (hash, kind, subject_id, expires_at, created_at)
		VALUES ($1, $2, $3, $4, $5)`, t.Hash, string(t.Kind), t.SubjectID, tm(t.ExpiresAt), tm(t.CreatedAt))
	if err != nil {
		return wrap(err, "create %s token for %s", t.Kind, t.SubjectID)
	}
	return nil
}

// TokenByHash reads a token by its hash (expired ones too: the caller
// checks ExpiresAt).
func (c *conn) TokenByHash(ctx context.Context, hash string) (core.Token, error) {
	var r tokenRow
	err := sqlx.GetContext(ctx, c.r, &r, `SELECT hash, kind, subject_id, expires_at, created_at
		FROM tokens WHERE hash = $1`, hash)
	if err != nil {
		return core.Token{}, wrap(err, "token")
	}
	return core.Token{Hash: r.Hash, Kind: core.TokenKind(r.Kind), SubjectID: r.SubjectID,
		ExpiresAt: r.ExpiresAt.time(), CreatedAt: r.CreatedAt.time()}, nil
}

// TokensByHashes reads the tokens of the hashes that name one, in one
// statement (the caller keeps the list within a statement's parameters).
func (c *conn) TokensByHashes(ctx context.Context, hashes []string) ([]core.Token, error) {
	if len(hashes) == 0 {
		return nil, nil
	}
	var a args
	var rs []tokenRow
	if err := sqlx.SelectContext(ctx, c.r, &rs, `SELECT hash, kind, subject_id, expires_at, created_at
		FROM tokens WHERE hash IN (`+a.in(hashes)+`)`, a...); err != nil {
		return nil, wrap(err, "read %d tokens", len(hashes))
	}
	out := make([]core.Token, len(rs))
	for i, r := range rs {
		out[i] = core.Token{Hash: r.Hash, Kind: core.TokenKind(r.Kind), SubjectID: r.SubjectID,
			ExpiresAt: r.ExpiresAt.time(), CreatedAt: r.CreatedAt.time()}
	}
	return out, nil
}

// DeleteToken removes a token; ErrNotFound when there is none.
func (c *conn) DeleteToken(ctx context.Context, hash string) error {
	n, err := exec(ctx, c.w, "DELETE FROM tokens WHERE hash = $1", hash)
	if err != nil {
		return wrap(err, "delete token")
	}
	if n == 0 {
		return notFound("delete token")
	}
	return nil
}

// DeleteAgentTokens removes every agent token of an agent.
func (c *conn) DeleteAgentTokens(ctx context.Context, agentID string) (int, error) {
	n, err := exec(ctx, c.w, "DELETE FROM tokens WHERE kind = 'agent' AND subject_id = $1", agentID)
	if err != nil {
		return 0, wrap(err, "delete tokens of agent %s", agentID)
	}
	return int(n), nil
}

// agentTokenRow is an agent row with its token's columns.
type agentTokenRow struct {
	agentRow
	TokenHash      string `db:"token_hash"`
	TokenExpiresAt micros `db:"token_expires_at"`
	TokenCreatedAt micros `db:"token_created_at"`
}

// AgentByTokenHash reads an agent token with its agent in one statement.
func (c *conn) AgentByTokenHash(ctx context.Context, hash string) (core.Token, core.Agent, error) {
	var r agentTokenRow
	err := sqlx.GetContext(ctx, c.r, &r, `SELECT t.hash AS token_hash, t.expires_at AS token_expires_at,
		t.created_at AS token_created_at, `+agentCols+`
		FROM tokens t JOIN agents a ON a.id = t.subject_id WHERE t.hash = $1 AND t.kind = 'agent'`, hash)
	if err != nil {
		return core.Token{}, core.Agent{}, wrap(err, "agent token")
	}
	a, err := r.agent()
	if err != nil {
		return core.Token{}, core.Agent{}, err
	}
	return core.Token{Hash: r.TokenHash, Kind: core.TokenAgent, SubjectID: a.ID,
		ExpiresAt: r.TokenExpiresAt.time(), CreatedAt: r.TokenCreatedAt.time()}, a, nil
}
