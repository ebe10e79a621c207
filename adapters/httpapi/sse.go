package httpapi

import (
	"context"
	"fmt"
	"net/http"
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

// EventStreams serves Server-Sent Events from a bus. Streams end when the
// client goes, or when the server shuts down (Close), with a retry hint so
// clients reconnect to another gateway with their Last-Event-ID.
type EventStreams struct {
	Bus       eventbus.Bus
	Heartbeat time.Duration
	ctx       context.Context
	cancel    context.CancelFunc
}

// NewEventStreams serves the streams of bus.
func NewEventStreams(bus eventbus.Bus) *EventStreams {
	ctx, cancel := context.WithCancel(context.Background())
	return &EventStreams{Bus: bus, Heartbeat: Heartbeat, ctx: ctx, cancel: cancel}
}

// Close ends every open stream (graceful shutdown).
func (s *EventStreams) Close() { s.cancel() }

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
	last, err := LastEventID(c)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(c.Request().Context())
	defer cancel()
	stop := context.AfterFunc(s.ctx, cancel)
	defer stop()
	sub, err := s.Bus.Subscribe(ctx, stream, last)
	if err != nil {
		return fmt.Errorf("follow %s: %w: %w", stream, core.ErrUnavailable, err)
	}
	w := c.Response()
	h := w.Header()
	h.Set(echo.HeaderContentType, "text/event-stream")
	h.Set(echo.HeaderCacheControl, "no-cache")
	h.Set(echo.HeaderConnection, "keep-alive")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprintf(w, "retry: %d\n: connected\n\n", retryMillis); err != nil {
		return nil
	}
	for _, e := range sub.Replay {
		if writeEvent(w, e) != nil {
			return nil
		}
	}
	w.Flush()
	tick := time.NewTicker(s.Heartbeat)
	defer tick.Stop()
	for {
		select {
		case e, ok := <-sub.C:
			if !ok {
				// Shutdown, or we fell behind: the client reconnects and replays.
				fmt.Fprintf(w, "retry: %d\n: closing, reconnect\n\n", retryMillis)
				w.Flush()
				return nil
			}
			if writeEvent(w, e) != nil {
				return nil
			}
			w.Flush()
		case <-tick.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return nil
			}
			w.Flush()
		}
	}
}

func writeEvent(w http.ResponseWriter, e eventbus.Event) error {
	_, err := fmt.Fprintf(w, "id: %s\nevent: %s\ndata: %s\n\n", e.ID, e.Type, e.Data)
	return err
}
