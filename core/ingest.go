package core

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Inbound is one customer message as a channel adapter normalised it.
type Inbound struct {
	ChannelID     string
	ChannelUserID string
	Name          string // empty: unknown (kept if we knew it before)
	ProviderID    string // provider message id, for deduplication; may be empty
	Text          string
	PageURL       string
	At            time.Time // provider timestamp; zero: now
	// Attachments are the files the provider announced with the message:
	// stored pending with it, fetched by the worker after the commit.
	Attachments []InboundAttachment
	// uploaded are files stored already (the widget's uploads), kept
	// with the message as they are.
	uploaded []Attachment
}

// Ingest stores an inbound customer message (customer upsert, open
// conversation, message insert unique on the provider id) and then queues
// the bot. A message seen before returns ErrDuplicate and stores nothing.
// Concurrent calls are committed together in groups (see ingestLane,
// unless Deps.IngestLanes is negative); the outcome of each call is the
// same as alone.
func (s *Service) Ingest(ctx context.Context, in Inbound) (Message, error) {
	// Providers relay whatever was typed; invisible control characters
	// (NUL above all, which PostgreSQL cannot store) are dropped, and from
	// names the bidi overrides and zero-width characters too (CleanName).
	in.Text, in.Name = stripControls(in.Text), CleanName(in.Name)
	if _, ok := s.set().channel(in.ChannelID); !ok {
		return Message{}, fmt.Errorf("channel %q: %w", in.ChannelID, ErrNotFound)
	}
	if err := checkText("text", in.Text); err != nil {
		return Message{}, err
	}
	if in.ChannelUserID == "" {
		return Message{}, Invalid("channel_user_id", "is required")
	}
	c := &ingestCall{in: in}
	if len(s.lanes) == 0 {
		c.msg, c.a, c.err = s.ingestOne(ctx, in)
	} else {
		s.ingestGrouped(ctx, c)
	}
	if c.err != nil {
		return Message{}, c.err
	}
	if !c.settled {
		c.a.run(ctx, s)
		if c.msg.ProcessedAt.IsZero() {
			s.queueBot(ctx, c.msg)
		}
	}
	if !c.fetchesQueued {
		s.queueFetches(ctx, c.msg)
	}
	return c.msg, nil
}

// queueFetches enqueues the fetch of each pending attachment of a stored
// message. A failed enqueue is logged: the sweeper finds the pending
// attachment.
func (s *Service) queueFetches(ctx context.Context, msg Message) {
	for _, a := range msg.Attachments {
		if a.Status != AttachmentPending {
			continue
		}
		if err := s.jobs.QueueMediaFetch(ctx, a.ID, "ingest"); err != nil {
			s.log.WarnContext(ctx, "enqueue media:fetch failed; the sweeper will retry", "attachment_id", a.ID, "err", err)
		}
	}
}

// queueBot enqueues the bot's turn on one stored message; a message that
// asks for a person goes ahead of ordinary bot work (QueueBotFirst). A
// failed enqueue is logged: the sweeper finds the unprocessed message.
func (s *Service) queueBot(ctx context.Context, msg Message) {
	enqueue := s.jobs.QueueBot
	if s.asksForPerson(msg.Text) {
		enqueue = s.jobs.QueueBotFirst
	}
	if err := enqueue(ctx, msg.ID); err != nil {
		s.log.WarnContext(ctx, "enqueue conv:bot failed; the sweeper will retry", "message_id", msg.ID, "err", err)
	}
}

// asksForPerson reports whether the bot will hand text over to a person
// (a handoff phrase, or no bot at all).
func (s *Service) asksForPerson(text string) bool {
	bot := s.set().Bot
	return !bot.Enabled || IsHandoff(text, bot.HandoffPhrases)
}

// ingestOne stores one inbound message in its own transaction.
func (s *Service) ingestOne(ctx context.Context, in Inbound) (Message, after, error) {
	var msg Message
	var a after
	err := s.store.Atomic(ctx, func(tx Tx) error {
		cust, err := s.upsertCustomer(ctx, tx, in.ChannelID, in.ChannelUserID, in.Name, "")
		if err != nil {
			return err
		}
		conv, err := s.openConversation(ctx, tx, cust, in.ChannelID, in.PageURL)
		if err != nil {
			return err
		}
		msg = s.inboundMessage(in, conv, s.clock())
		if err := tx.InsertMessage(ctx, msg); err != nil {
			return fmt.Errorf("store message %s/%s: %w", in.ChannelID, in.ProviderID, err)
		}
		s.messageEvents(&a, conv, EventMessageCreated, msg)
		return nil
	})
	return msg, a, err
}

