package core

import (
	"context"
	"fmt"
	"slices"
)

// Events publishes to the live event streams of agents and visitors
// (adapters/eventbus). Deps.Events is optional: without it nothing is
// published, and every screen still reads the same state over REST.
type Events interface {
	// Publish appends one event to a stream.
	Publish(ctx context.Context, stream, typ string, data any) error
	// PublishBatch publishes several events, in order, in one round trip:
	// a step that offers a request to twenty agents publishes twenty.
	PublishBatch(ctx context.Context, events []Published) error
}

// Published is one event of a PublishBatch.
type Published struct {
	Stream, Type string
	Data         any
}

// Event types on the streams (docs/api.md).
const (
	EventRequestCreated      = "request.created"
	EventRequestUpdated      = "request.updated"
	EventRequestRemoved      = "request.removed"
	EventMessageCreated      = "message.created"
	EventMessageUpdated      = "message.updated"
	EventConversationUpdated = "conversation.updated"
	EventAgentUpdated        = "agent.updated"
	EventStatus              = "status" // a visitor's conversation status
	// EventTyping: someone is typing, or stopped (typing.go).
	EventTyping = "typing"
	// EventConversationRead: an agent's read mark moved (unread.go), on
	// the agent's stream (every tab clears the count) and, as EventRead,
	// on the widget visitor's ("Seen").
	EventConversationRead = "conversation.read"
	EventRead             = "read"
)

// AgentStream names the event stream of one agent.
func AgentStream(agentID string) string { return "agent:" + agentID }

// VisitorStream names the event stream of one widget visitor (customer).
func VisitorStream(customerID string) string { return "visitor:" + customerID }

// RequestRef is the data of request.removed.
type RequestRef struct {
	ID string `json:"id"`
}

// VisitorStatus is the data of a visitor's status event.
type VisitorStatus struct {
	Status        ConversationStatus `json:"status"`
	QueuePosition int                `json:"queue_position,omitempty"`
	ETASeconds    int                `json:"eta_seconds,omitempty"`
	AgentName     string             `json:"agent_name,omitempty"`
}

// publish queues an event for after the commit. A failed publish is
// logged, never returned: the state is committed, and clients that missed
// an event re-read it over REST.
func (s *Service) publish(a *after, stream, typ string, data any) {
	if s.events == nil {
		return
	}
	*a = append(*a, step{ev: &Published{Stream: stream, Type: typ, Data: data}})
}

// publishAll publishes events in order: several in one batch. A failed
// publish is logged; the streams' readers catch up on reconnect.
func (s *Service) publishAll(ctx context.Context, evs []Published) {
	if len(evs) > 1 {
		if err := s.events.PublishBatch(ctx, evs); err != nil {
			s.log.WarnContext(ctx, "publish events failed", "events", len(evs), "err", err)
		}
		return
	}
	for _, e := range evs {
		if err := s.events.Publish(ctx, e.Stream, e.Type, e.Data); err != nil {
			s.log.WarnContext(ctx, "publish event failed", "type", e.Type, "err", err)
		}
	}
}

// offerEvents tells agents how an offer changed: the newly offered get
// request.created, those no longer offered request.removed, those still
// offered request.updated.
func (s *Service) offerEvents(a *after, req Request, before, now []string, pos int) {
	for _, id := range before {
		if !slices.Contains(now, id) {
			s.publish(a, AgentStream(id), EventRequestRemoved, RequestRef{ID: req.ID})
		}
	}
	qp := map[string]int{req.ID: pos}
	for _, id := range now {
		typ := EventRequestUpdated
		if !slices.Contains(before, id) {
			typ = EventRequestCreated
		}
		s.publish(a, AgentStream(id), typ, s.decorate(req, Agent{ID: id}, qp))
	}
}

// messageEvents hands a new message to the agent handling the
// conversation and, on the widget, to the visitor.
func (s *Service) messageEvents(a *after, conv Conversation, typ string, m Message) {
	if conv.AgentID != "" {
		s.publish(a, AgentStream(conv.AgentID), typ, m)
	}
	if m.Author != AuthorNote && s.channelOf(conv.ChannelID).Type == ChannelWidget {
		s.publish(a, VisitorStream(conv.CustomerID), typ, m)
	}
}

// visitorStatus tells a widget visitor where their conversation stands.
func (s *Service) visitorStatus(a *after, conv Conversation, st VisitorStatus) {
	if s.channelOf(conv.ChannelID).Type == ChannelWidget {
		s.publish(a, VisitorStream(conv.CustomerID), EventStatus, st)
	}
}

// EventTokensRevoked tells the open event streams of an agent (or a
// visitor) that tokens of theirs were revoked (logout, a new password,
// deactivation). It is not for clients: a stream checks whether its own
// token still stands (Service.LiveTokens) and closes at once if not.
const EventTokensRevoked = "tokens.revoked"

// TokensRevoked is the data of EventTokensRevoked.
type TokensRevoked struct {
	// Reason is logout, password or deactivated.
	Reason string `json:"reason"`
}

// tokensRevoked publishes EventTokensRevoked on the subject's stream. A
// failed publish is logged: the streams find out at their next check.
func (s *Service) tokensRevoked(ctx context.Context, kind TokenKind, subjectID, reason string) {
	if s.events == nil {
		return
	}
	stream := AgentStream(subjectID)
	if kind == TokenVisitor {
		stream = VisitorStream(subjectID)
	}
	if err := s.events.Publish(ctx, stream, EventTokensRevoked, TokensRevoked{Reason: reason}); err != nil {
		s.log.WarnContext(ctx, "publish token revocation failed; open streams close at their next check",
			"stream", stream, "err", err)
	}
}

// LiveTokens reports which of the token hashes still authenticate (they
// exist and have not expired): an event stream whose token is not live is
// closed. It costs one read for the lot.
func (s *Service) LiveTokens(ctx context.Context, hashes []string) (map[string]bool, error) {
	live := make(map[string]bool, len(hashes))
	if len(hashes) == 0 {
		return live, nil
	}
	toks, err := s.store.TokensByHashes(ctx, hashes)
	if err != nil {
		return nil, fmt.Errorf("check %d tokens: %w", len(hashes), err)
	}
	now := s.clock()
	for _, t := range toks {
		if now.Before(t.ExpiresAt) {
			live[t.Hash] = true
		}
	}
	return live, nil
}
