package core

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Search limits.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// SearchConversations is the inbox history. Non-admins see their own
// conversations, everything resolved, and the conversations of open
// requests offered to them.
func (s *Service) SearchConversations(ctx context.Context, actor Agent, q ConversationQuery) ([]Conversation, string, error) {
	switch {
	case q.Limit == 0:
		q.Limit = DefaultPageSize
	case q.Limit < 0 || q.Limit > MaxPageSize:
		return nil, "", Invalid("limit", "must be between 1 and %d", MaxPageSize)
	}
	if len(q.Text) > 500 {
		return nil, "", Invalid("q", "must be at most 500 characters")
	}
	for field, v := range map[string]string{"q": q.Text, "customer": q.Customer, "channel": q.Channel, "agent_id": q.AgentID, "cursor": q.Cursor} {
		if hasControls(v) || !utf8.ValidString(v) {
			return nil, "", Invalid(field, "must be valid text without control characters")
		}
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return nil, "", Invalid("to", "must be after from")
	}
	if err := checkSearch(q.Text); err != nil {
		return nil, "", err
	}
	q.VisibleTo = ""
	if !actor.Admin {
		q.VisibleTo = actor.ID
	}
	convs, next, err := s.store.SearchConversations(ctx, q)
	if err != nil {
		return nil, "", fmt.Errorf("search conversations: %w", err)
	}
	out := make([]Conversation, 0, len(convs))
	for _, c := range convs {
		out = append(out, s.viewConversation(c))
	}
	if err := s.summarize(ctx, out); err != nil {
		return nil, "", err
	}
	return out, next, nil
}

// ConversationFilter names the statuses of GET /v1/conversations?status=.
func ConversationFilter(status string) ([]ConversationStatus, error) {
	switch status {
	case "":
		return []ConversationStatus{ConvActive}, nil
	case "bot", "waiting", "active", "resolved":
		return []ConversationStatus{ConversationStatus(status)}, nil
	case "all":
		return nil, nil
	}
	return nil, Invalid("status", "must be one of bot, waiting, active, resolved, all")
}

// GetConversation reads a conversation and all its messages.
func (s *Service) GetConversation(ctx context.Context, actor Agent, id string) (Conversation, []Message, error) {
	conv, err := s.store.ConversationByID(ctx, id)
	if err != nil {
		return Conversation{}, nil, fmt.Errorf("read conversation %s: %w", id, err)
	}
	if err := s.canView(ctx, actor, conv); err != nil {
		return Conversation{}, nil, err
	}
	msgs, err := s.store.ListMessages(ctx, id, "", 0)
	if err != nil {
		return Conversation{}, nil, fmt.Errorf("list messages of %s: %w", id, err)
	}
	if msgs == nil {
		msgs = []Message{}
	}
	// Its agent opening it has read it (unread.go).
	if conv.AgentID == actor.ID {
		if err := s.markRead(ctx, conv, readUpTo(msgs)); err != nil {
			return Conversation{}, nil, err
		}
	}
	out := []Conversation{s.viewConversation(conv)}
	if err := s.summarize(ctx, out); err != nil {
		return Conversation{}, nil, err
	}
	return out[0], msgs, nil
}

// canView: admins and the assigned agent always; anyone the resolved
// history; an agent a waiting conversation whose request is offered to them.
func (s *Service) canView(ctx context.Context, actor Agent, conv Conversation) error {
	return s.canViewTx(ctx, s.store, actor, conv)
}

// canViewTx is canView reading in tx.
func (s *Service) canViewTx(ctx context.Context, tx Tx, actor Agent, conv Conversation) error {
	if actor.Admin || conv.AgentID == actor.ID || conv.Status == ConvResolved {
		return nil
	}
	if conv.Status == ConvWaiting && conv.RequestID != "" {
		req, err := tx.RequestByID(ctx, conv.RequestID)
		if err != nil {
			return fmt.Errorf("read request %s: %w", conv.RequestID, err)
		}
		if req.IsOfferedTo(actor.ID) {
			return nil
		}
	}
	return fmt.Errorf("conversation %s is not yours: %w", conv.ID, ErrForbidden)
}

