package eventbus

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

// Event is one message of a stream. IDs are "<unix ms>-<seq>" and grow
// along a stream (Redis stream ids have the same form).
type Event struct {
	ID   string          `json:"id"`
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

// Every Bus is core's Events port.
var _ core.Events = Bus(nil)

// Bus publishes events and lets clients follow streams.
type Bus interface {
	// Publish appends an event to the stream and hands it to its subscribers.
	Publish(ctx context.Context, stream, typ string, data any) error
	// PublishBatch publishes several events in order (core.Events).
	PublishBatch(ctx context.Context, events []core.Published) error
	// Subscribe follows a stream: first what was kept after lastEventID
	// (nothing when it is empty), then live events, until ctx ends.
	Subscribe(ctx context.Context, stream, lastEventID string) (*Subscription, error)
	Close() error
}

// Subscription is one follower of a stream.
type Subscription struct {
	// Replay holds the kept events after the Last-Event-ID, oldest first.
	Replay []Event
	// C carries live events newer than Replay (or, without a replay, than
	// the stream's last event when subscribing). It is closed when the
	// context ends, the bus closes, or the follower falls too far behind
	// (it should reconnect with its Last-Event-ID and replay).
	C <-chan Event
}

// Options tune retention.
type Options struct {
	// Keep is how many recent events a stream keeps for replay (default 500).
	Keep int
	// TTL is how long a quiet stream keeps them (default 1 h).
	TTL time.Duration
	// Buffer is how many live events may wait for a slow follower before
	// it is dropped (default 64, 3.5 KB a follower); it reconnects and
	// replays what it missed.
	Buffer int
}

func (o Options) withDefaults() Options {
	if o.Keep <= 0 {
		o.Keep = 500
	}
	if o.TTL <= 0 {
		o.TTL = time.Hour
	}
	if o.Buffer <= 0 {
		o.Buffer = 64
	}
	return o
}

// Newer reports whether event id a comes after b ("" is before everything).
func Newer(a, b string) bool {
	am, as := parseID(a)
	bm, bs := parseID(b)
	return am > bm || (am == bm && as > bs)
}

// maxIDPart bounds each number of an id: 20 digits hold any uint64, so
// a longer part (leading zeros aside) could not be a stream id anyway.
const maxIDPart = 20

// parseID reads "<ms>-<seq>", both decimal digits only (no sign, no
// space: Redis refuses "1--1" or "+1-1"), each fitting an int64. It
// gives -1, -1 for anything else, "" included.
func parseID(id string) (ms, seq int64) {
	m, s, ok := strings.Cut(id, "-")
	if !ok || !digits(m) || !digits(s) {
		return -1, -1
	}
	ms, err1 := strconv.ParseInt(m, 10, 64)
	seq, err2 := strconv.ParseInt(s, 10, 64)
	if err1 != nil || err2 != nil {
		return -1, -1
	}
	return ms, seq
}

// digits reports whether s is 1 to maxIDPart ASCII decimal digits.
func digits(s string) bool {
	if s == "" || len(s) > maxIDPart {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ValidID reports whether id is of the form a client may send back:
// "<ms>-<seq>" with both parts decimal digits that fit an int64, which
// Redis accepts as a stream id.
func ValidID(id string) bool {
	ms, _ := parseID(id)
	return ms >= 0
}

// hub hands events to this process's followers, by stream.
type hub struct {
	buffer int
	mu     sync.Mutex
	subs   map[string]map[*follower]struct{}
	closed bool
}

type follower struct {
	ch   chan Event
	once sync.Once
	// Until start is known (ready), events wait in pending; then only
	// events newer than start are delivered.
	ready   bool
	start   string
	pending []Event
}

func (f *follower) close() { f.once.Do(func() { close(f.ch) }) }

func newHub(buffer int) *hub { return &hub{buffer: buffer, subs: map[string]map[*follower]struct{}{}} }

// add registers a follower until ctx ends. It receives nothing until
// begin says from where.
func (h *hub) add(ctx context.Context, stream string) (*follower, bool) {
	f := &follower{ch: make(chan Event, h.buffer)}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, false
	}
	if h.subs[stream] == nil {
		h.subs[stream] = map[*follower]struct{}{}
	}
	h.subs[stream][f] = struct{}{}
	h.mu.Unlock()
	// No goroutine waits for the end: at 10,000 open streams a parked
	// watcher each would cost more memory than the streams themselves.
	context.AfterFunc(ctx, func() { h.remove(stream, f) })
	return f, true
}

func (h *hub) remove(stream string, f *follower) {
	h.mu.Lock()
	if set := h.subs[stream]; set != nil {
		delete(set, f)
		if len(set) == 0 {
			delete(h.subs, stream)
		}
	}
	h.mu.Unlock()
	f.close()
}

// begin starts delivery to f of the events newer than start, including
// those that arrived while its replay was read.
func (h *hub) begin(stream string, f *follower, start string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f.ready, f.start = true, start
	pending := f.pending
	f.pending = nil
	for _, e := range pending {
		if !h.send(stream, f, e) {
			return
		}
	}
}

// dispatch hands e to the stream's followers.
func (h *hub) dispatch(stream string, e Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for f := range h.subs[stream] {
		if !f.ready {
			if len(f.pending) >= h.buffer { // cannot keep up even before it starts
				delete(h.subs[stream], f)
				f.close()
				continue
			}
			f.pending = append(f.pending, e)
			continue
		}
		h.send(stream, f, e)
	}
}

// send delivers e unless the follower already has it; a follower that
// cannot keep up is dropped so it reconnects and replays. Under h.mu.
func (h *hub) send(stream string, f *follower, e Event) bool {
	if !Newer(e.ID, f.start) {
		return true
	}
	f.start = e.ID
	select {
	case f.ch <- e:
		return true
	default:
		delete(h.subs[stream], f)
		f.close()
		return false
	}
}

// followers counts this process's followers (for tests and metrics).
func (h *hub) followers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, set := range h.subs {
		n += len(set)
	}
	return n
}

func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for stream, set := range h.subs {
		for f := range set {
			f.close()
		}
		delete(h.subs, stream)
	}
}

// after filters kept events to those newer than lastID; an unknown or
// empty lastID replays nothing (a fresh client wants live events only).
func after(kept []Event, lastID string) []Event {
	if lastID == "" {
		return nil
	}
	out := []Event{}
	for _, e := range kept {
		if Newer(e.ID, lastID) {
			out = append(out, e)
		}
	}
	return out
}
