package core

import (
	"context"
	"errors"
	"time"
)

// Store persists the domain. Reads outside Atomic see committed data;
// Atomic runs fn in one write transaction (SQLite: BEGIN IMMEDIATE;
// PostgreSQL: the Lock* methods take row locks) and rolls it back when fn
// returns an error. fn must use only tx, never the Store itself (on SQLite
// that would wait for its own transaction). Callers take locks in the
// order agent, request, conversation. Implementations: adapters/sqlstore; contract suite:
// core/storetest.
type Store interface {
	Tx
	Atomic(ctx context.Context, fn func(tx Tx) error) error
	Ping(ctx context.Context) error
}

// Tx is everything the Service reads and writes; inside Atomic every call
// is part of the one transaction. The set-based methods (SaveCustomers,
// CreateConversations, InsertMessages, …) let a group of inbound messages
// or of bot turns cost a few statements instead of several per message.
type Tx interface {
	AgentStore
	TokenStore
	CustomerStore
	ConversationStore
	RequestStore
	MessageStore
	AttachmentStore
	StatsStore
	ReadStore
}

// AgentStore persists agents. Agent reads fill ActiveChats (active
// conversations assigned to the agent).
type AgentStore interface {
	CreateAgent(ctx context.Context, a Agent) error // ErrDuplicate on e-mail
	UpdateAgent(ctx context.Context, a Agent) error // ErrDuplicate on e-mail
	AgentByID(ctx context.Context, id string) (Agent, error)
	AgentByEmail(ctx context.Context, email string) (Agent, error) // case-insensitive
	// AgentByTokenHash reads an agent token and its agent in one read (every
	// agent request authenticates with it); expired tokens too: the caller
	// checks ExpiresAt. ErrNotFound when the hash names no agent token or
	// the token's agent is gone.
	AgentByTokenHash(ctx context.Context, hash string) (Token, Agent, error)
	// LockAgent reads the agent and locks its row until the transaction ends.
	LockAgent(ctx context.Context, id string) (Agent, error)
	ListAgents(ctx context.Context) ([]Agent, error) // by name
	CountAdmins(ctx context.Context) (int, error)
}

// TokenStore persists hashed bearer tokens.
type TokenStore interface {
	CreateToken(ctx context.Context, t Token) error
	TokenByHash(ctx context.Context, hash string) (Token, error)
	DeleteToken(ctx context.Context, hash string) error
	// DeleteAgentTokens removes every agent token of the agent and returns
	// how many there were (0 is no error).
	DeleteAgentTokens(ctx context.Context, agentID string) (int, error)
	// TokensByHashes reads the tokens of the hashes that name one, in
	// any order (expired ones too); the open event streams' check of
	// their tokens reads hundreds at once.
	TokensByHashes(ctx context.Context, hashes []string) ([]Token, error)
}

// CustomerStore persists customers, unique on (channel, channel user id).
type CustomerStore interface {
	// CreateCustomer stores a new customer; ErrDuplicate when the channel
	// user exists, and the transaction stays usable.
	CreateCustomer(ctx context.Context, c Customer) error
	UpdateCustomer(ctx context.Context, c Customer) error
	CustomerByID(ctx context.Context, id string) (Customer, error)
	// LockCustomer reads the customer and locks its row until the
	// transaction ends.
	LockCustomer(ctx context.Context, id string) (Customer, error)
	CustomerByChannelUser(ctx context.Context, channelID, channelUserID string) (Customer, error)
	// CustomersByChannelUsers reads the customers that exist among keys
	// (channel, channel user id) and locks them until the transaction
	// ends: the group commit's LockCustomer (ingest_group.go).
	CustomersByChannelUsers(ctx context.Context, keys []ChannelKey) (map[ChannelKey]Customer, error)
	// SaveCustomers creates new customers and writes name, e-mail, visits
	// and last seen time of existing ones (by id), all at once.
	// ErrDuplicate when a new customer's channel user exists already.
	SaveCustomers(ctx context.Context, cs []Customer) error
}

// ChannelKey names a row by channel and an id within the channel: a
// customer by channel user id, or a message by provider message id.
type ChannelKey struct{ ChannelID, ID string }

