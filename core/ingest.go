package core

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits on customer input.
const (
	MaxTextLen    = 4000
	MaxNameLen    = 200
	MaxURLLen     = 2048
	maxVisitorLen = 64
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
}

// Ingest stores an inbound customer message (customer upsert, open
// conversation, message insert unique on the provider id) and then queues
// the bot. A message seen before returns ErrDuplicate and stores nothing.
// Concurrent calls are committed together in groups (see ingestLane) when
// the store supports it; the outcome of each call is the same as alone.
func (s *Service) Ingest(ctx context.Context, in Inbound) (Message, error) {
	// Providers relay whatever was typed; invisible control characters
	// (NUL above all, which PostgreSQL cannot store) are dropped.
	in.Text, in.Name = stripControls(in.Text), stripControls(in.Name)
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
		s.queueBot(ctx, c.msg)
	}
	return c.msg, nil
}

// queueBot enqueues the bot's turn on one stored message; a message that
// asks for a person goes ahead of ordinary bot work when Jobs can. A
// failed enqueue is logged: the sweeper finds the unprocessed message.
func (s *Service) queueBot(ctx context.Context, msg Message) {
	enqueue := s.jobs.RunBot
	if u, ok := s.jobs.(UrgentJobs); ok && s.asksForPerson(msg.Text) {
		enqueue = u.RunBotFirst
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
		msg = s.inboundMessage(in, conv.ID, s.clock())
		if err := tx.InsertMessage(ctx, msg); err != nil {
			return fmt.Errorf("store message %s/%s: %w", in.ChannelID, in.ProviderID, err)
		}
		s.messageEvents(&a, conv, EventMessageCreated, msg)
		return nil
	})
	return msg, a, err
}

func (s *Service) inboundMessage(in Inbound, convID string, at time.Time) Message {
	return Message{ID: NewID(), ConversationID: convID, ChannelID: in.ChannelID, Author: AuthorCustomer,
		Text: strings.TrimSpace(in.Text), CreatedAt: at, ProviderID: in.ProviderID}
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

// openRequest turns the conversation into a waiting connection request, or
// returns the request it already has. trigger is the text that asked.
func (s *Service) openRequest(ctx context.Context, tx Tx, a *after, conv Conversation, reason RequestReason, trigger string) (Request, error) {
	if conv.RequestID != "" {
		req, err := tx.RequestByID(ctx, conv.RequestID)
		if err != nil {
			return Request{}, fmt.Errorf("read request %s: %w", conv.RequestID, err)
		}
		if req.Status.Open() || req.Status == ReqAccepted {
			return req, nil // idempotent: the request is still open
		}
	}
	if conv.Status != ConvBot {
		return Request{}, &TransitionError{What: "conversation", From: string(conv.Status), Action: "request a person in"}
	}
	initial := trigger
	if first, err := tx.FirstCustomerMessage(ctx, conv.ID); err == nil {
		initial = first.Text
	} else if !isNotFound(err) {
		return Request{}, fmt.Errorf("read first message of conversation %s: %w", conv.ID, err)
	}
	now := s.clock()
	req := Request{ID: NewID(), ConversationID: conv.ID, CustomerID: conv.CustomerID, Customer: conv.Customer,
		ChannelID: conv.ChannelID, Status: ReqWaiting, Reason: reason, InitialMessage: initial,
		PageURL: conv.PageURL, CreatedAt: now, UpdatedAt: now}
	if err := tx.CreateRequest(ctx, req); err != nil {
		return Request{}, fmt.Errorf("create request for conversation %s: %w", conv.ID, err)
	}
	conv.Status, conv.RequestID = ConvWaiting, req.ID
	if err := tx.UpdateConversation(ctx, conv); err != nil {
		return Request{}, fmt.Errorf("mark conversation %s waiting: %w", conv.ID, err)
	}
	if _, err := s.outbound(ctx, tx, a, conv, AuthorSystem, "", sysQueued); err != nil {
		return Request{}, err
	}
	if err := s.waitingStatus(ctx, tx, a, conv, req.ID); err != nil {
		return Request{}, err
	}
	a.route(req.ID, "open")
	return req, nil
}

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
		if gt, ok := tx.(GroupTx); ok {
			held := &heldAnswers{Tx: tx, group: gt}
			if err := s.botTurns(ctx, held, &a, messageIDs); err != nil {
				return err
			}
			return held.flush(ctx)
		}
		return s.botTurns(ctx, tx, &a, messageIDs)
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
// one statement (GroupTx.InsertMessages) instead of one each. Nothing in a
// bot turn reads them back before the commit.
type heldAnswers struct {
	Tx
	group GroupTx
	held  []Message
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
	if err := h.group.InsertMessages(ctx, h.held); err != nil {
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

// checkText validates a non-empty message text.
func checkText(field, text string) error {
	t := strings.TrimSpace(text)
	switch {
	case t == "":
		return Invalid(field, "must not be empty")
	case !utf8.ValidString(t):
		return Invalid(field, "must be valid UTF-8")
	case hasControls(t):
		return Invalid(field, "must not contain control characters")
	case utf8.RuneCountInString(t) > MaxTextLen:
		return Invalid(field, "must be at most %d characters", MaxTextLen)
	}
	return nil
}

// isControl is a control character other than the line breaks and tab
// that text may hold.
func isControl(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }

// hasControls reports control characters in s (see isControl).
func hasControls(s string) bool { return strings.IndexFunc(s, isControl) >= 0 }

// stripControls drops the control characters of s (see isControl).
func stripControls(s string) string {
	if !hasControls(s) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return -1
		}
		return r
	}, s)
}

// checkPageURL validates an optional http(s) page URL.
func checkPageURL(field, raw string) error {
	if raw == "" {
		return nil
	}
	if len(raw) > MaxURLLen {
		return Invalid(field, "must be at most %d characters", MaxURLLen)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Invalid(field, "must be an absolute http or https URL")
	}
	return nil
}
