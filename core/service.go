package core

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// Service is Switchboard's use cases. It is safe for concurrent use.
type Service struct {
	store   Store
	jobs    Jobs
	timers  Timers
	events  Events
	medians medianCache
	// timersSwept is set once a sweep rescheduled every pending timer.
	timersSwept atomic.Bool
	log         *slog.Logger
	now         func() time.Time
	settings    atomic.Pointer[Settings]
	kb          atomic.Pointer[Knowledge]

	mu      sync.RWMutex
	senders map[string]Sender

	// bcryptCost is the password hashing cost (lowered in tests).
	bcryptCost int
	// lanes group concurrent Ingest calls into shared transactions.
	lanes []ingestLane
	// accepts line up concurrent accepts of one request (accept_gate.go).
	accepts acceptGates
	// auth remembers recent agent token checks (auth_cache.go).
	auth authCache
}

// Deps are the Service's collaborators. Now and Logger are optional.
type Deps struct {
	Store Store
	Jobs  Jobs
	// Timers schedules routing timers; nil: Jobs when it implements
	// Timers, else none (the sweeper schedules them from the database).
	Timers Timers
	Logger *slog.Logger
	Now    func() time.Time
	// BcryptCost overrides the password hashing cost (tests use the minimum).
	BcryptCost int
	// Events publishes to the live event streams; nil: none.
	Events Events
	// IngestLanes is how many groups of inbound messages may be in
	// flight at once (group commit, see ingest_group.go); 0: one per
	// core (GOMAXPROCS), from 2 to 8; a negative number: no grouping,
	// one transaction per message.
	IngestLanes int
}

// NewService builds the Service with its first settings.
func NewService(d Deps, set Settings) *Service {
	s := &Service{store: d.Store, jobs: d.Jobs, log: d.Logger, now: d.Now,
		senders: map[string]Sender{}, bcryptCost: d.BcryptCost, events: d.Events}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.timers = d.Timers; s.timers == nil {
		s.timers, _ = d.Jobs.(Timers)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.bcryptCost == 0 {
		s.bcryptCost = 11
	}
	if n := cmp.Or(d.IngestLanes, defaultIngestLanes()); n > 0 {
		s.lanes = make([]ingestLane, n)
	}
	s.SetSettings(set)
	return s
}

// SetSettings swaps the settings atomically (config reload).
func (s *Service) SetSettings(set Settings) {
	s.kb.Store(NewKnowledge(set.Bot.Knowledge, set.Bot.MinConfidence))
	s.settings.Store(&set)
}

// Settings returns the settings in force.
func (s *Service) Settings() Settings { return *s.settings.Load() }

func (s *Service) set() *Settings { return s.settings.Load() }

// RegisterSender sets the Sender of a channel.
func (s *Service) RegisterSender(channelID string, snd Sender) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.senders[channelID] = snd
}

func (s *Service) sender(channelID string) (Sender, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	snd, ok := s.senders[channelID]
	return snd, ok
}

// Ready checks the store (the queue is checked by its adapter).
func (s *Service) Ready(ctx context.Context) error { return s.store.Ping(ctx) }

// clock returns the current time in UTC, truncated to microseconds so it
// survives a round trip through either database unchanged.
func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// NewID makes a UUIDv7: unique, and sortable by creation time.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

// channelOf returns the configured channel, or one of unknown type for an
// id no longer in the config (old history stays readable).
func (s *Service) channelOf(id string) Channel {
	if c, ok := s.set().channel(id); ok {
		return c
	}
	return Channel{ID: id}
}

// newToken returns a random bearer token and its storage hash.
func newToken(prefix string) (token, hash string) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // never fails on supported platforms
	}
	token = prefix + base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// HashToken is how tokens are stored: hex SHA-256.
func HashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// after collects what to do once a transaction has committed: enqueues,
// and events to publish (Service.publish), in order.
type after []step

// step is one thing to do after the commit: do, publish ev, deliver out
// (no sooner than wait, when set), or route the request route names.
type step struct {
	do    func(ctx context.Context) error
	ev    *Published
	out   *queuedOut
	wait  time.Duration
	route *routeCall
}

// routeCall is a request to route: run enqueues its request:route,
// runInWorker routes it.
type routeCall struct{ id, cause string }

// queuedOut is an outbound message stored as queued, with its
// conversation: run enqueues its msg:deliver, runInWorker sends it.
type queuedOut struct {
	conv Conversation
	msg  Message
}

func (a *after) add(do func(ctx context.Context) error) { *a = append(*a, step{do: do}) }

// route queues the routing of the request id, opened by cause.
func (a *after) route(id, cause string) {
	*a = append(*a, step{route: &routeCall{id: id, cause: cause}})
}

// deliver queues the delivery of msg, stored as queued in conv.
func (a *after) deliver(conv Conversation, msg Message) {
	a.deliverIn(conv, msg, 0)
}