// SendAgentMessage queues the assigned agent's reply (text, or a template
// by name or shortcut with its placeholders filled in).
func (s *Service) SendAgentMessage(ctx context.Context, actor Agent, convID, text, template string) (Message, error) {
	set := s.set()
	switch {
	case text != "" && template != "":
		return Message{}, Invalid("text", "give either text or template, not both")
	case template != "":
		if _, ok := set.template(template); !ok {
			return Message{}, Invalid("template", "no template named %q", template)
		}
	default:
		if err := checkText("text", text); err != nil {
			return Message{}, err
		}
	}
	var a after
	var msg Message
	err := s.store.Atomic(ctx, func(tx Tx) error {
		conv, err := tx.ConversationByID(ctx, convID)
		if err != nil {
			return fmt.Errorf("read conversation %s: %w", convID, err)
		}
		if conv.AgentID != actor.ID {
			return fmt.Errorf("only the assigned agent writes in %s: %w", convID, ErrForbidden)
		}
		if conv.Status != ConvActive {
			return &TransitionError{What: "conversation", From: string(conv.Status), Action: "send a message in"}
		}
		body := strings.TrimSpace(text)
		if template != "" {
			t, _ := set.template(template)
			body = FillTemplate(t.Body, conv.Customer, actor, s.channelOf(conv.ChannelID))
		}
		msg, err = s.outbound(ctx, tx, &a, conv, AuthorAgent, actor.ID, body)
		return err
	})
	if err != nil {
		return Message{}, err
	}
	a.run(ctx, s)
	return msg, nil
}

// Resolve ends an active conversation (its agent or an admin).
func (s *Service) Resolve(ctx context.Context, actor Agent, convID string) (Conversation, error) {
	var a after
	var conv Conversation
	var freed bool // the agent was full: the open requests are re-offered
	err := s.store.Atomic(ctx, func(tx Tx) error {
		var req Request
		var err error
		if conv, req, err = lockWithRequest(ctx, tx, convID); err != nil {
			return fmt.Errorf("resolve: %w", err)
		}
		if !actor.Admin && conv.AgentID != actor.ID {
			return fmt.Errorf("resolve conversation %s: %w", convID, ErrForbidden)
		}
		if conv.Status != ConvActive {
			return &TransitionError{What: "conversation", From: string(conv.Status), Action: "resolve"}
		}
		if freed, err = s.fullAgent(ctx, tx, conv.AgentID); err != nil {
			return fmt.Errorf("resolve conversation %s: %w", convID, err)
		}
		return s.resolveTx(ctx, tx, &a, &conv, req, "This conversation was resolved. Write again any time.")
	})
	if err != nil {
		return Conversation{}, err
	}
	a.run(ctx, s)
	if freed {
		// One re-offer per open request per second, however many chats
		// end in it: a task still queued from this second covers this one.
		s.rerouteOpen(ctx, fmt.Sprintf("freed:%d", s.clock().Unix()))
	}
	return s.viewConversation(conv), nil
}

// fullAgent reports whether the agent (if any) is online with every chat
// slot taken, read before one of their chats ends or moves on. Only then
// does that make them eligible for the open requests, which must be
// re-offered; an agent with room was eligible, and offered them, already.
// Of several chats of a full agent ending at once, the first to commit
// read the agent full before any other committed, so at least one
// re-offers.
func (s *Service) fullAgent(ctx context.Context, tx Tx, agentID string) (bool, error) {
	if agentID == "" {
		return false, nil
	}
	ag, err := tx.AgentByID(ctx, agentID)
	if isNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read agent %s: %w", agentID, err)
	}
	return ag.Online && ag.ActiveChats >= ag.MaxChats, nil
}

// lockWithRequest locks the conversation and its request, in the lock
// order used everywhere (agent, then request, then conversation); the
// request is the zero Request when the conversation has none.
func lockWithRequest(ctx context.Context, tx Tx, convID string) (Conversation, Request, error) {
	conv, err := tx.ConversationByID(ctx, convID)
	if err != nil {
		return Conversation{}, Request{}, fmt.Errorf("read conversation %s: %w", convID, err)
	}
	var req Request
	if conv.RequestID != "" {
		if req, err = tx.LockRequest(ctx, conv.RequestID); err != nil {
			return Conversation{}, Request{}, fmt.Errorf("lock request %s: %w", conv.RequestID, err)
		}
	}
	if conv, err = tx.LockConversation(ctx, convID); err != nil {
		return Conversation{}, Request{}, fmt.Errorf("lock conversation %s: %w", convID, err)
	}
	return conv, req, nil
}

