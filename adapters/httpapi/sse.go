package httpapi

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-chat/switchboard/adapters/eventbus"
	"github.com/switchboard-chat/switchboard/core"
)

// Heartbeat is how often an idle event stream gets a comment line (the
// contract asks for at least one every 20 s).
const Heartbeat = 15 * time.Second

// retryMillis is the reconnection delay the stream suggests to clients.
const retryMillis = 2000

// streamWriteTimeout bounds one write to a stream's client: a client that
// stops reading is dropped instead of holding the stream.
const streamWriteTimeout = 10 * time.Second

// streamBuffer is the write buffer of a taken-over stream connection;
// larger events go out in one write.
const streamBuffer = 1024

// EventStreams serves Server-Sent Events from a bus. Streams end when the
// client goes, or when the server shuts down (Close), with a retry hint so
// clients reconnect to another gateway with their Last-Event-ID.
//
// On HTTP/1.x the stream takes the connection over from net/http once its
// headers are decided (Hijack) and is pumped by one goroutine of its own;
// the handler returns. An idle stream then holds that goroutine, its
// subscription and a 1 KiB buffer, instead of net/http's connection
// goroutine, its background reader and their buffers: about a third of
// the memory. A client that goes away is noticed at the next write (a
// heartbeat at the latest). Where the connection cannot be taken over
// (HTTP/2), the handler streams as before.
type EventStreams struct {
	Bus       eventbus.Bus
	Heartbeat time.Duration
	// Tokens, when set, ends the streams of ServeToken whose token no
	// longer authenticates (see ServeToken). Set it before serving.
	Tokens TokenChecker
	// Log reports failed token checks (nil: slog.Default()).
	Log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	open   atomic.Int64

	mu     sync.Mutex // closed and the start of a pump
	closed bool
	pumps  sync.WaitGroup

	watchMu sync.Mutex
	watches map[string]map[*tokenWatch]struct{} // by token hash
	checker sync.Once
}

// NewEventStreams serves the streams of bus.
func NewEventStreams(bus eventbus.Bus) *EventStreams {
	ctx, cancel := context.WithCancel(context.Background())
	return &EventStreams{Bus: bus, Heartbeat: Heartbeat, ctx: ctx, cancel: cancel}
}

// closeWait bounds how long Close waits for the streams to say goodbye.
const closeWait = 5 * time.Second

// Close ends every open stream (graceful shutdown): each gets its retry
// hint and is closed; Close returns when they are, or after closeWait.
func (s *EventStreams) Close() {
	s.mu.Lock()
	s.closed = true // no pump starts from now on
	s.mu.Unlock()
	s.cancel()
	done := make(chan struct{})
	go func() { s.pumps.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(closeWait):
	}
}

// Open is how many streams this process is serving now.
func (s *EventStreams) Open() int { return int(s.open.Load()) }

// LastEventID is the client's resume point: the Last-Event-ID header that
// EventSource sends on reconnect, or a last_event_id query parameter.
func LastEventID(c echo.Context) (string, error) {
	id := c.Request().Header.Get("Last-Event-ID")
	if id == "" {
		id = c.QueryParam("last_event_id")
	}
	if id != "" && !eventbus.ValidID(id) {
		return "", core.Invalid("Last-Event-ID", "is not an event id of this stream")
	}
	return id, nil
}

// Serve streams one bus stream to the client as text/event-stream: first
// the events after Last-Event-ID, then live ones, with heartbeats.
func (s *EventStreams) Serve(c echo.Context, stream string) error {
	return s.serve(c, stream, nil, nil)
}

// ServeToken is Serve for a stream that the bearer token opened (already
// checked by the caller): the stream ends when the token is revoked or
// expires. A core.EventTokensRevoked event on the stream (a logout, a new
// password, a deactivation) makes it check its token at once, and every
// Heartbeat the tokens of all of this process's streams are checked in
// batches of tokenCheckBatch, one read each, for what no event said (a
// revocation whose event was lost, an expiry). A stream whose token is
// gone gets ": token revoked" and is closed; its client's reconnect is
// refused (401). Without Tokens, ServeToken is Serve.
func (s *EventStreams) ServeToken(c echo.Context, stream, token string) error {
	return s.ServeTokenThen(c, stream, token, nil)
}

// ServeTokenThen is ServeToken, calling ended (when not nil) once the
// stream is over, which can be long after the handler returned: a caller
// counts the streams it allows with it.
func (s *EventStreams) ServeTokenThen(c echo.Context, stream, token string, ended func()) error {
	if s.Tokens == nil || token == "" {
		return s.serve(c, stream, nil, ended)
	}
	return s.serve(c, stream, &tokenWatch{hash: core.HashToken(token), gone: make(chan struct{})}, ended)
}

