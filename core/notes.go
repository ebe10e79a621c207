package core

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// AddNote stores an agent's private note in a conversation: a message by
// AuthorNote that agents who may read the conversation see (the list,
// the detail, their event streams, the history search) and the customer
// never does. It is queued for no delivery, so no provider ever sends it,
// and it is published to agents only. Any agent who may read the
// conversation (canView) may add one, in any status.
func (s *Service) AddNote(ctx context.Context, actor Agent, convID, text string) (Message, error) {
	if err := checkText("text", text); err != nil {
		return Message{}, err
	}
	var a after
	var note Message
	err := s.store.Atomic(ctx, func(tx Tx) error {
		conv, err := tx.ConversationByID(ctx, convID)
		if err != nil {
			return fmt.Errorf("read conversation %s: %w", convID, err)
		}
		if err := s.canViewTx(ctx, tx, actor, conv); err != nil {
			return err
		}
		note = Message{ID: NewID(), ConversationID: conv.ID, ChannelID: conv.ChannelID, Author: AuthorNote,
			AgentID: actor.ID, Text: strings.TrimSpace(text), CreatedAt: s.clock()}
		if err := tx.InsertMessage(ctx, note); err != nil {
			return fmt.Errorf("store note in %s: %w", convID, err)
		}
		for _, id := range noteReaders(conv, actor) {
			s.publish(&a, AgentStream(id), EventMessageCreated, note)
		}
		return nil
	})
	if err != nil {
		return Message{}, err
	}
	a.run(ctx, s)
	return note, nil
}

// noteReaders are the agents told of a new note: the conversation's agent
// and the note's author.
func noteReaders(conv Conversation, author Agent) []string {
	ids := []string{author.ID}
	if conv.AgentID != "" && !slices.Contains(ids, conv.AgentID) {
		ids = append(ids, conv.AgentID)
	}
	return ids
}

// visitorMessages drops what a visitor never sees (notes) from a list of
// a conversation's messages.
func visitorMessages(msgs []Message) []Message {
	return slices.DeleteFunc(msgs, func(m Message) bool { return m.Author == AuthorNote })
}