// deliverIn queues the delivery of msg to start no sooner than wait from
// now (with a Jobs that is LaterJobs; at once with another).
func (a *after) deliverIn(conv Conversation, msg Message, wait time.Duration) {
	*a = append(*a, step{out: &queuedOut{conv: conv, msg: msg}, wait: wait})
}

func (a *after) bot(jobs Jobs, id string) {
	a.add(func(ctx context.Context) error { return jobs.RunBot(ctx, id) })
}

// run does the steps in order; events in a row go out as one batch. A
// failed enqueue is logged, not returned: the state is committed and the
// sweeper re-enqueues whatever the database says is due.
func (a after) run(ctx context.Context, s *Service) {
	var evs []Published
	for _, st := range a {
		if st.ev != nil {
			evs = append(evs, *st.ev)
			continue
		}
		if len(evs) > 0 {
			s.publishAll(ctx, evs)
			evs = nil
		}
		do := st.do
		switch {
		case st.out != nil:
			do = func(ctx context.Context) error {
				if lj, ok := s.jobs.(LaterJobs); ok && st.wait > 0 {
					return lj.DeliverIn(ctx, st.out.msg.ID, st.wait)
				}
				return s.jobs.Deliver(ctx, st.out.msg.ID)
			}
		case st.route != nil:
			do = func(ctx context.Context) error { return s.jobs.Route(ctx, st.route.id, st.route.cause) }
		}
		if err := do(ctx); err != nil {
			s.log.WarnContext(ctx, "enqueue failed; the sweeper will retry", "err", err)
		}
	}
	if len(evs) > 0 {
		s.publishAll(ctx, evs)
	}
}

// runInWorker is run for a worker: new requests are routed and the
// outbound messages sent here and now, after the other steps, instead of
// each costing a request:route or msg:deliver task (a queue hop). A
// routing that fails is left to a request:route task. A conversation's
// messages go out in order, conversations at once, and the sends are
// recorded together at the end. A message that fails is left to a
// msg:deliver task (retried with backoff), and so are the ones after it in
// its conversation; a message on a channel without a sender is left to
// one too.
func (a after) runInWorker(ctx context.Context, s *Service) {
	var rest after
	var routes []routeCall
	var convs []string
	outs := map[string][]queuedOut{}
	for _, st := range a {
		if st.route != nil {
			routes = append(routes, *st.route)
			continue
		}
		if st.out == nil {
			rest = append(rest, st)
			continue
		}
		id := st.out.conv.ID
		if _, seen := outs[id]; !seen {
			convs = append(convs, id)
		}
		outs[id] = append(outs[id], *st.out)
	}
	rest.run(ctx, s)
	for _, r := range routes { // first: a person waits for these
		if err := s.Route(ctx, r.id); err != nil {
			s.log.WarnContext(ctx, "routing a new request failed; a request:route task retries it", "request_id", r.id, "err", err)
			var later after
			later.route(r.id, r.cause)
			later.run(ctx, s)
		}
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		sent []queuedOut
	)
	for _, id := range convs {
		wg.Go(func() {
			msgs := outs[id]
			for i, o := range msgs {
				m, err := s.transmitNow(ctx, o.conv, o.msg)
				if errors.Is(err, errRefused) {
					continue
				}
				if err != nil {
					if !errors.Is(err, errNoSender) {
						s.log.WarnContext(ctx, "send failed; a msg:deliver task retries it",
							"message_id", o.msg.ID, "channel", o.conv.ChannelID, "err", err)
					}
					wait, _ := RetryAfter(err) // a rate limit: the task waits as asked
					var later after
					for _, o := range msgs[i:] {
						later.deliverIn(o.conv, o.msg, wait)
					}
					later.run(ctx, s)
					return
				}
				mu.Lock()
				sent = append(sent, queuedOut{conv: o.conv, msg: m})
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := s.recordSent(ctx, sent); err != nil {
		// They went out but still read queued: their tasks send them again
		// (at least once, as any send whose record fails).
		s.log.WarnContext(ctx, "recording sends failed; msg:deliver tasks retry them", "messages", len(sent), "err", err)
		var later after
		for _, o := range sent {
			later.deliver(o.conv, o.msg)
		}
		later.run(ctx, s)
	}
}

// outbound stores a message we send to the customer (bot, agent or system)
// as queued and schedules its delivery.
func (s *Service) outbound(ctx context.Context, tx Tx, a *after, conv Conversation, author Author, agentID, text string) (Message, error) {
	m := Message{ID: NewID(), ConversationID: conv.ID, ChannelID: conv.ChannelID, Author: author,
		AgentID: agentID, Text: text, CreatedAt: s.clock(), Delivery: DeliveryQueued}
	if err := tx.InsertMessage(ctx, m); err != nil {
		return Message{}, fmt.Errorf("store %s message in conversation %s: %w", author, conv.ID, err)
	}
	a.deliver(conv, m)
	s.messageEvents(a, conv, EventMessageCreated, m)
	return m, nil
}

// isNotFound reports ErrNotFound.
func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