func (s *EventStreams) serve(c echo.Context, stream string, tw *tokenWatch, ended func()) error {
	handed := false // the pump goroutine calls ended
	defer func() {
		if ended != nil && !handed {
			ended()
		}
	}()
	last, err := LastEventID(c)
	if err != nil {
		return err
	}
	// The stream outlives the handler when it takes the connection over,
	// so it follows the server's context, not the request's.
	ctx, cancel := context.WithCancel(s.ctx)
	sub, err := s.Bus.Subscribe(ctx, stream, last)
	if err != nil {
		cancel()
		return fmt.Errorf("follow %s: %w: %w", stream, core.ErrUnavailable, err)
	}
	res := c.Response()
	h := res.Header()
	h.Set(echo.HeaderContentType, "text/event-stream")
	h.Set(echo.HeaderCacheControl, "no-cache")
	h.Set("X-Accel-Buffering", "no")
	conn, rw, err := http.NewResponseController(res).Hijack()
	if err != nil {
		// Not HTTP/1.x: stream from the handler, until the client goes.
		defer cancel()
		stop := context.AfterFunc(c.Request().Context(), cancel)
		defer stop()
		h.Set(echo.HeaderConnection, "keep-alive")
		res.WriteHeader(http.StatusOK)
		rc := http.NewResponseController(res.Writer)
		s.pump(sub, tw, res, rc.Flush)
		return nil
	}
	res.Status, res.Committed = http.StatusOK, true // for the request log and metrics
	h.Set(echo.HeaderConnection, "close")           // the body ends when the stream does
	if err := writeHead(conn, rw.Writer, h); err != nil {
		cancel()
		conn.Close()
		return nil
	}
	bw := bufio.NewWriterSize(conn, streamBuffer) // rw's buffers go with net/http's connection
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		cancel()
		conn.Close()
		return nil
	}
	s.pumps.Add(1)
	s.mu.Unlock()
	handed = true
	go func() {
		if ended != nil {
			defer ended()
		}
		defer s.pumps.Done()
		defer conn.Close()
		defer cancel()
		s.pump(sub, tw, &deadlineWriter{conn: conn, w: bw}, bw.Flush)
	}()
	return nil
}

// writeHead writes the status line and h to a taken-over connection.
func writeHead(conn net.Conn, w *bufio.Writer, h http.Header) error {
	conn.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
	w.WriteString("HTTP/1.1 200 OK\r\n")
	h.Write(w)
	w.WriteString("\r\n")
	return w.Flush()
}

// deadlineWriter gives every write to the connection its deadline.
type deadlineWriter struct {
	conn net.Conn
	w    *bufio.Writer
}

func (d *deadlineWriter) Write(p []byte) (int, error) {
	d.conn.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
	return d.w.Write(p)
}

// pump writes the stream until the subscription ends (shutdown, or the
// follower fell behind: the client reconnects and replays), a write
// fails (the client went away) or the stream's token is gone (tw, nil
// for Serve).
func (s *EventStreams) pump(sub *eventbus.Subscription, tw *tokenWatch, w io.Writer, flush func() error) {
	s.open.Add(1)
	defer s.open.Add(-1)
	var gone <-chan struct{} // nil: never
	if tw != nil {
		s.watch(tw)
		defer s.unwatch(tw)
		gone = tw.gone
	}
	revoked := func() {
		fmt.Fprint(w, ": token revoked\n\n")
		flush()
	}
	if _, err := fmt.Fprintf(w, "retry: %d\n: connected\n\n", retryMillis); err != nil {
		return
	}
	for _, e := range sub.Replay {
		if e.Type == core.EventTokensRevoked {
			if !s.live(tw) {
				revoked()
				return
			}
			continue
		}
		if writeEvent(w, e) != nil {
			return
		}
	}
	if flush() != nil {
		return
	}
	tick := time.NewTicker(s.Heartbeat)
	defer tick.Stop()
	for {
		var err error
		select {
		case e, ok := <-sub.C:
			if !ok {
				fmt.Fprintf(w, "retry: %d\n: closing, reconnect\n\n", retryMillis)
				flush()
				return
			}
			if e.Type == core.EventTokensRevoked { // for the streams, not their clients
				if !s.live(tw) {
					revoked()
					return
				}
				continue
			}
			err = errors.Join(writeEvent(w, e), flush())
		case <-gone:
			revoked()
			return
		case <-tick.C:
			_, err = fmt.Fprint(w, ": keep-alive\n\n")
			err = errors.Join(err, flush())
		}
		if err != nil {
			return
		}
	}
}

func writeEvent(w io.Writer, e eventbus.Event) error {
	_, err := fmt.Fprintf(w, "id: %s\nevent: %s\ndata: %s\n\n", e.ID, e.Type, e.Data)
	return err
}