// ConversationStore persists conversations. Reads fill Customer.
type ConversationStore interface {
	CreateConversation(ctx context.Context, c Conversation) error
	// CreateConversations stores new conversations, all at once.
	CreateConversations(ctx context.Context, cs []Conversation) error
	// UpdateConversation writes status, agent, request, page url,
	// resolved_at and bot misses; last_message_at is InsertMessage's and
	// never moves backwards.
	UpdateConversation(ctx context.Context, c Conversation) error
	ConversationByID(ctx context.Context, id string) (Conversation, error)
	// OpenConversation is the customer's newest conversation on the
	// channel that is not resolved; ErrNotFound when there is none.
	OpenConversation(ctx context.Context, customerID, channelID string) (Conversation, error)
	// OpenConversationsOf returns, per customer id, the customer's newest
	// conversation that is not resolved (a customer has one channel); the
	// customers with none are left out.
	OpenConversationsOf(ctx context.Context, customerIDs []string) (map[string]Conversation, error)
	// LatestConversation is the customer's newest conversation on the
	// channel, whatever its status; ErrNotFound when there is none.
	LatestConversation(ctx context.Context, customerID, channelID string) (Conversation, error)
	// LockConversation reads the conversation and locks its row until the
	// transaction ends.
	LockConversation(ctx context.Context, id string) (Conversation, error)
	// LockConversations is LockConversation on several conversations,
	// locked in id order and returned in id order; ids that name no
	// conversation are left out.
	LockConversations(ctx context.Context, ids []string) ([]Conversation, error)
	SearchConversations(ctx context.Context, q ConversationQuery) ([]Conversation, string, error)
	// IdleConversations lists the ids of active conversations whose last
	// message is before `before`, oldest first, at most limit (0: no limit).
	IdleConversations(ctx context.Context, before time.Time, limit int) ([]string, error)
}

// ConversationQuery filters history. Zero values do not filter.
type ConversationQuery struct {
	Statuses []ConversationStatus
	Text     string // full text: every word must match a message of the conversation
	Customer string // any part of the customer's name, case-insensitive
	Channel  string
	AgentID  string
	From, To time.Time // bounds on created_at: From ≤ created_at < To
	Limit    int
	Cursor   string // opaque, from the previous page
	// VisibleTo limits the result to what this non-admin agent may see:
	// their own conversations, resolved ones, and conversations of open
	// requests offered to them. Empty: no limit (admins).
	VisibleTo string
}

// RequestStore persists connection requests. Reads fill Customer,
// Declines (oldest first) and OfferedTo.
type RequestStore interface {
	CreateRequest(ctx context.Context, r Request) error
	// UpdateRequest writes status, reason, page url, accepted/closed fields
	// and UpdatedAt of an existing request.
	UpdateRequest(ctx context.Context, r Request) error
	RequestByID(ctx context.Context, id string) (Request, error)
	// LockRequest reads the request and locks its row until the transaction ends.
	LockRequest(ctx context.Context, id string) (Request, error)
	// AcceptRequest is the conditional update at the heart of accept: it sets
	// status accepted, accepted_by and accepted_at only if the status is still
	// waiting or declined, and reports whether it did.
	AcceptRequest(ctx context.Context, id, agentID string, at time.Time) (bool, error)
	AddDecline(ctx context.Context, requestID string, d Decline) error
	// SetOffers replaces the set of agents the request is offered to.
	SetOffers(ctx context.Context, requestID string, agentIDs []string, at time.Time) error
	ListRequests(ctx context.Context, q RequestQuery) ([]Request, error) // oldest first
	// MissedRequests is the shift report: requests created before to that
	// were still waiting or declined at to, or were declined in [from, to),
	// and whose conversation has no agent message yet; oldest first, at
	// most limit.
	MissedRequests(ctx context.Context, from, to time.Time, limit int) ([]Request, error)
	// UpdateRouting writes the routing state of an existing request.
	UpdateRouting(ctx context.Context, id string, st RouteState) error
	// RoutingDue lists the open requests whose offer deadline or reroute
	// check is at or before `before`, soonest first, at most limit (0: no
	// limit): the timers the sweeper makes sure are scheduled.
	RoutingDue(ctx context.Context, before time.Time, limit int) ([]Request, error)
	// QueuePosition is the request's place among the open requests in
	// ListRequests order, from 1; 0 when it is not open; ErrNotFound when
	// there is no such request.
	QueuePosition(ctx context.Context, id string) (int, error)
}

