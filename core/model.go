package core

import (
	"encoding/json"
	"time"
)

// AnonymousName is shown for a customer who never told us their name.
const AnonymousName = "Anonymous Visitor"

// ChannelType decides which adapter parses and sends for a channel. The
// types are registered by the channels of the build (adapters/channels);
// core knows only the widget's, whose visitors it serves itself.
type ChannelType string

// ChannelWidget is the website widget's channel type.
const ChannelWidget ChannelType = "widget"

// Channel is one configured entry point (its id is the config's channel id).
type Channel struct {
	ID   string      `json:"id"`
	Type ChannelType `json:"type"`
}

// Agent is a support person (or admin) who answers connection requests.
type Agent struct {
	ID           string    `json:"id"`
	Email        string    `json:"email"`
	Name         string    `json:"name"`
	Roles        []string  `json:"roles"`
	Admin        bool      `json:"admin"`
	Online       bool      `json:"online"`
	MaxChats     int       `json:"max_chats"`
	ActiveChats  int       `json:"active_chats"`
	PasswordHash string    `json:"-"`
	CreatedAt    time.Time `json:"-"`
	// StatusAt is when Online last changed (used for "longest idle").
	StatusAt time.Time `json:"-"`
	// LastAssignedAt is when the agent last accepted a request (zero:
	// never); filled by store reads, never written.
	LastAssignedAt time.Time `json:"-"`
	// DeactivatedAt is when an admin deactivated the agent (zero: active).
	// A deactivated agent has no tokens, cannot log in, is offline and is
	// offered nothing; their history stays.
	DeactivatedAt time.Time `json:"-"`
}

// Active reports an agent who was not deactivated.
func (a Agent) Active() bool { return a.DeactivatedAt.IsZero() }

// IdleSince is when the agent last became free of new work: the later of
// going online (StatusAt) and their last accepted request. Direct routing
// offers first to the agent idle the longest (the earliest IdleSince).
func (a Agent) IdleSince() time.Time {
	if a.LastAssignedAt.After(a.StatusAt) {
		return a.LastAssignedAt
	}
	return a.StatusAt
}

// MarshalJSON renders the contract's Agent object (roles never null),
// with active.
func (a Agent) MarshalJSON() ([]byte, error) {
	type plain Agent
	p := plain(a)
	if p.Roles == nil {
		p.Roles = []string{}
	}
	return json.Marshal(struct {
		plain
		Active bool `json:"active"`
	}{p, a.Active()})
}

// Customer is a person writing on one channel.
type Customer struct {
	ID            string    `json:"id"`
	ChannelID     string    `json:"-"`
	ChannelUserID string    `json:"channel_user_id"`
	Name          string    `json:"-"`
	Email         string    `json:"-"`
	Visits        int       `json:"-"`
	CreatedAt     time.Time `json:"-"`
	LastSeenAt    time.Time `json:"-"`
	// VisitorSecretHash is HashToken of a widget visitor's returning
	// credential (WidgetSession.VisitorSecret), which only their browser
	// holds; ChannelUserID, which agents see, opens nothing. Empty for
	// other channels' customers. Written on create only.
	VisitorSecretHash string `json:"-"`
}

// DisplayName is the customer's name or AnonymousName.
func (c Customer) DisplayName() string {
	if c.Name == "" {
		return AnonymousName
	}
	return c.Name
}

// Returning reports a customer seen on an earlier visit.
func (c Customer) Returning() bool { return c.Visits > 1 }

// PreviousVisits counts the visits before the current one.
func (c Customer) PreviousVisits() int {
	if c.Visits < 1 {
		return 0
	}
	return c.Visits - 1
}

// MarshalJSON renders the contract's Customer object.
func (c Customer) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		ID             string `json:"id"`
		Name           string `json:"name"`
		Returning      bool   `json:"returning"`
		PreviousVisits int    `json:"previous_visits"`
		ChannelUserID  string `json:"channel_user_id"`
		VisitorTag     string `json:"visitor_tag"`
	}{c.ID, c.DisplayName(), c.Returning(), c.PreviousVisits(), c.ChannelUserID, c.Tag()})
}

// ConversationStatus is the conversation state machine:
// bot → waiting → active → resolved (bot → resolved and waiting → resolved
// are allowed for housekeeping).
type ConversationStatus string

// Conversation statuses.
const (
	ConvBot      ConversationStatus = "bot"
	ConvWaiting  ConversationStatus = "waiting"
	ConvActive   ConversationStatus = "active"
	ConvResolved ConversationStatus = "resolved"
)

