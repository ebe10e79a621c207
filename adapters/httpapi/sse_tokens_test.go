package httpapi

import (
	"context"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-chat/switchboard/adapters/eventbus"
	"github.com/switchboard-chat/switchboard/core"
	"github.com/switchboard-chat/switchboard/core/memstore"
)

// tokenRig is a real Service (on memstore) publishing to a real bus,
// whose agent streams are served as the inbox serves them.
type tokenRig struct {
	t       *testing.T
	bus     *eventbus.Memory
	store   *memstore.Store
	svc     *core.Service
	streams *EventStreams
	url     string
	agent   core.Agent
	now     atomic.Pointer[time.Time]
}

func newTokenRig(t *testing.T, heartbeat time.Duration) *tokenRig {
	t.Helper()
	r := &tokenRig{t: t, bus: eventbus.NewMemory(eventbus.Options{}), store: memstore.New()}
	start := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	r.now.Store(&start)
	r.svc = core.NewService(core.Deps{Store: r.store, Events: r.bus, BcryptCost: 4,
		Now: func() time.Time { return *r.now.Load() }}, core.DefaultSettings())
	var err error
	if r.agent, err = r.svc.AddAgent(context.Background(), core.NewAgent{Email: "alice@example.com", Name: "Alice",
		Password: "correct horse"}); err != nil {
		t.Fatal(err)
	}
	r.streams = NewEventStreams(r.bus)
	r.streams.Heartbeat, r.streams.Tokens = heartbeat, r.svc
	e := echo.New()
	e.GET("/v1/events", func(c echo.Context) error {
		tok := StreamToken(c)
		a, err := r.svc.AgentByToken(c.Request().Context(), tok)
		if err != nil {
			return err
		}
		return r.streams.ServeToken(c, core.AgentStream(a.ID), tok)
	})
	srv := httptest.NewServer(e)
	t.Cleanup(func() { r.streams.Close(); srv.Close() })
	r.url = srv.URL
	return r
}

func (r *tokenRig) login() string {
	r.t.Helper()
	tok, _, err := r.svc.Login(context.Background(), "alice@example.com", "correct horse")
	if err != nil {
		r.t.Fatal(err)
	}
	return tok
}

func (r *tokenRig) open(tok string) *sseClient {
	r.t.Helper()
	c := openStream(r.t, r.url+"/v1/events?access_token="+tok, "")
	c.until(": connected")
	return c
}

func (r *tokenRig) publish(text string) {
	r.t.Helper()
	if err := r.bus.Publish(context.Background(), core.AgentStream(r.agent.ID), core.EventMessageCreated,
		map[string]string{"text": text}); err != nil {
		r.t.Fatal(err)
	}
}

// ended waits for the stream to say its token was revoked and end, and
// returns every line it wrote meanwhile.
func (c *sseClient) ended() []string {
	c.t.Helper()
	var seen []string
	deadline := time.After(5 * time.Second)
	for {
		select {
		case l, ok := <-c.lines:
			if !ok {
				if len(seen) == 0 || seen[len(seen)-1] != "" || !slices.Contains(seen, ": token revoked") {
					c.t.Fatalf("stream ended without saying its token was revoked: %q", seen)
				}
				return seen
			}
			seen = append(seen, l)
		case <-deadline:
			c.t.Fatalf("stream still open; it wrote %q", seen)
		}
	}
}

// TestStreamEndsAtLogout performs the attack of item 7: an event stream
// opened before logout kept delivering customer messages. Now the
// logout's revocation event ends the stream of that token at once (the
// heartbeat is an hour, so no periodic check helps), it delivers nothing
// more, and the agent's other tab keeps streaming, without the internal
// event.
func TestStreamEndsAtLogout(t *testing.T) {
	r := newTokenRig(t, time.Hour)
	stolen, other := r.login(), r.login()
	c1, c2 := r.open(stolen), r.open(other)
	r.publish("before logout")
	c1.until(`data: {"text":"before logout"}`)
	c2.until(`data: {"text":"before logout"}`)

	if err := r.svc.Logout(context.Background(), stolen); err != nil {
		t.Fatal(err)
	}
	r.publish("after logout: my card ends in 4242")
	for _, l := range c1.ended() {
		if strings.Contains(l, "4242") {
			t.Fatalf("the logged-out stream delivered %q", l)
		}
	}
	line := c2.until("data: ")
	if line != `data: {"text":"after logout: my card ends in 4242"}` {
		t.Fatalf("other tab: %q (the revocation event must not reach clients)", line)
	}
	waitFor(t, "one stream left", func() bool { return r.streams.Open() == 1 && r.streams.Watched() == 1 })
}

