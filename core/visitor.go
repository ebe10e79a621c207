package core

import (
	"context"
	"crypto/subtle"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// WidgetSessionInput is POST /v1/widget/sessions. A returning visitor
// passes back both VisitorID and VisitorSecret from an earlier session.
type WidgetSessionInput struct {
	ChannelID, VisitorID, Name, Email, PageURL string
	VisitorSecret                              string
}

// WidgetSession is what a new widget session gets back.
type WidgetSession struct {
	// VisitorID is the visitor's id on the channel, which agents see as
	// the customer's channel_user_id: not a credential.
	VisitorID string `json:"visitor_id"`
	// VisitorSecret is the visitor's returning credential: only their
	// browser holds it (only its hash is stored), and with VisitorID it
	// resumes the visitor on a later visit.
	VisitorSecret  string `json:"visitor_secret"`
	Token          string `json:"token"`
	ConversationID string `json:"conversation_id"`
	Returning      bool   `json:"returning"`
	PreviousVisits int    `json:"previous_visits"`
	Greeting       string `json:"greeting"`
	// PageURLQueryKeys are the query keys the channel keeps in page URLs
	// (CleanPageURL): the widget reports no others.
	PageURLQueryKeys []string `json:"page_url_query_keys"`
}

// Visitor is an authenticated widget visitor.
type Visitor struct {
	Customer Customer
	Channel  Channel
}

// VisitorThread is the visitor's view of their current conversation.
type VisitorThread struct {
	Messages      []Message `json:"messages"`
	Status        string    `json:"status"`
	QueuePosition int       `json:"queue_position,omitempty"`
	// EtaSeconds is the expected wait while waiting (EstimateWait).
	EtaSeconds int `json:"eta_seconds,omitempty"`
	// AgentName is who handles the conversation, while active.
	AgentName string `json:"agent_name,omitempty"`
	// SeenUpTo is the newest message the conversation's agent has seen
	// (every message up to it in the list was seen), and SeenAt that
	// message's time; empty until the agent opened the conversation.
	SeenUpTo string     `json:"seen_up_to,omitempty"`
	SeenAt   *time.Time `json:"seen_at,omitempty"`
}

var visitorIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// StartWidgetSession identifies the visitor, opens or resumes their
// conversation, and issues a visitor token. A visitor is returning only
// with the visitor_id and the visitor_secret of an earlier session: the
// id alone, which every agent sees as channel_user_id, is no credential,
// so an unknown id, an id without its secret or with another secret gets a
// new visitor (new id, new secret), never the session, the conversation or
// the name of the customer it names.
func (s *Service) StartWidgetSession(ctx context.Context, in WidgetSessionInput) (WidgetSession, error) {
	set := s.set()
	var ch Channel
	if in.ChannelID == "" {
		var ok bool
		if ch, ok = set.firstWidget(); !ok {
			return WidgetSession{}, fmt.Errorf("no widget channel configured: %w", ErrNotFound)
		}
	} else {
		var ok bool
		if ch, ok = set.channel(in.ChannelID); !ok {
			return WidgetSession{}, fmt.Errorf("channel %q: %w", in.ChannelID, ErrNotFound)
		}
		if ch.Type != ChannelWidget {
			return WidgetSession{}, Invalid("channel_id", "channel %q is not a widget channel", in.ChannelID)
		}
	}
	if err := checkVisitor(in); err != nil {
		return WidgetSession{}, err
	}
	keys := set.PageQueryKeys[ch.ID]
	if in.PageURL != "" {
		in.PageURL = CleanPageURL(in.PageURL, keys)
	}
	token, hash := newToken("sbv_")
	var out WidgetSession
	var born Visitor // the token's visitor, remembered once committed
	var expires time.Time
	err := s.store.Atomic(ctx, func(tx Tx) error {
		now := s.clock()
		var cust Customer
		known, secret := false, in.VisitorSecret
		if in.VisitorID != "" && in.VisitorSecret != "" {
			c, err := tx.CustomerByChannelUser(ctx, ch.ID, in.VisitorID)
			switch {
			case err == nil:
				cust, known = c, visitorSecretMatches(c, in.VisitorSecret)
			case !isNotFound(err):
				return fmt.Errorf("find visitor %s: %w", in.VisitorID, err)
			}
		}
		if known {
			cust.Visits++
			cust.LastSeenAt = now
			if name := CleanName(in.Name); name != "" {
				cust.Name = name
			}
			if in.Email != "" {
				cust.Email = strings.TrimSpace(in.Email)
			}
			if err := tx.UpdateCustomer(ctx, cust); err != nil {
				return fmt.Errorf("update visitor %s: %w", cust.ID, err)
			}
		} else {
			var secretHash string
			secret, secretHash = newToken("sbs_")
			cust = Customer{ID: NewID(), ChannelID: ch.ID, ChannelUserID: NewID(), Name: CleanName(in.Name),
				Email: strings.TrimSpace(in.Email), Visits: 1, CreatedAt: now, LastSeenAt: now,
				VisitorSecretHash: secretHash}
			if err := tx.CreateCustomer(ctx, cust); err != nil {
				return fmt.Errorf("create visitor: %w", err)
			}
		}
		conv, err := tx.OpenConversation(ctx, cust.ID, ch.ID)
		switch {
		case err == nil:
			if in.PageURL != "" {
				conv.PageURL = in.PageURL
				if err := tx.UpdateConversation(ctx, conv); err != nil {
					return fmt.Errorf("update page of conversation %s: %w", conv.ID, err)
				}
			}
		case isNotFound(err):
			conv = Conversation{ID: NewID(), ChannelID: ch.ID, CustomerID: cust.ID, Customer: cust, Status: ConvBot,
				PageURL: in.PageURL, CreatedAt: now, LastMessageAt: now}
			if err := tx.CreateConversation(ctx, conv); err != nil {
				return fmt.Errorf("create conversation for visitor %s: %w", cust.ID, err)
			}
			if g := set.Greetings[ch.ID]; g != "" {
				m := Message{ID: NewID(), ConversationID: conv.ID, ChannelID: ch.ID, Author: AuthorBot, Text: g,
					CreatedAt: now, Delivery: DeliverySent}
				if err := tx.InsertMessage(ctx, m); err != nil {
					return fmt.Errorf("store greeting: %w", err)
				}
			}
		default:
			return fmt.Errorf("find conversation of visitor %s: %w", cust.ID, err)
		}
		if err := tx.CreateToken(ctx, Token{Hash: hash, Kind: TokenVisitor, SubjectID: cust.ID,
			CreatedAt: now, ExpiresAt: now.Add(set.VisitorTTL)}); err != nil {
			return fmt.Errorf("store visitor token: %w", err)
		}
		out = WidgetSession{VisitorID: cust.ChannelUserID, VisitorSecret: secret, Token: token, ConversationID: conv.ID,
			Returning: cust.Returning(), PreviousVisits: cust.PreviousVisits(), Greeting: set.Greetings[ch.ID],
			PageURLQueryKeys: append([]string{}, keys...)}
		born, expires = Visitor{Customer: cust, Channel: ch}, now.Add(set.VisitorTTL)
		return nil
	})
	if err == nil {
		// The widget's next calls (its stream, the thread, the first
		// message) follow at once: they find the new token remembered.
		s.visitors.put(hash, born.Customer.ID, born, expires, s.clock())
	}
	return out, err
}

// visitorSecretMatches reports secret as c's returning credential, in
// time independent of where the hashes differ. A customer without one (of
// another channel, or from before visitor secrets) matches nothing.
func visitorSecretMatches(c Customer, secret string) bool {
	return c.VisitorSecretHash != "" &&
		subtle.ConstantTimeCompare([]byte(HashToken(secret)), []byte(c.VisitorSecretHash)) == 1
}

func checkVisitor(in WidgetSessionInput) error {
	if in.VisitorID != "" && (len(in.VisitorID) > maxVisitorLen || !visitorIDPattern.MatchString(in.VisitorID)) {
		return Invalid("visitor_id", "must be the id a previous session returned")
	}
	if in.VisitorSecret != "" && (len(in.VisitorSecret) > maxVisitorLen || !visitorIDPattern.MatchString(in.VisitorSecret)) {
		return Invalid("visitor_secret", "must be the secret a previous session returned")
	}
	if utf8.RuneCountInString(in.Name) > MaxNameLen || !utf8.ValidString(in.Name) || hasControls(in.Name) {
		return Invalid("name", "must be valid text of at most %d characters, without control characters", MaxNameLen)
	}
	if in.Email != "" && !validEmail(strings.TrimSpace(in.Email)) {
		return Invalid("email", "must be an e-mail address")
	}
	return checkPageURL("page_url", in.PageURL)
}

// VisitorByToken authenticates a visitor token. A token that passed is
// remembered for AuthCacheTTL with its customer (auth_cache.go), so a
// visitor's messages in quick succession cost no reads before their
// ingest; its expiry is checked on every call. What a Visitor's Customer
// is used for does not change within that second (the channel and the
// channel's user id), or is read again where it matters (touchVisitor).
func (s *Service) VisitorByToken(ctx context.Context, token string) (Visitor, error) {
	if token == "" {
		return Visitor{}, errNoToken
	}
	hash, now := HashToken(token), s.clock()
	if v, expires, ok := s.visitors.get(hash, now); ok {
		if !now.Before(expires) {
			return Visitor{}, errExpiredToken
		}
		v.Channel = s.channelOf(v.Customer.ChannelID) // the settings of now
		return v, nil
	}
	t, err := s.token(ctx, token, TokenVisitor)
	if err != nil {
		return Visitor{}, err
	}
	c, err := s.store.CustomerByID(ctx, t.SubjectID)
	if err != nil {
		if isNotFound(err) {
			return Visitor{}, fmt.Errorf("visitor of token is gone: %w", ErrUnauthorized)
		}
		return Visitor{}, fmt.Errorf("read visitor %s: %w", t.SubjectID, err)
	}
	v := Visitor{Customer: c, Channel: s.channelOf(c.ChannelID)}
	s.visitors.put(hash, c.ID, v, t.ExpiresAt, now)
	return v, nil
}

// The refusals of a token that every kind shares.
var (
	errNoToken      = fmt.Errorf("missing token: %w", ErrUnauthorized)
	errExpiredToken = fmt.Errorf("expired token: %w", ErrUnauthorized)
)

// token checks a bearer token of the given kind.
func (s *Service) token(ctx context.Context, token string, kind TokenKind) (Token, error) {
	if token == "" {
		return Token{}, errNoToken
	}
	t, err := s.store.TokenByHash(ctx, HashToken(token))
	if isNotFound(err) {
		return Token{}, fmt.Errorf("unknown token: %w", ErrUnauthorized)
	}
	if err != nil {
		return Token{}, fmt.Errorf("read token: %w", err)
	}
	if t.Kind != kind {
		return Token{}, fmt.Errorf("%s token used where a %s token is required: %w", t.Kind, kind, ErrUnauthorized)
	}
	if !s.clock().Before(t.ExpiresAt) {
		return Token{}, errExpiredToken
	}
	return t, nil
}

// VisitorSend stores a visitor's message and queues the bot.
func (s *Service) VisitorSend(ctx context.Context, v Visitor, text string) (Message, error) {
	return s.Ingest(ctx, Inbound{ChannelID: v.Channel.ID, ChannelUserID: v.Customer.ChannelUserID, Text: text})
}

// VisitorHandoff is "Talk to a person": it opens a connection request, or
// returns the one already open.
func (s *Service) VisitorHandoff(ctx context.Context, v Visitor, text string) (Request, error) {
	if strings.TrimSpace(text) != "" {
		if err := checkText("text", text); err != nil {
			return Request{}, err
		}
	}
	var a after
	var req Request
	err := s.store.Atomic(ctx, func(tx Tx) error {
		cust, err := tx.LockCustomer(ctx, v.Customer.ID)
		if err != nil {
			return fmt.Errorf("lock visitor %s: %w", v.Customer.ID, err)
		}
		conv, err := s.openConversation(ctx, tx, cust, v.Channel.ID, "")
		if err != nil {
			return err
		}
		if conv, err = tx.LockConversation(ctx, conv.ID); err != nil {
			return fmt.Errorf("lock conversation: %w", err)
		}
		if t := strings.TrimSpace(text); t != "" {
			now := s.clock()
			m := Message{ID: NewID(), ConversationID: conv.ID, ChannelID: conv.ChannelID, Author: AuthorCustomer,
				Text: t, CreatedAt: now, ProcessedAt: now}
			if err := tx.InsertMessage(ctx, m); err != nil {
				return fmt.Errorf("store handoff message: %w", err)
			}
			s.messageEvents(&a, conv, EventMessageCreated, m)
		}
		req, err = s.openRequest(ctx, tx, &a, conv, ReasonCustomerAsked, text)
		return err
	})
	if err != nil {
		return Request{}, err
	}
	a.run(ctx, s)
	return s.viewRequest(ctx, req, Agent{})
}

// VisitorPage records the page the visitor is on, on their open
// conversation and its open request; the agents offered the request, or
// the agent handling the conversation, are told.
func (s *Service) VisitorPage(ctx context.Context, v Visitor, pageURL string) error {
	if pageURL == "" {
		return Invalid("page_url", "is required")
	}
	if err := checkPageURL("page_url", pageURL); err != nil {
		return err
	}
	pageURL = CleanPageURL(pageURL, s.set().PageQueryKeys[v.Channel.ID])
	var a after
	err := s.store.Atomic(ctx, func(tx Tx) error {
		latest, err := tx.LatestConversation(ctx, v.Customer.ID, v.Channel.ID)
		if isNotFound(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("find conversation of visitor %s: %w", v.Customer.ID, err)
		}
		if latest.Status == ConvResolved || latest.PageURL == pageURL {
			return nil
		}
		// The rows are written from locked copies, so that a page change
		// cannot undo an accept or a bot miss committed meanwhile.
		conv, req, err := lockWithRequest(ctx, tx, latest.ID)
		if err != nil {
			return fmt.Errorf("page of visitor %s: %w", v.Customer.ID, err)
		}
		if conv.Status == ConvResolved || conv.PageURL == pageURL {
			return nil
		}
		conv.PageURL = pageURL
		if err := tx.UpdateConversation(ctx, conv); err != nil {
			return fmt.Errorf("update page of conversation %s: %w", conv.ID, err)
		}
		if conv.AgentID != "" {
			s.publish(&a, AgentStream(conv.AgentID), EventConversationUpdated, s.viewConversation(conv))
		}
		if conv.RequestID == "" || req.ID != conv.RequestID || !req.Status.Open() {
			return nil // none, or it moved on between the reads: the next change updates it
		}
		req.PageURL, req.UpdatedAt = pageURL, s.clock()
		if err := tx.UpdateRequest(ctx, req); err != nil {
			return fmt.Errorf("update page of request %s: %w", req.ID, err)
		}
		if len(req.OfferedTo) > 0 { // the panels that show it
			pos, err := tx.QueuePosition(ctx, req.ID)
			if err != nil {
				return fmt.Errorf("queue position of %s: %w", req.ID, err)
			}
			s.offerEvents(&a, req, req.OfferedTo, req.OfferedTo, pos)
		}
		return nil
	})
	if err != nil {
		return err
	}
	a.run(ctx, s)
	return nil
}

// VisitorMessages is the visitor's poll: messages after afterID in their
// newest conversation, its status and, while waiting, the queue position.
func (s *Service) VisitorMessages(ctx context.Context, v Visitor, afterID string) (VisitorThread, error) {
	if err := s.touchVisitor(ctx, v); err != nil {
		s.log.WarnContext(ctx, "record visitor seen", "customer_id", v.Customer.ID, "err", err)
	}
	conv, err := s.store.LatestConversation(ctx, v.Customer.ID, v.Channel.ID)
	if isNotFound(err) {
		return VisitorThread{Messages: []Message{}, Status: string(ConvBot)}, nil
	}
	if err != nil {
		return VisitorThread{}, fmt.Errorf("find conversation of visitor %s: %w", v.Customer.ID, err)
	}
	msgs, err := s.store.ListMessages(ctx, conv.ID, afterID, 0)
	if err != nil {
		return VisitorThread{}, fmt.Errorf("list messages of conversation %s: %w", conv.ID, err)
	}
	msgs = visitorMessages(msgs)
	if msgs == nil {
		msgs = []Message{}
	}
	th := VisitorThread{Messages: msgs, Status: string(conv.Status)}
	if err := s.visitorSeen(ctx, conv, &th); err != nil {
		return VisitorThread{}, err
	}
	if conv.Status == ConvWaiting && conv.RequestID != "" {
		pos, err := s.store.QueuePosition(ctx, conv.RequestID)
		if err != nil && !isNotFound(err) {
			return VisitorThread{}, fmt.Errorf("queue position of %s: %w", conv.RequestID, err)
		}
		th.QueuePosition = pos
		if th.QueuePosition > 0 {
			if th.EtaSeconds, err = s.etaSeconds(ctx, pos); err != nil {
				return VisitorThread{}, err
			}
		}
	}
	if conv.Status == ConvActive && conv.AgentID != "" {
		ag, err := s.store.AgentByID(ctx, conv.AgentID)
		if err != nil && !isNotFound(err) {
			return VisitorThread{}, fmt.Errorf("agent of conversation %s: %w", conv.ID, err)
		}
		th.AgentName = ag.Name
	}
	return th, nil
}

// etaSeconds is the expected wait at queue position pos, in whole seconds
// (EstimateWait). It reads outside any transaction.
func (s *Service) etaSeconds(ctx context.Context, pos int) (int, error) {
	agents, err := s.store.ListAgents(ctx)
	if err != nil {
		return 0, fmt.Errorf("list agents: %w", err)
	}
	eta := EstimateWait(s.clock(), s.set().Offline, pos, freeAgents(agents), s.acceptMedian(ctx))
	return int((eta + time.Second - 1) / time.Second), nil
}

// waitingStatus tells a widget visitor their place in the queue of
// request requestID, read in tx, and the expected wait; other channels
// have no status to tell and cost no read. The ETA is computed after the
// commit, since it reads outside the transaction.
func (s *Service) waitingStatus(ctx context.Context, tx Tx, a *after, conv Conversation, requestID string) error {
	if s.events == nil || s.channelOf(conv.ChannelID).Type != ChannelWidget {
		return nil
	}
	pos, err := tx.QueuePosition(ctx, requestID)
	if err != nil {
		return fmt.Errorf("queue position of %s: %w", requestID, err)
	}
	a.add(func(ctx context.Context) error {
		st := VisitorStatus{Status: ConvWaiting, QueuePosition: pos}
		if pos > 0 {
			eta, err := s.etaSeconds(ctx, pos)
			if err != nil {
				s.log.WarnContext(ctx, "expected wait for the status event", "conversation_id", conv.ID, "err", err)
			}
			st.ETASeconds = eta
		}
		var b after
		s.visitorStatus(&b, conv, st)
		b.run(ctx, s)
		return nil
	})
	return nil
}

// queuePositions numbers the open requests, oldest first, from 1.
func (s *Service) queuePositions(ctx context.Context) (map[string]int, error) {
	open, err := s.store.ListRequests(ctx, RequestQuery{Statuses: []RequestStatus{ReqWaiting, ReqDeclined}})
	if err != nil {
		return nil, fmt.Errorf("list open requests: %w", err)
	}
	pos := make(map[string]int, len(open))
	for i, r := range open {
		pos[r.ID] = i + 1
	}
	return pos, nil
}

// touchVisitor records that the visitor was seen (a poll), at most once a
// minute.
func (s *Service) touchVisitor(ctx context.Context, v Visitor) error {
	now := s.clock()
	if now.Sub(v.Customer.LastSeenAt) < time.Minute {
		return nil
	}
	return s.store.Atomic(ctx, func(tx Tx) error {
		c, err := tx.CustomerByID(ctx, v.Customer.ID)
		if err != nil {
			return fmt.Errorf("touch visitor %s: %w", v.Customer.ID, err)
		}
		if now.Sub(c.LastSeenAt) < time.Minute {
			return nil
		}
		c.LastSeenAt = now
		if err := tx.UpdateCustomer(ctx, c); err != nil {
			return fmt.Errorf("touch visitor %s: %w", c.ID, err)
		}
		return nil
	})
}
