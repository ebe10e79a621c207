package core

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
)

// RequestMessages is the transcript of a request's conversation so far
// (the bot's part, before anyone accepted), for the agents whose panel
// shows the request (inPanel): a preview before accepting.
func (s *Service) RequestMessages(ctx context.Context, actor Agent, requestID string) ([]Message, error) {
	req, err := s.store.RequestByID(ctx, requestID)
	if err != nil {
		return nil, fmt.Errorf("read request %s: %w", requestID, err)
	}
	if !inPanel(actor, req) {
		return nil, fmt.Errorf("request %s is not in the panel of %s: %w", requestID, actor.ID, ErrForbidden)
	}
	msgs, err := s.store.ListMessages(ctx, req.ConversationID, "", 0)
	if err != nil {
		return nil, fmt.Errorf("list messages of %s: %w", req.ConversationID, err)
	}
	if msgs == nil {
		msgs = []Message{}
	}
	return msgs, nil
}

// MePatch is what an agent may change of themselves (PATCH /v1/me).
type MePatch struct {
	Name *string
}

// UpdateMe changes the calling agent's own display name: what customers
// read ("You're now chatting with …") and colleagues see. Their other
// tabs hear agent.updated.
func (s *Service) UpdateMe(ctx context.Context, actor Agent, p MePatch) (Agent, error) {
	if p.Name == nil {
		return Agent{}, Invalid("name", "is required")
	}
	name, err := agentName(*p.Name)
	if err != nil {
		return Agent{}, err
	}
	var out Agent
	err = s.store.Atomic(ctx, func(tx Tx) error {
		a, err := tx.LockAgent(ctx, actor.ID)
		if err != nil {
			return fmt.Errorf("update agent %s: %w", actor.ID, err)
		}
		a.Name = name
		if err := checkAgent(a.Email, a.Name, a.Roles, a.MaxChats); err != nil {
			return err
		}
		if err := tx.UpdateAgent(ctx, a); err != nil {
			if errors.Is(err, ErrDuplicate) {
				return emailTaken(a.Email, err)
			}
			return fmt.Errorf("update agent %s: %w", actor.ID, err)
		}
		out = a
		return nil
	})
	if err != nil {
		return Agent{}, err
	}
	s.auth.forgetSubject(out.ID)
	var a after
	s.publish(&a, AgentStream(out.ID), EventAgentUpdated, out)
	a.run(ctx, s)
	return out, nil
}

// tagAlphabet spells visitor tags: no 0/O, 1/I/L, so a tag read aloud or
// copied by hand stays right.
const tagAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// Tag is a short, stable tag of the customer ("K7QX"), derived from
// their id: it tells apart the visitors who gave no name, who all read
// "Anonymous Visitor".
func (c Customer) Tag() string {
	if c.ID == "" {
		return ""
	}
	h := sha256.Sum256([]byte(c.ID))
	b := make([]byte, 4)
	for i := range b {
		b[i] = tagAlphabet[int(h[i])%len(tagAlphabet)]
	}
	return string(b)
}