// resolveTx resolves the conversation and its request and tells the
// customer. req is the conversation's request when the caller holds its
// lock (lockWithRequest); another request is locked here.
func (s *Service) resolveTx(ctx context.Context, tx Tx, a *after, conv *Conversation, req Request, note string) error {
	now := s.clock()
	conv.Status, conv.ResolvedAt = ConvResolved, now
	if err := tx.UpdateConversation(ctx, *conv); err != nil {
		return fmt.Errorf("resolve conversation %s: %w", conv.ID, err)
	}
	if conv.RequestID != "" {
		if req.ID != conv.RequestID { // it moved on between the reads
			var err error
			if req, err = tx.LockRequest(ctx, conv.RequestID); err != nil {
				return fmt.Errorf("resolve: read request %s: %w", conv.RequestID, err)
			}
		}
		req.Status, req.ClosedAt, req.UpdatedAt = ReqResolved, now, now
		if err := tx.UpdateRequest(ctx, req); err != nil {
			return fmt.Errorf("resolve request %s: %w", req.ID, err)
		}
	}
	if conv.AgentID != "" {
		s.publish(a, AgentStream(conv.AgentID), EventConversationUpdated, s.viewConversation(*conv))
	}
	s.visitorStatus(a, *conv, VisitorStatus{Status: ConvResolved})
	_, err := s.outbound(ctx, tx, a, *conv, AuthorSystem, "", note)
	return err
}

// Reassign hands an active conversation to another agent. The assigned
// agent or an admin may; the target's capacity is checked unless an admin
// asks.
func (s *Service) Reassign(ctx context.Context, actor Agent, convID, targetID string) (Conversation, error) {
	if targetID == "" {
		return Conversation{}, Invalid("agent_id", "is required")
	}
	var a after
	var conv Conversation
	var freed bool // the previous agent was full: the open requests are re-offered
	err := s.store.Atomic(ctx, func(tx Tx) error {
		target, err := tx.LockAgent(ctx, targetID)
		if isNotFound(err) {
			return Invalid("agent_id", "no agent with id %q", targetID)
		}
		if err != nil {
			return fmt.Errorf("reassign: lock agent %s: %w", targetID, err)
		}
		if !target.Active() {
			return Invalid("agent_id", "agent %s is deactivated", targetID)
		}
		if conv, err = tx.LockConversation(ctx, convID); err != nil {
			return fmt.Errorf("reassign: read conversation %s: %w", convID, err)
		}
		if !actor.Admin && conv.AgentID != actor.ID {
			return fmt.Errorf("reassign conversation %s: %w", convID, ErrForbidden)
		}
		if conv.Status != ConvActive {
			return &TransitionError{What: "conversation", From: string(conv.Status), Action: "reassign"}
		}
		if conv.AgentID == target.ID {
			return nil
		}
		if !actor.Admin && target.ActiveChats >= target.MaxChats {
			return fmt.Errorf("reassign to %s: %w", target.ID, ErrAtCapacity)
		}
		previous := conv.AgentID
		if freed, err = s.fullAgent(ctx, tx, previous); err != nil {
			return fmt.Errorf("reassign conversation %s: %w", convID, err)
		}
		conv.AgentID = target.ID
		if err := tx.UpdateConversation(ctx, conv); err != nil {
			return fmt.Errorf("reassign conversation %s: %w", convID, err)
		}
		// The previous agent loses it, the new one gains it: both screens hear.
		s.publish(&a, AgentStream(previous), EventConversationUpdated, s.viewConversation(conv))
		s.publish(&a, AgentStream(target.ID), EventConversationUpdated, s.viewConversation(conv))
		s.visitorStatus(&a, conv, VisitorStatus{Status: ConvActive, AgentName: target.Name})
		_, err = s.outbound(ctx, tx, &a, conv, AuthorSystem, "", "You're now chatting with "+target.Name+".")
		return err
	})
	if err != nil {
		return Conversation{}, err
	}
	a.run(ctx, s)
	if freed {
		s.rerouteOpen(ctx, fmt.Sprintf("reassigned:%s:%s", convID, targetID))
	}
	return s.viewConversation(conv), nil
}

// Templates lists the canned replies.
func (s *Service) Templates() []Template {
	t := s.set().Templates
	if t == nil {
		return []Template{}
	}
	return t
}

func (s *Service) viewConversation(c Conversation) Conversation {
	c.Channel = s.channelOf(c.ChannelID)
	return c
}