// RequestQuery filters the request panel. Zero values do not filter.
type RequestQuery struct {
	Statuses   []RequestStatus
	OfferedTo  string // only requests currently offered to this agent
	AcceptedBy string
	Limit      int
}

// MessageStore persists messages. Inbound customer messages are unique on
// (channel, provider id) when the provider id is set; the provider ids of
// our outbound messages are recorded but are no key (some providers number
// messages per chat).
type MessageStore interface {
	// InsertMessage stores m and moves the conversation's last_message_at
	// forward; ErrDuplicate when m is a customer message whose (channel,
	// provider id) exists already.
	InsertMessage(ctx context.Context, m Message) error
	// InsertMessages is InsertMessage for several messages at once: each
	// conversation's last_message_at moves to its latest message, never
	// back. When customer messages' provider ids were stored already it
	// returns a *DuplicateMessagesError naming every one of them, and the
	// transaction must be rolled back. The duplicates are found by the
	// insert itself, through the unique index (no look-up before it whose
	// plan could go stale).
	InsertMessages(ctx context.Context, ms []Message) error
	MessageByID(ctx context.Context, id string) (Message, error)
	// MessageWithConversation reads a message and its conversation (with
	// the customer) in one go: what a delivery needs.
	MessageWithConversation(ctx context.Context, id string) (Message, Conversation, error)
	// ListMessages returns the conversation's messages after afterID (all
	// when empty), oldest first, at most limit (0: no limit).
	ListMessages(ctx context.Context, conversationID, afterID string, limit int) ([]Message, error)
	// FirstCustomerMessage is the conversation's oldest customer message.
	FirstCustomerMessage(ctx context.Context, conversationID string) (Message, error)
	UpdateDelivery(ctx context.Context, id string, d Delivery, providerID, errText string) error
	// RecordSent marks the messages sent at `at`, with no error, and
	// stores each one's provider id (an empty one keeps what is stored),
	// all at once. Unknown ids are skipped.
	RecordSent(ctx context.Context, at time.Time, sent []SentMessage) error
	// AdvanceDelivery applies a provider's status callback: our outbound
	// message on the channel with that provider id moves to `to` (recording
	// errText) only if its delivery is one of from. It returns the messages
	// that moved, as they are now; an unknown provider id moves none.
	AdvanceDelivery(ctx context.Context, channelID, providerID string, from []Delivery, to Delivery, errText string) ([]MovedMessage, error)
	// ReadUpTo applies a read watermark (a read receipt that names no
	// message): our outbound messages to the channel user, in any of their
	// conversations on the channel, that are sent or delivered and whose
	// send was recorded at or before `at` (created then, for a message sent
	// without a recorded time) move to read. It returns those that moved.
	ReadUpTo(ctx context.Context, channelID, channelUserID string, at time.Time) ([]MovedMessage, error)
	// KeepEarlyDelivery keeps a status callback that matched none of our
	// messages, for Deliver to apply once it records the provider id: a
	// new (channel, provider id) is stored; a kept one moves to e.Delivery
	// (with e.Error and e.At) only if its delivery is one of from.
	KeepEarlyDelivery(ctx context.Context, e EarlyDelivery, from []Delivery) error
	// TakeEarlyDeliveries removes and returns the early statuses kept for
	// the (channel, provider id) keys, in any order; keys with none are
	// left out.
	TakeEarlyDeliveries(ctx context.Context, keys []ChannelKey) ([]EarlyDelivery, error)
	// PurgeEarlyDeliveries removes the early statuses last kept before
	// `before` (nobody claimed them) and reports how many.
	PurgeEarlyDeliveries(ctx context.Context, before time.Time) (int, error)
	// EditInbound replaces the text of the customer message with that
	// provider id (an edit, or a revoke); ErrNotFound when there is none.
	EditInbound(ctx context.Context, channelID, providerID, text string) error
	// ClaimUnprocessed marks processed, at `at`, the customer messages
	// among ids that the bot has not processed yet and returns them, in
	// any order. Inside a transaction each claimed message stays locked
	// until it ends, so two turns on one message cannot both claim it.
	ClaimUnprocessed(ctx context.Context, ids []string, at time.Time) ([]Message, error)
	// Due lists the work the sweeper must make sure is queued: customer
	// messages not processed by the bot, queued outbound messages, and open
	// requests, each last touched before olderThan.
	Due(ctx context.Context, olderThan time.Time, limit int) (DueWork, error)
}