// Conversation is one thread between a customer and the bot, then an agent.
type Conversation struct {
	ID            string
	ChannelID     string
	Channel       Channel
	CustomerID    string
	Customer      Customer
	Status        ConversationStatus
	AgentID       string
	RequestID     string
	PageURL       string
	CreatedAt     time.Time
	ResolvedAt    time.Time
	LastMessageAt time.Time
	// BotMisses counts customer messages the bot could not answer.
	BotMisses int
	// Summary is the inbox row's unread count and newest message, filled
	// by the Service for the conversation list and detail only (nil: not
	// read, and left out of the JSON).
	Summary *ConversationSummary
}

// MarshalJSON renders the contract's Conversation object.
func (c Conversation) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		ID            string             `json:"id"`
		Status        ConversationStatus `json:"status"`
		Channel       Channel            `json:"channel"`
		Customer      Customer           `json:"customer"`
		AgentID       *string            `json:"agent_id"`
		RequestID     *string            `json:"request_id"`
		PageURL       *string            `json:"page_url"`
		CreatedAt     time.Time          `json:"created_at"`
		ResolvedAt    *time.Time         `json:"resolved_at"`
		LastMessageAt time.Time          `json:"last_message_at"`
		UnreadCount   *int               `json:"unread_count,omitempty"`
		LastMessage   *MessagePreview    `json:"last_message,omitempty"`
	}{c.ID, c.Status, c.Channel, c.Customer, optString(c.AgentID), optString(c.RequestID),
		optString(c.PageURL), c.CreatedAt.UTC(), optTime(c.ResolvedAt), c.LastMessageAt.UTC(),
		c.unreadCount(), c.lastMessage()})
}

// MessagePreview is the newest message of a conversation row: who wrote
// it, the start of its text, and when.
type MessagePreview struct {
	Author    Author    `json:"author"`
	Text      string    `json:"text"`
	CreatedAt time.Time `json:"created_at"`
}

// PreviewLen is how many characters of the newest message a conversation
// row carries.
const PreviewLen = 140

func (c Conversation) unreadCount() *int {
	if c.Summary == nil {
		return nil
	}
	n := c.Summary.Unread
	return &n
}

func (c Conversation) lastMessage() *MessagePreview {
	if c.Summary == nil || c.Summary.Last.ID == "" {
		return nil
	}
	m := c.Summary.Last
	return &MessagePreview{Author: m.Author, Text: preview(m.Text, PreviewLen), CreatedAt: m.CreatedAt.UTC()}
}

// RequestStatus is the connection-request state machine:
// waiting → accepted | declined; declined → (re-offered) accepted | declined;
// accepted → resolved; waiting/declined → abandoned | resolved.
type RequestStatus string

// Request statuses.
const (
	ReqWaiting   RequestStatus = "waiting"
	ReqAccepted  RequestStatus = "accepted"
	ReqDeclined  RequestStatus = "declined"
	ReqResolved  RequestStatus = "resolved"
	ReqAbandoned RequestStatus = "abandoned"
)

// Open reports a request that still needs an agent.
func (s RequestStatus) Open() bool { return s == ReqWaiting || s == ReqDeclined }

// RequestReason says why a request was opened.
type RequestReason string

// Request reasons.
const (
	ReasonCustomerAsked RequestReason = "customer_asked"
	ReasonBotHandoff    RequestReason = "bot_handoff"
)

// WaitLevel colours the wait time in the request panel.
type WaitLevel string

// Wait levels.
const (
	WaitNormal WaitLevel = "normal"
	WaitAmber  WaitLevel = "amber"
	WaitRed    WaitLevel = "red"
)

// Decline records one agent declining a request.
type Decline struct {
	AgentID string    `json:"agent_id"`
	Reason  string    `json:"reason"`
	At      time.Time `json:"at"`
}

// Request is a connection request: a customer waiting for a person.
type Request struct {
	ID             string
	ConversationID string
	CustomerID     string
	Customer       Customer
	ChannelID      string
	Channel        Channel
	Status         RequestStatus
	Reason         RequestReason
	InitialMessage string
	PageURL        string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	AcceptedBy     string
	AcceptedAt     time.Time
	ClosedAt       time.Time
	Declines       []Decline
	// OfferedTo lists the agents the request is currently offered to.
	OfferedTo []string
	// Routing is where routing stands (written with UpdateRouting).
	Routing RouteState

	// Viewer-dependent fields, filled by the Service for one reader.
	WaitSeconds   int
	WaitLevel     WaitLevel
	OfferedToMe   bool
	QueuePosition int
}

