package core

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Typing indicators. They are events only: nothing is stored and no
// database row is written. The visitor's typing reaches the agent of the
// conversation on /v1/events; the agent's reaches a widget visitor on
// /v1/widget/events, and a customer on Telegram or WhatsApp through the
// channel's Typer, at most once per TypingEvery per conversation.

// TypingEvery is the least time between two provider typing calls of one
// conversation (in one gateway process). Telegram shows sendChatAction
// for about 5 s; WhatsApp's indicator lasts until the reply or 25 s.
const TypingEvery = 4 * time.Second

// Who is typing.
const (
	TypingCustomer = "customer"
	TypingAgent    = "agent"
)

// Typing is the data of a typing event. To agents it carries the
// conversation and the customer's name; to a visitor the agent's name.
type Typing struct {
	ConversationID string `json:"conversation_id"`
	Who            string `json:"who"`
	CustomerName   string `json:"customer_name,omitempty"`
	AgentName      string `json:"agent_name,omitempty"`
	Typing         bool   `json:"typing"`
}

// typingState holds the channels' Typers and when each conversation last
// had a provider typing call.
type typingState struct {
	mu     sync.Mutex
	typers map[string]Typer     // by channel id
	last   map[string]time.Time // conversation id → last provider call
}

// RegisterTyper sets the typing indicator of a channel (none: the
// customer sees no indicator there).
func (s *Service) RegisterTyper(channelID string, t Typer) {
	s.typing.mu.Lock()
	defer s.typing.mu.Unlock()
	if s.typing.typers == nil {
		s.typing.typers = map[string]Typer{}
	}
	s.typing.typers[channelID] = t
}

// typerDue returns the channel's Typer when the conversation may have a
// provider call now, and records the call; ok is false otherwise.
func (s *Service) typerDue(channelID, convID string, now time.Time) (Typer, bool) {
	st := &s.typing
	st.mu.Lock()
	defer st.mu.Unlock()
	t, ok := st.typers[channelID]
	if !ok {
		return nil, false
	}
	if last, seen := st.last[convID]; seen && now.Sub(last) < TypingEvery {
		return nil, false
	}
	if st.last == nil {
		st.last = map[string]time.Time{}
	}
	if len(st.last) >= 10000 { // forget the calls too old to throttle anything
		for id, at := range st.last {
			if now.Sub(at) >= TypingEvery {
				delete(st.last, id)
			}
		}
	}
	st.last[convID] = now
	return t, true
}

// VisitorTyping tells the agent of the visitor's active conversation that
// the visitor is typing (or stopped). With no agent yet there is nobody
// to tell, and it does nothing.
func (s *Service) VisitorTyping(ctx context.Context, v Visitor, typing bool) error {
	conv, err := s.store.LatestConversation(ctx, v.Customer.ID, v.Channel.ID)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("find conversation of visitor %s: %w", v.Customer.ID, err)
	}
	if conv.Status != ConvActive || conv.AgentID == "" || s.events == nil {
		return nil
	}
	ev := Typing{ConversationID: conv.ID, Who: TypingCustomer, CustomerName: conv.Customer.DisplayName(), Typing: typing}
	if err := s.events.Publish(ctx, AgentStream(conv.AgentID), EventTyping, ev); err != nil {
		s.log.WarnContext(ctx, "publish typing failed", "conversation_id", conv.ID, "err", err)
	}
	return nil
}

// AgentTyping shows the customer that the assigned agent is typing (or
// stopped): a widget visitor gets a typing event; a customer on a channel
// with a Typer sees the provider's indicator, which has no "stopped" (it
// ends by itself, or with the reply), so only typing=true calls it.
// Provider calls are throttled (TypingEvery) and best effort: a failure
// is logged, not returned.
func (s *Service) AgentTyping(ctx context.Context, actor Agent, convID string, typing bool) error {
	conv, err := s.store.ConversationByID(ctx, convID)
	if err != nil {
		return fmt.Errorf("read conversation %s: %w", convID, err)
	}
	if conv.AgentID != actor.ID {
		return fmt.Errorf("only the assigned agent types in %s: %w", convID, ErrForbidden)
	}
	if conv.Status != ConvActive {
		return &TransitionError{What: "conversation", From: string(conv.Status), Action: "type in"}
	}
	ch := s.channelOf(conv.ChannelID)
	if ch.Type == ChannelWidget {
		if s.events == nil {
			return nil
		}
		ev := Typing{ConversationID: conv.ID, Who: TypingAgent, AgentName: actor.Name, Typing: typing}
		if err := s.events.Publish(ctx, VisitorStream(conv.CustomerID), EventTyping, ev); err != nil {
			s.log.WarnContext(ctx, "publish typing failed", "conversation_id", conv.ID, "err", err)
		}
		return nil
	}
	if !typing {
		return nil
	}
	typer, ok := s.typerDue(conv.ChannelID, conv.ID, s.clock())
	if !ok {
		return nil
	}
	target := TypingTarget{Channel: ch, Customer: conv.Customer}
	last, err := s.store.LastCustomerMessage(ctx, conv.ID)
	switch {
	case err == nil:
		target.ReplyTo = last.ProviderID
	case !isNotFound(err):
		return fmt.Errorf("last customer message of %s: %w", conv.ID, err)
	}
	if err := typer.Typing(ctx, target); err != nil {
		s.log.WarnContext(ctx, "typing indicator failed", "channel", ch.ID, "conversation_id", conv.ID, "err", err)
	}
	return nil
}