// SentMessage is an outbound message a provider took, with the id it gave.
type SentMessage struct{ ID, ProviderID string }

// MovedMessage is an outbound message whose delivery a provider's status
// moved, with the agent handling its conversation at that moment ("" for
// none): the one to tell.
type MovedMessage struct {
	Message Message
	AgentID string
}

// EarlyDelivery is a provider's status callback for a provider message id
// that none of our messages carries yet: the provider answered the send
// and called back before the worker recorded the id.
type EarlyDelivery struct {
	ChannelID  string
	ProviderID string
	Delivery   Delivery
	Error      string
	At         time.Time // when it was kept (or last moved)
}

// DueWork is what the database says should be in the queue.
type DueWork struct {
	Unprocessed  []string // message ids for conv:bot
	Undelivered  []string // message ids for msg:deliver
	OpenRequests []string // request ids for request:route
}

// ReadStore keeps how far each agent has read each conversation: the
// unread counts of the inbox and the visitor's "Seen" (core/unread.go).
type ReadStore interface {
	// MarkRead moves the agent's read mark on the conversation forward to
	// m (a later At, or the same At with a later UpToID; never back) and
	// reports whether it moved.
	MarkRead(ctx context.Context, m ReadMark) (bool, error)
	// ReadMarkOf is the agent's read mark on the conversation;
	// ErrNotFound when the agent never read it.
	ReadMarkOf(ctx context.Context, conversationID, agentID string) (ReadMark, error)
	// ConversationSummaries reads, per conversation id, the unread count
	// of its assigned agent (customer messages created after that agent's
	// read mark, all of them without one; 0 with no agent) and its newest
	// message that is not a note (the last in ListMessages order). Ids
	// naming no conversation are left out.
	ConversationSummaries(ctx context.Context, ids []string) (map[string]ConversationSummary, error)
	// LastCustomerMessage is the conversation's newest customer message
	// (the last in ListMessages order); ErrNotFound when there is none.
	LastCustomerMessage(ctx context.Context, conversationID string) (Message, error)
}

// ReadMark is how far an agent has read a conversation: up to the
// message UpToID, created at At.
type ReadMark struct {
	ConversationID string
	AgentID        string
	UpToID         string
	At             time.Time
}

// ConversationSummary is what a conversation row of the inbox shows
// beyond the conversation: its unread count and its newest message
// (the zero Message when it has none).
type ConversationSummary struct {
	Unread int
	Last   Message
}

// StatsStore computes the figures behind Stats.
type StatsStore interface {
	StatsData(ctx context.Context, now time.Time) (StatsData, error)
}

// StatsData is what the store counts; the Service derives the rest.
type StatsData struct {
	Active, Waiting, Declined  int
	ResolvedTotal, ResolvedDay int         // ResolvedDay: since 00:00 UTC of now
	WaitSeconds                []float64   // accept waits of the last 7 days
	FirstResponseSeconds       []float64   // first agent reply after accept, last 7 days
	ResolvedByWeek             []WeekCount // last 12 ISO weeks, oldest first
}

// WeekCount is a resolved count for one ISO week ("2026-W47").
type WeekCount struct {
	Week     string `json:"week"`
	Resolved int    `json:"resolved"`
}

