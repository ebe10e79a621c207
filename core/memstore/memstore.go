package memstore

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

// Store is an in-memory core.Store. The zero value is not usable; call New.
type Store struct {
	// tx is the auto-commit view: outside Atomic every method takes the
	// lock by itself (read lock for reads, write lock for writes).
	tx
	mu   sync.RWMutex
	down atomic.Bool
	d    data
}

var _ core.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	s := &Store{d: data{
		agents:      map[string]core.Agent{},
		agentEmail:  map[string]string{},
		active:      map[string]int{},
		assigned:    map[string]time.Time{},
		tokens:      map[string]core.Token{},
		customers:   map[string]core.Customer{},
		customerKey: map[key]string{},
		convs:       map[string]core.Conversation{},
		custConvs:   map[string][]string{},
		requests:    map[string]request{},
		messages:    map[string]message{},
		convMsgs:    map[string][]string{},
		providerKey: map[key]string{},
		early:       map[key]core.EarlyDelivery{},
		files:       map[string]core.Attachment{},
		msgFiles:    map[string][]string{},
		reads:       map[key]core.ReadMark{},
	}}
	s.tx = tx{s: s}
	return s
}

// data is the whole state. Every write goes through put or del so that an
// Atomic transaction can undo it.
type data struct {
	seq         int64                        // insertion order of requests and messages
	agents      map[string]core.Agent        // ActiveChats not stored
	agentEmail  map[string]string            // lower-case e-mail → agent id
	active      map[string]int               // agent id → active conversations
	assigned    map[string]time.Time         // agent id → last accepted_at
	tokens      map[string]core.Token        // by hash
	customers   map[string]core.Customer     // by id
	customerKey map[key]string               // (channel, channel user id) → customer id
	convs       map[string]core.Conversation // Customer and Channel not stored
	custConvs   map[string][]string          // customer id → conversation ids, oldest first
	requests    map[string]request
	messages    map[string]message
	convMsgs    map[string][]string        // conversation id → message ids, oldest first
	providerKey map[key]string             // (channel, provider id) → message id
	early       map[key]core.EarlyDelivery // (channel, provider id) → early status callback
	files       map[string]core.Attachment // by id
	msgFiles    map[string][]string        // message id → attachment ids, oldest first
	reads       map[key]core.ReadMark      // (conversation id, agent id) → read mark
}

type key [2]string

// request is a stored request: Customer, Channel and the viewer fields are
// not kept; Declines and OfferedTo are, and are replaced, never mutated.
type request struct {
	r         core.Request
	seq       int64
	offeredAt time.Time // when SetOffers last ran
}

type message struct {
	m   core.Message
	seq int64
}

// SetDown simulates an outage: while down, Ping and Atomic fail with
// core.ErrUnavailable.
func (s *Store) SetDown(down bool) { s.down.Store(down) }

// Ping reports whether the store is up.
func (s *Store) Ping(ctx context.Context) error {
	if s.down.Load() {
		return fmt.Errorf("memstore is down: %w", core.ErrUnavailable)
	}
	return ctx.Err()
}

// Atomic runs fn as one transaction: writers are serialised, and every
// write fn made is undone when fn returns an error or panics. The Tx must
// not be used after fn returns.
func (s *Store) Atomic(ctx context.Context, fn func(tx core.Tx) error) (err error) {
	if err := s.Ping(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := &tx{s: s, inTx: true}
	defer func() {
		t.ended = true
		if r := recover(); r != nil {
			t.rollback()
			panic(r)
		}
		if err != nil {
			t.rollback()
		}
	}()
	return fn(t)
}

// tx implements core.Tx over the store's data. inTx: the caller (Atomic)
// holds the write lock and the undo log is kept.
type tx struct {
	s     *Store
	inTx  bool
	ended bool
	undo  []func()
}

func (t *tx) rollback() {
	for i := len(t.undo) - 1; i >= 0; i-- {
		t.undo[i]()
	}
	t.undo = nil
}

func (t *tx) read() func() {
	if t.inTx {
		t.check()
		return func() {}
	}
	t.s.mu.RLock()
	return t.s.mu.RUnlock
}

func (t *tx) write() func() {
	if t.inTx {
		t.check()
		return func() {}
	}
	t.s.mu.Lock()
	return t.s.mu.Unlock
}

func (t *tx) check() {
	if t.ended {
		panic("memstore: Tx used after its Atomic call returned")
	}
}

func (t *tx) d() *data { return &t.s.d }

func (t *tx) next() int64 {
	t.d().seq++
	return t.d().seq
}

// put sets m[k] = v, logging the undo inside a transaction.
func put[K comparable, V any](t *tx, m map[K]V, k K, v V) {
	if t.inTx {
		old, had := m[k]
		t.undo = append(t.undo, func() {
			if had {
				m[k] = old
			} else {
				delete(m, k)
			}
		})
	}
	m[k] = v
}

// del deletes m[k], logging the undo inside a transaction.
func del[K comparable, V any](t *tx, m map[K]V, k K) {
	old, had := m[k]
	if !had {
		return
	}
	if t.inTx {
		t.undo = append(t.undo, func() { m[k] = old })
	}
	delete(m, k)
}

func notFound(what, id string) error { return fmt.Errorf("%s %q: %w", what, id, core.ErrNotFound) }

func duplicate(what, id string) error { return fmt.Errorf("%s %q: %w", what, id, core.ErrDuplicate) }