// TestStreamEndsAtPasswordResetAndDeactivation: PATCH with a password
// ends every stream of the agent; so does active:false.
func TestStreamEndsAtPasswordResetAndDeactivation(t *testing.T) {
	r := newTokenRig(t, time.Hour)
	ctx := context.Background()
	admin, err := r.svc.AddAgent(ctx, core.NewAgent{Email: "root@example.com", Name: "Root", Password: "correct horse", Admin: true})
	if err != nil {
		t.Fatal(err)
	}
	c1, c2 := r.open(r.login()), r.open(r.login())
	pw := "another passphrase"
	if _, err := r.svc.UpdateAgent(ctx, admin, r.agent.ID, core.AgentPatch{Password: &pw}); err != nil {
		t.Fatal(err)
	}
	c1.ended()
	c2.ended()

	tok, _, err := r.svc.Login(ctx, "alice@example.com", pw)
	if err != nil {
		t.Fatal(err)
	}
	c3 := r.open(tok)
	no := false
	if _, err := r.svc.UpdateAgent(ctx, admin, r.agent.ID, core.AgentPatch{Active: &no}); err != nil {
		t.Fatal(err)
	}
	c3.ended()
	waitFor(t, "no stream left", func() bool { return r.streams.Open() == 0 })
}

// TestStreamEndsAtTheNextCheck: where no event came (the token deleted by
// another process whose publish failed, or expired), the check ends the
// stream; a check that cannot read the store ends nothing.
func TestStreamEndsAtTheNextCheck(t *testing.T) {
	r := newTokenRig(t, time.Hour) // the checks run when the test says
	deleted, expiring := r.login(), r.login()
	c1, c2 := r.open(deleted), r.open(expiring)
	if err := r.store.DeleteToken(context.Background(), core.HashToken(deleted)); err != nil {
		t.Fatal(err)
	}
	r.store.SetDown(true)
	r.streams.CheckTokens()
	r.store.SetDown(false)
	if n := r.streams.Open(); n != 2 {
		t.Fatalf("%d streams open after a failed check, want 2", n)
	}
	r.streams.CheckTokens()
	c1.ended()
	later := r.now.Load().Add(core.DefaultSettings().AgentTokenTTL)
	r.now.Store(&later)
	r.streams.CheckTokens()
	c2.ended()
}

// TestStreamChecksEveryHeartbeat: the check runs by itself each heartbeat.
func TestStreamChecksEveryHeartbeat(t *testing.T) {
	r := newTokenRig(t, 20*time.Millisecond)
	tok := r.login()
	c := r.open(tok)
	c.until(": keep-alive")
	if err := r.store.DeleteToken(context.Background(), core.HashToken(tok)); err != nil {
		t.Fatal(err)
	}
	c.ended()
}

// countingChecker counts the reads of the periodic check.
type countingChecker struct {
	TokenChecker
	mu    sync.Mutex
	calls []int
}

func (c *countingChecker) LiveTokens(ctx context.Context, hashes []string) (map[string]bool, error) {
	c.mu.Lock()
	c.calls = append(c.calls, len(hashes))
	c.mu.Unlock()
	return c.TokenChecker.LiveTokens(ctx, hashes)
}

// TestTokenCheckIsBatched: the periodic check of 1,234 streams (1,233
// tokens, one of them held by two streams) costs three reads, not 1,234,
// and ends the streams of the tokens that are gone only.
func TestTokenCheckIsBatched(t *testing.T) {
	r := newTokenRig(t, time.Hour)
	counter := &countingChecker{TokenChecker: r.svc}
	r.streams.Tokens = counter
	live := core.HashToken(r.login())
	var watches []*tokenWatch
	for i := range 1232 {
		watches = append(watches, &tokenWatch{hash: core.HashToken(fmt.Sprint("gone-", i)), gone: make(chan struct{})})
	}
	both := []*tokenWatch{{hash: live, gone: make(chan struct{})}, {hash: live, gone: make(chan struct{})}}
	for _, w := range append(watches, both...) {
		r.streams.watch(w)
	}
	if n := r.streams.Watched(); n != 1233 {
		t.Fatalf("Watched() = %d, want 1233", n)
	}
	r.streams.CheckTokens()
	if fmt.Sprint(counter.calls) != "[500 500 233]" {
		t.Fatalf("reads of %v tokens, want [500 500 233]", counter.calls)
	}
	for _, w := range watches {
		select {
		case <-w.gone:
		default:
			t.Fatal("the stream of a token that is gone was not ended")
		}
	}
	for _, w := range both {
		select {
		case <-w.gone:
			t.Fatal("the stream of a live token was ended")
		default:
		}
	}
}