// Jobs queues the background work (queue.Enqueuer). Each method puts a
// task in the queue; the Service's method of the same use case runs it
// (QueueBot → RunBot, QueueRoute → Route, QueueDelivery → Deliver,
// ScheduleEscalation → Escalate, ScheduleRerouteCheck → RerouteCheck).
// Every method is idempotent per its arguments: the same call twice
// queues one task.
type Jobs interface {
	// QueueBot queues the bot's turn on an inbound customer message
	// (conv:bot).
	QueueBot(ctx context.Context, messageID string) error
	// QueueBotFirst is QueueBot ahead of ordinary bot work, for a message
	// that asks for a person: the request reaches the agents' panel
	// promptly however long the bot's queue.
	QueueBotFirst(ctx context.Context, messageID string) error
	// QueueBots queues the bot's turns on several inbound messages, stored
	// together by group commit, as one task that takes them in the order
	// given. It is idempotent per message, like QueueBot, and a message
	// may also be queued alone (by the sweeper): its second turn finds it
	// processed and does nothing.
	QueueBots(ctx context.Context, messageIDs []string) error
	// QueueRoute queues the offer of a request to agents (request:route);
	// cause makes the task id unique per reason to route (open, decline:N,
	// sweep, …).
	QueueRoute(ctx context.Context, requestID, cause string) error
	// QueueDelivery queues the send of an outbound message on its channel
	// (msg:deliver).
	QueueDelivery(ctx context.Context, messageID string) error
	// QueueDeliveryIn is QueueDelivery for a send that starts no sooner
	// than wait from now, because the provider asked the worker's own send
	// to wait (a rate limit, see RetryAfter). The same message is queued
	// once, however it was queued first.
	QueueDeliveryIn(ctx context.Context, messageID string, wait time.Duration) error
	// ScheduleEscalation schedules, at `at`, the move of the request's
	// offer on from routing step `step` (request:escalate). The sweeper
	// re-schedules from the stored deadlines whatever a restart lost.
	ScheduleEscalation(ctx context.Context, requestID string, step int, at time.Time) error
	// ScheduleRerouteCheck schedules, at `at`, the check that moves a
	// still-declined request to the general queue (request:reroute).
	ScheduleRerouteCheck(ctx context.Context, requestID string, at time.Time) error
	// QueueMediaFetch queues the fetch of a pending attachment's file from
	// its provider (media:fetch → FetchMedia); cause makes the task id
	// unique per reason to fetch (ingest, sweep:N), as QueueRoute's.
	QueueMediaFetch(ctx context.Context, attachmentID, cause string) error
	// QueueMediaFetches is QueueMediaFetch for the pending attachments of
	// messages stored together by group commit, in one enqueue instead
	// of one per file (a task may fetch several; a fetch of an attachment
	// no longer pending does nothing, so a retried task only fetches what
	// is left).
	QueueMediaFetches(ctx context.Context, attachmentIDs []string, cause string) error
}

// Outbound is one message to send to a customer on a channel: a text, or
// a file (File set) whose caption is Text, which may be empty.
type Outbound struct {
	MessageID string
	Channel   Channel
	Customer  Customer
	Text      string
	Author    Author
	File      *OutboundFile
}

// Sender delivers outbound messages on one channel, texts and files, and
// returns the provider's message id. A file is checked against the
// channel's MediaLimits before anything goes out. A *DeliveryError with Permanent set fails the
// message without retry; any other error is retried, no sooner than the
// provider asked if the error has a RetryAfter method (see RetryAfter).
type Sender interface {
	Send(ctx context.Context, m Outbound) (providerID string, err error)
}

// Typer shows a customer that their agent is typing, on a channel whose
// provider has a typing indicator (Telegram's sendChatAction, the
// WhatsApp Cloud API's typing indicator). It is best effort: the Service
// throttles the calls per conversation (TypingEvery) and logs a failure.
type Typer interface {
	Typing(ctx context.Context, t TypingTarget) error
}

// TypingTarget is whom a Typer shows the indicator to.
type TypingTarget struct {
	Channel  Channel
	Customer Customer
	// ReplyTo is the provider's id of the customer's newest message (""
	// when there is none): WhatsApp shows the indicator together with the
	// read mark of that message.
	ReplyTo string
}

// RetryAfter returns the wait a provider asked for before the next attempt
// (Telegram's retry_after on a 429) when err, or an error it wraps, has a
// RetryAfter() time.Duration method that returns more than zero.
func RetryAfter(err error) (time.Duration, bool) {
	ra, ok := errors.AsType[interface {
		error
		RetryAfter() time.Duration
	}](err)
	if !ok || ra.RetryAfter() <= 0 {
		return 0, false
	}
	return ra.RetryAfter(), true
}

// DeliveryError is a provider's refusal of an outbound message.
type DeliveryError struct {
	Permanent bool
	Code      string
	Reason    string
}

func (e *DeliveryError) Error() string {
	if e.Code == "" {
		return e.Reason
	}
	return e.Code + ": " + e.Reason
}
