package eventbus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

// ErrClosed is returned by a closed bus.
var ErrClosed = errors.New("eventbus: closed")

// Memory is the in-process bus of a single gateway (the embedded default).
type Memory struct {
	opts      Options
	hub       *hub
	mu        sync.Mutex
	streams   map[string]*kept
	lastEvict time.Time
	now       func() time.Time
}

type kept struct {
	events     []Event
	lastMS     int64
	seq        int64
	lastActive time.Time
}

// NewMemory returns an in-process bus.
func NewMemory(o Options) *Memory {
	o = o.withDefaults()
	return &Memory{opts: o, hub: newHub(o.Buffer), streams: map[string]*kept{}, now: time.Now}
}

// Publish implements Bus.
func (m *Memory) Publish(_ context.Context, stream, typ string, data any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("eventbus: encode %s event: %w", typ, err)
	}
	now := m.now()
	m.mu.Lock()
	if m.hub == nil {
		m.mu.Unlock()
		return ErrClosed
	}
	k := m.streams[stream]
	if k == nil {
		k = &kept{}
		m.streams[stream] = k
	}
	ms := now.UnixMilli()
	if ms <= k.lastMS {
		ms, k.seq = k.lastMS, k.seq+1
	} else {
		k.seq = 0
	}
	k.lastMS, k.lastActive = ms, now
	e := Event{ID: fmt.Sprintf("%d-%d", ms, k.seq), Type: typ, Data: raw}
	k.events = append(k.events, e)
	if len(k.events) > m.opts.Keep {
		k.events = append([]Event(nil), k.events[len(k.events)-m.opts.Keep:]...)
	}
	m.evict(now)
	// Dispatch under the lock so followers see a stream's events in order.
	m.hub.dispatch(stream, e)
	m.mu.Unlock()
	return nil
}

// PublishBatch implements Bus: the events are published in order, one by
// one; one that fails does not keep the others back.
func (m *Memory) PublishBatch(ctx context.Context, events []core.Published) error {
	var errs []error
	for _, e := range events {
		if err := m.Publish(ctx, e.Stream, e.Type, e.Data); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// evict drops the kept events of streams quiet for longer than TTL; it
// looks at most every TTL/10 so publishing stays cheap.
func (m *Memory) evict(now time.Time) {
	if now.Sub(m.lastEvict) < m.opts.TTL/10 {
		return
	}
	m.lastEvict = now
	for s, k := range m.streams {
		if now.Sub(k.lastActive) > m.opts.TTL {
			delete(m.streams, s)
		}
	}
}

// Subscribe implements Bus.
func (m *Memory) Subscribe(ctx context.Context, stream, lastEventID string) (*Subscription, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.hub == nil {
		return nil, ErrClosed
	}
	f, ok := m.hub.add(ctx, stream)
	if !ok {
		return nil, ErrClosed
	}
	var replay []Event
	start := lastEventID
	if k := m.streams[stream]; k != nil {
		replay = after(k.events, lastEventID)
		if len(k.events) > 0 {
			start = k.events[len(k.events)-1].ID // publishing waits for m.mu: nothing newer yet
		}
	}
	m.hub.begin(stream, f, start)
	return &Subscription{Replay: replay, C: f.ch}, nil
}

// Close ends every subscription.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.hub != nil {
		m.hub.close()
		m.hub = nil
	}
	return nil
}