// DeclinedBy reports whether agentID declined the request.
func (r Request) DeclinedBy(agentID string) bool {
	for _, d := range r.Declines {
		if d.AgentID == agentID {
			return true
		}
	}
	return false
}

// IsOfferedTo reports whether the request is currently offered to agentID.
func (r Request) IsOfferedTo(agentID string) bool {
	for _, id := range r.OfferedTo {
		if id == agentID {
			return true
		}
	}
	return false
}

// MarshalJSON renders the contract's Request object.
func (r Request) MarshalJSON() ([]byte, error) {
	declines := r.Declines
	if declines == nil {
		declines = []Decline{}
	}
	var qp *int
	if r.QueuePosition > 0 {
		qp = &r.QueuePosition
	}
	return json.Marshal(struct {
		ID             string        `json:"id"`
		ConversationID string        `json:"conversation_id"`
		Status         RequestStatus `json:"status"`
		Reason         RequestReason `json:"reason"`
		Customer       Customer      `json:"customer"`
		InitialMessage string        `json:"initial_message"`
		Channel        Channel       `json:"channel"`
		PageURL        *string       `json:"page_url"`
		CreatedAt      time.Time     `json:"created_at"`
		WaitSeconds    int           `json:"wait_seconds"`
		WaitLevel      WaitLevel     `json:"wait_level"`
		OfferedToMe    bool          `json:"offered_to_me"`
		DeclinedBy     []Decline     `json:"declined_by"`
		AcceptedBy     *string       `json:"accepted_by"`
		AcceptedAt     *time.Time    `json:"accepted_at"`
		QueuePosition  *int          `json:"queue_position"`
	}{r.ID, r.ConversationID, r.Status, r.Reason, r.Customer, r.InitialMessage, r.Channel,
		optString(r.PageURL), r.CreatedAt.UTC(), r.WaitSeconds, r.WaitLevel, r.OfferedToMe,
		declines, optString(r.AcceptedBy), optTime(r.AcceptedAt), qp})
}

// Author says who wrote a message.
type Author string

// Message authors.
const (
	AuthorCustomer Author = "customer"
	AuthorBot      Author = "bot"
	AuthorAgent    Author = "agent"
	AuthorSystem   Author = "system"
	// AuthorNote is an agent's private note: agents read it, the customer
	// never does (core/notes.go).
	AuthorNote Author = "note"
)

// Delivery is the outbound delivery state of a message we send.
type Delivery string

// Delivery states, in the order they progress (failed is terminal).
const (
	DeliveryNone      Delivery = ""
	DeliveryQueued    Delivery = "queued"
	DeliverySent      Delivery = "sent"
	DeliveryDelivered Delivery = "delivered"
	DeliveryRead      Delivery = "read"
	DeliveryFailed    Delivery = "failed"
)

// Message is one line of a conversation.
type Message struct {
	ID             string
	ConversationID string
	ChannelID      string
	Author         Author
	AgentID        string
	Text           string
	CreatedAt      time.Time
	Delivery       Delivery
	Error          string
	// ProviderID is the channel provider's message id (inbound: for
	// deduplication; outbound: the id the provider returned).
	ProviderID string
	// ProcessedAt is when the bot worker handled a customer message.
	ProcessedAt time.Time
	// SentAt is when the send of an outbound message was recorded (zero
	// until then): a read watermark covers the messages sent up to it.
	SentAt time.Time
	// Attachments are the message's files, oldest first.
	Attachments []Attachment
}

// MarshalJSON renders the contract's Message object.
func (m Message) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		ID             string       `json:"id"`
		ConversationID string       `json:"conversation_id"`
		Author         Author       `json:"author"`
		AgentID        *string      `json:"agent_id"`
		Text           string       `json:"text"`
		CreatedAt      time.Time    `json:"created_at"`
		Delivery       *string      `json:"delivery"`
		Error          *string      `json:"error"`
		Attachments    []Attachment `json:"attachments"`
	}{m.ID, m.ConversationID, m.Author, optString(m.AgentID), m.Text, m.CreatedAt.UTC(),
		optString(string(m.Delivery)), optString(m.Error), nonNil(m.Attachments)})
}

// TokenKind separates agent and visitor tokens: one never opens the other's routes.
type TokenKind string

// Token kinds.
const (
	TokenAgent   TokenKind = "agent"
	TokenVisitor TokenKind = "visitor"
)

// Token is a stored bearer token; only its SHA-256 hash is kept.
type Token struct {
	Hash      string
	Kind      TokenKind
	SubjectID string // agent id or customer id
	ExpiresAt time.Time
	CreatedAt time.Time
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// nonNil makes a nil list an empty one: the contract's lists are [] when
// empty, never null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