// inboundMessage is in as a message of conv, with its files: announced
// ones pending, uploaded ones as they are. In a conversation a person
// has or is about to have (waiting or active, which never go back to the
// bot) the bot's turn would only mark it processed: it is stored
// processed, and no conv:bot task is queued for it.
func (s *Service) inboundMessage(in Inbound, conv Conversation, at time.Time) Message {
	m := Message{ID: NewID(), ConversationID: conv.ID, ChannelID: in.ChannelID, Author: AuthorCustomer,
		Text: strings.TrimSpace(in.Text), CreatedAt: at, ProviderID: in.ProviderID}
	if conv.Status != ConvBot {
		m.ProcessedAt = at
	}
	for _, src := range in.Attachments {
		m.Attachments = append(m.Attachments, pendingAttachment(m, src, at))
	}
	for _, a := range in.uploaded {
		a.MessageID, a.ConversationID, a.ChannelID = m.ID, m.ConversationID, m.ChannelID
		a.CreatedAt, a.UpdatedAt = at, at
		m.Attachments = append(m.Attachments, a)
	}
	return m
}

// upsertCustomer finds or creates the customer and refreshes what we know.
// The customer's row stays locked until the transaction ends, so that
// concurrent messages of one customer take turns (one open conversation,
// no lost visit).
func (s *Service) upsertCustomer(ctx context.Context, tx Tx, channelID, userID, name, email string) (Customer, error) {
	now := s.clock()
	c, err := tx.CustomerByChannelUser(ctx, channelID, userID)
	if isNotFound(err) {
		c = Customer{ID: NewID(), ChannelID: channelID, ChannelUserID: userID, Name: name, Email: email,
			Visits: 0, CreatedAt: now, LastSeenAt: now}
		err = tx.CreateCustomer(ctx, c)
		if err == nil {
			return c, nil
		}
		if !errors.Is(err, ErrDuplicate) {
			return Customer{}, fmt.Errorf("create customer %s/%s: %w", channelID, userID, err)
		}
		// A concurrent first message created the customer: use it.
		c, err = tx.CustomerByChannelUser(ctx, channelID, userID)
	}
	if err != nil {
		return Customer{}, fmt.Errorf("find customer %s/%s: %w", channelID, userID, err)
	}
	if c, err = tx.LockCustomer(ctx, c.ID); err != nil {
		return Customer{}, fmt.Errorf("lock customer %s: %w", c.ID, err)
	}
	if name != "" {
		c.Name = name
	}
	if email != "" {
		c.Email = email
	}
	c.LastSeenAt = now
	if err := tx.UpdateCustomer(ctx, c); err != nil {
		return Customer{}, fmt.Errorf("update customer %s: %w", c.ID, err)
	}
	return c, nil
}

// openConversation returns the customer's open conversation on the
// channel, starting one (a new visit) when there is none. cust must be a
// fresh copy whose row this transaction holds (upsertCustomer's, or
// LockCustomer's): then two concurrent calls never both start one.
func (s *Service) openConversation(ctx context.Context, tx Tx, cust Customer, channelID, pageURL string) (Conversation, error) {
	conv, err := tx.OpenConversation(ctx, cust.ID, channelID)
	if err == nil {
		if pageURL != "" && pageURL != conv.PageURL {
			conv.PageURL = pageURL
			if err := tx.UpdateConversation(ctx, conv); err != nil {
				return Conversation{}, fmt.Errorf("update page of conversation %s: %w", conv.ID, err)
			}
		}
		return conv, nil
	}
	if !isNotFound(err) {
		return Conversation{}, fmt.Errorf("find open conversation of customer %s: %w", cust.ID, err)
	}
	cust.Visits++
	if err := tx.UpdateCustomer(ctx, cust); err != nil {
		return Conversation{}, fmt.Errorf("count visit of customer %s: %w", cust.ID, err)
	}
	now := s.clock()
	conv = Conversation{ID: NewID(), ChannelID: channelID, Channel: s.channelOf(channelID), CustomerID: cust.ID,
		Customer: cust, Status: ConvBot, PageURL: pageURL, CreatedAt: now, LastMessageAt: now}
	if err := tx.CreateConversation(ctx, conv); err != nil {
		return Conversation{}, fmt.Errorf("create conversation for customer %s: %w", cust.ID, err)
	}
	return conv, nil
}
