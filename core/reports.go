package core

import (
	"context"
	"fmt"
	"time"
)

// MaxShift bounds the window of a shift report.
const MaxShift = 31 * 24 * time.Hour

// ShiftReport lists the requests a shift missed: still waiting or declined
// at `to`, or declined during [from, to), with no agent reply yet; oldest
// first.
func (s *Service) ShiftReport(ctx context.Context, actor Agent, from, to time.Time) ([]Request, error) {
	if err := checkWindow(from, to); err != nil {
		return nil, err
	}
	missed, err := s.store.MissedRequests(ctx, from, to, 1000)
	if err != nil {
		return nil, fmt.Errorf("shift report %s–%s: %w", from, to, err)
	}
	pos, err := s.queuePositions(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Request, 0, len(missed))
	for _, r := range missed {
		out = append(out, s.decorate(r, actor, pos))
	}
	return out, nil
}

func checkWindow(from, to time.Time) error {
	switch {
	case from.IsZero():
		return Invalid("from", "is required")
	case to.IsZero():
		return Invalid("to", "is required")
	case !from.Before(to):
		return Invalid("to", "must be after from")
	case to.Sub(from) > MaxShift:
		return Invalid("to", "the window may span at most 31 days")
	}
	return nil
}

// FollowUp is one message a follow-up sent.
type FollowUp struct {
	RequestID string  `json:"request_id"`
	Message   Message `json:"message"`
}

// SendFollowUps sends a template, as the calling admin, to the customer of
// every request the shift missed. Each message counts as the agent reply,
// so a second run for the same shift sends nothing new.
func (s *Service) SendFollowUps(ctx context.Context, actor Agent, from, to time.Time, template string) ([]FollowUp, error) {
	if !actor.Admin {
		return nil, fmt.Errorf("follow up a shift: %w", ErrForbidden)
	}
	t, ok := s.set().template(template)
	if !ok {
		return nil, Invalid("template", "no template named %q", template)
	}
	missed, err := s.ShiftReport(ctx, actor, from, to)
	if err != nil {
		return nil, err
	}
	sent := []FollowUp{}
	for _, r := range missed {
		var a after
		var msg Message
		err := s.store.Atomic(ctx, func(tx Tx) error {
			conv, err := tx.LockConversation(ctx, r.ConversationID)
			if err != nil {
				return fmt.Errorf("follow up request %s: %w", r.ID, err)
			}
			body := FillTemplate(t.Body, conv.Customer, actor, s.channelOf(conv.ChannelID))
			msg, err = s.outbound(ctx, tx, &a, conv, AuthorAgent, actor.ID, body)
			return err
		})
		if err != nil {
			return sent, err
		}
		a.run(ctx, s)
		if msg.ID != "" {
			sent = append(sent, FollowUp{RequestID: r.ID, Message: msg})
		}
	}
	return sent, nil
}
