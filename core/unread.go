package core

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Unread counts and read marks. Each agent has a read mark per
// conversation (ReadStore): the newest message they had on screen. A
// conversation's unread count is the customer messages after the read
// mark of its assigned agent; that agent opening the conversation
// (GetConversation) or saying they read it (MarkConversationRead) moves
// the mark, which every tab of theirs hears (conversation.read) and, on
// the widget, the visitor sees as "Seen" (read).

// ConversationRead is the data of conversation.read on an agent's stream.
type ConversationRead struct {
	ConversationID string    `json:"conversation_id"`
	AgentID        string    `json:"agent_id"`
	UpTo           string    `json:"up_to"`
	ReadAt         time.Time `json:"read_at"`
	UnreadCount    int       `json:"unread_count"`
}

// SeenByAgent is the data of read on a widget visitor's stream: the agent
// has seen the conversation up to message UpTo.
type SeenByAgent struct {
	ConversationID string    `json:"conversation_id"`
	Who            string    `json:"who"` // "agent"
	UpTo           string    `json:"up_to"`
	SeenAt         time.Time `json:"seen_at"`
}

// MarkConversationRead records that the conversation's assigned agent has
// read it up to its newest message (POST /v1/conversations/{id}/read):
// a tab that shows the conversation as messages arrive says so. Only the
// assigned agent has a count to clear; anyone else is refused.
func (s *Service) MarkConversationRead(ctx context.Context, actor Agent, convID string) (Conversation, error) {
	conv, err := s.store.ConversationByID(ctx, convID)
	if err != nil {
		return Conversation{}, fmt.Errorf("read conversation %s: %w", convID, err)
	}
	if conv.AgentID != actor.ID {
		return Conversation{}, fmt.Errorf("only the assigned agent reads %s: %w", convID, ErrForbidden)
	}
	msgs, err := s.store.ListMessages(ctx, convID, "", 0)
	if err != nil {
		return Conversation{}, fmt.Errorf("list messages of %s: %w", convID, err)
	}
	if err := s.markRead(ctx, conv, readUpTo(msgs)); err != nil {
		return Conversation{}, err
	}
	out := []Conversation{s.viewConversation(conv)}
	if err := s.summarize(ctx, out); err != nil {
		return Conversation{}, err
	}
	return out[0], nil
}

// readUpTo is the message a read of msgs (oldest first) reaches: the
// newest one that is not a note (the visitor may hear of it), or the
// zero Message.
func readUpTo(msgs []Message) Message {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Author != AuthorNote {
			return msgs[i]
		}
	}
	return Message{}
}

// markRead moves the read mark of conv's agent up to m and, if it moved,
// tells the agent's tabs and the widget visitor. A zero m moves nothing.
func (s *Service) markRead(ctx context.Context, conv Conversation, m Message) error {
	if m.ID == "" || conv.AgentID == "" {
		return nil
	}
	mark := ReadMark{ConversationID: conv.ID, AgentID: conv.AgentID, UpToID: m.ID, At: m.CreatedAt}
	moved, err := s.store.MarkRead(ctx, mark)
	if err != nil {
		return fmt.Errorf("mark %s read by %s: %w", conv.ID, conv.AgentID, err)
	}
	if !moved {
		return nil
	}
	var a after
	s.publish(&a, AgentStream(conv.AgentID), EventConversationRead, ConversationRead{ConversationID: conv.ID,
		AgentID: conv.AgentID, UpTo: m.ID, ReadAt: m.CreatedAt.UTC()})
	if s.channelOf(conv.ChannelID).Type == ChannelWidget {
		s.publish(&a, VisitorStream(conv.CustomerID), EventRead, SeenByAgent{ConversationID: conv.ID, Who: "agent",
			UpTo: m.ID, SeenAt: m.CreatedAt.UTC()})
	}
	a.run(ctx, s)
	return nil
}

// summarize fills the unread count and newest message of conversation
// rows, in one read for the lot.
func (s *Service) summarize(ctx context.Context, convs []Conversation) error {
	if len(convs) == 0 {
		return nil
	}
	ids := make([]string, len(convs))
	for i, c := range convs {
		ids[i] = c.ID
	}
	sums, err := s.store.ConversationSummaries(ctx, ids)
	if err != nil {
		return fmt.Errorf("summaries of %d conversations: %w", len(ids), err)
	}
	for i := range convs {
		sum := sums[convs[i].ID]
		convs[i].Summary = &sum
	}
	return nil
}

// visitorSeen fills the "Seen" of the visitor's thread: how far the
// conversation's agent has read it.
func (s *Service) visitorSeen(ctx context.Context, conv Conversation, th *VisitorThread) error {
	if conv.AgentID == "" {
		return nil
	}
	mark, err := s.store.ReadMarkOf(ctx, conv.ID, conv.AgentID)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read mark of %s: %w", conv.ID, err)
	}
	at := mark.At.UTC()
	th.SeenUpTo, th.SeenAt = mark.UpToID, &at
	return nil
}

// VisitorRead records what the visitor's widget displayed (POST
// /v1/widget/read): every message we sent them up to message upTo is
// read, and the agents handling those conversations hear it
// (message.updated), as with a provider's read receipt (ReadUpTo). upTo
// must name a message of the visitor's own that they may see.
func (s *Service) VisitorRead(ctx context.Context, v Visitor, upTo string) error {
	if upTo == "" {
		return Invalid("up_to", "is required: the id of the newest message the widget displayed")
	}
	if len(upTo) > 64 || !utf8.ValidString(upTo) || hasControls(upTo) || strings.TrimSpace(upTo) != upTo {
		return Invalid("up_to", "must be a message id")
	}
	m, conv, err := s.store.MessageWithConversation(ctx, upTo)
	if isNotFound(err) || (err == nil && (conv.CustomerID != v.Customer.ID || m.Author == AuthorNote)) {
		return Invalid("up_to", "names no message of this visitor's conversation")
	}
	if err != nil {
		return fmt.Errorf("read message %s: %w", upTo, err)
	}
	at := m.CreatedAt
	if m.SentAt.After(at) {
		at = m.SentAt
	}
	moved, err := s.store.ReadUpTo(ctx, v.Channel.ID, v.Customer.ChannelUserID, at)
	if err != nil {
		return fmt.Errorf("visitor %s read up to %s: %w", v.Customer.ID, upTo, err)
	}
	s.movedEvents(ctx, moved)
	return nil
}

// preview is the first n characters of text, on one line, with an
// ellipsis when it was cut.
func preview(text string, n int) string {
	text = strings.Join(strings.Fields(text), " ")
	if utf8.RuneCountInString(text) <= n {
		return text
	}
	r := []rune(text)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}
