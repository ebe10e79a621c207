package core

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// RunBot is the conv:bot worker: the bot's turn after a customer message.
// It is idempotent: a processed message, or a conversation no longer with
// the bot, is a no-op.
func (s *Service) RunBot(ctx context.Context, messageID string) error {
	return s.RunBots(ctx, []string{messageID})
}

// RunBots takes the bot's turns on several customer messages in one
// transaction, in the order given: the messages are claimed with one
// statement and their conversations locked with another, so a group of k
// messages costs a few statements, not k transactions; their answers are
// stored together at the end (heldAnswers). Each message is claimed once
// (see ClaimUnprocessed), so a message queued twice gets one turn. After
// the commit the worker routes the requests a handoff opened and sends the
// answers itself (after.runInWorker).
func (s *Service) RunBots(ctx context.Context, messageIDs []string) error {
	var a after
	err := s.store.Atomic(ctx, func(tx Tx) error {
		held := &heldAnswers{Tx: tx}
		if err := s.botTurns(ctx, held, &a, messageIDs); err != nil {
			return err
		}
		return held.flush(ctx)
	})
	if errors.Is(err, ErrNotFound) {
		return nil // something the turn needed is gone: nothing to do
	}
	if err != nil {
		return err
	}
	a.runInWorker(ctx, s)
	return nil
}

// heldAnswers is the Tx of a group of bot turns: the messages the turns
// send (answers, notices) are held and stored together at the end, with
// one statement (Tx.InsertMessages) instead of one each. Nothing in a bot
// turn reads them back before the commit.
type heldAnswers struct {
	Tx
	held []Message
}

// InsertMessage holds an outbound message; a customer message goes in at
// once.
func (h *heldAnswers) InsertMessage(ctx context.Context, m Message) error {
	if m.Author == AuthorCustomer {
		return h.Tx.InsertMessage(ctx, m)
	}
	h.held = append(h.held, m)
	return nil
}

// flush stores the held messages.
func (h *heldAnswers) flush(ctx context.Context) error {
	if len(h.held) == 0 {
		return nil
	}
	if err := h.Tx.InsertMessages(ctx, h.held); err != nil {
		return fmt.Errorf("bot: store %d answers (first %s): %w", len(h.held), h.held[0].ID, err)
	}
	return nil
}

// botTurns claims the messages, locks their conversations and takes the
// bot's turns in tx.
func (s *Service) botTurns(ctx context.Context, tx Tx, a *after, messageIDs []string) error {
	msgs, err := tx.ClaimUnprocessed(ctx, messageIDs, s.clock())
	if err != nil {
		return fmt.Errorf("bot: claim messages %s: %w", strings.Join(messageIDs, ","), err)
	}
	if len(msgs) == 0 {
		return nil
	}
	pos := make(map[string]int, len(messageIDs))
	for i, id := range messageIDs {
		if _, dup := pos[id]; !dup {
			pos[id] = i
		}
	}
	slices.SortFunc(msgs, func(x, y Message) int { return cmp.Compare(pos[x.ID], pos[y.ID]) })
	convIDs := make([]string, len(msgs))
	for i, m := range msgs {
		convIDs[i] = m.ConversationID
	}
	locked, err := tx.LockConversations(ctx, convIDs)
	if err != nil {
		return fmt.Errorf("bot: lock conversations: %w", err)
	}
	convs := make(map[string]*Conversation, len(locked))
	for i := range locked {
		convs[locked[i].ID] = &locked[i]
	}
	for _, msg := range msgs {
		if conv, ok := convs[msg.ConversationID]; ok {
			if err := s.botTurn(ctx, tx, a, conv, msg); err != nil {
				return err
			}
		}
	}
	return nil
}

// botTurn answers msg in conv, which it keeps up to date for the turns on
// the conversation's later messages in the same transaction.
func (s *Service) botTurn(ctx context.Context, tx Tx, a *after, conv *Conversation, msg Message) error {
	if conv.Status != ConvBot {
		return nil // a person has it, or it is queued for one
	}
	bot := s.set().Bot
	if isStartCommand(msg.Text) { // a messaging app's "Start" button: greet, no miss
		_, err := s.outbound(ctx, tx, a, *conv, AuthorBot, "", s.greeting(conv.ChannelID))
		return err
	}
	if s.asksForPerson(msg.Text) {
		return s.handOff(ctx, tx, a, conv, ReasonCustomerAsked, msg.Text)
	}
	if answer, _, ok := s.kb.Load().Answer(msg.Text); ok {
		_, err := s.outbound(ctx, tx, a, *conv, AuthorBot, "", answer)
		return err
	}
	conv.BotMisses++ // a knowledge-base miss
	if err := tx.UpdateConversation(ctx, *conv); err != nil {
		return fmt.Errorf("bot: count miss in %s: %w", conv.ID, err)
	}
	if bot.MaxUnanswered > 0 && conv.BotMisses >= bot.MaxUnanswered {
		if _, err := s.outbound(ctx, tx, a, *conv, AuthorBot, "", botHandingOff); err != nil {
			return err
		}
		return s.handOff(ctx, tx, a, conv, ReasonBotHandoff, msg.Text)
	}
	_, err := s.outbound(ctx, tx, a, *conv, AuthorBot, "", botFallback)
	return err
}

// handOff opens the request for a person and leaves conv waiting for it.
func (s *Service) handOff(ctx context.Context, tx Tx, a *after, conv *Conversation, reason RequestReason, trigger string) error {
	req, err := s.openRequest(ctx, tx, a, *conv, reason, trigger)
	if err != nil {
		return err
	}
	conv.Status, conv.RequestID = ConvWaiting, req.ID
	return nil
}

// DefaultGreeting greets on channels without a greeting of their own.
const DefaultGreeting = "Hi! How can we help?"

// greeting is the channel's greeting, or DefaultGreeting.
func (s *Service) greeting(channelID string) string {
	if g := s.set().Greetings[channelID]; g != "" {
		return g
	}
	return DefaultGreeting
}

// isStartCommand recognises Telegram's /start (optionally with a deep-link
// parameter or the bot's @name).
func isStartCommand(text string) bool {
	f := strings.Fields(text)
	return len(f) > 0 && (f[0] == "/start" || strings.HasPrefix(f[0], "/start@"))
}
