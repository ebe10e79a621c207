package inbox

import (
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-chat/switchboard/adapters/httpapi"
	"github.com/switchboard-chat/switchboard/core"
)

// TestSearchLimits: one agent may run PerAgent searches at once (429 with
// Retry-After past it), the gateway Concurrent (a search past it waits up
// to Wait for a turn, then 503), and listing without q or customer needs
// neither.
func TestSearchLimits(t *testing.T) {
	h := (&Handler{}).LimitSearches(SearchLimits{PerAgent: 2, Concurrent: 3, Wait: 50 * time.Millisecond})
	e := echo.New()
	ctx := func() (echo.Context, *httptest.ResponseRecorder) {
		rec := httptest.NewRecorder()
		return e.NewContext(httptest.NewRequest("GET", "/v1/conversations?q=refund", nil), rec), rec
	}
	alice, bob := core.Agent{ID: "alice"}, core.Agent{ID: "bob"}
	search := core.ConversationQuery{Text: "refund"}
	begin := func(a core.Agent, q core.ConversationQuery) (func(), error, *httptest.ResponseRecorder) {
		c, rec := ctx()
		release, err := h.search.begin(c, a, q)
		return release, err, rec
	}

	r1, err1, _ := begin(alice, search)
	r2, err2, _ := begin(alice, search)
	_, err3, rec3 := begin(alice, search)
	if err1 != nil || err2 != nil || !errors.Is(err3, httpapi.ErrRateLimited) || rec3.Header().Get("Retry-After") == "" {
		t.Fatalf("alice's 3 searches at once: %v, %v, %v (Retry-After %q); want the third 429", err1, err2, err3, rec3.Header().Get("Retry-After"))
	}
	b1, err, _ := begin(bob, core.ConversationQuery{Customer: "scully"})
	if err != nil {
		t.Fatalf("bob's first search: %v", err)
	}
	if _, err, _ := begin(bob, search); !errors.Is(err, core.ErrUnavailable) {
		t.Fatalf("a 4th search on a gateway of 3 turns: %v; want unavailable after the wait", err)
	}
	if rel, err, _ := begin(bob, core.ConversationQuery{AgentID: "bob"}); err != nil {
		t.Fatalf("a plain listing while searches are busy: %v", err)
	} else {
		rel()
	}
	r1()
	b2, err, _ := begin(bob, search)
	if err != nil {
		t.Fatalf("after alice's search ended, bob's: %v", err)
	}
	for _, r := range []func(){r2, b1, b2} {
		r()
	}
	if rel, err, _ := begin(alice, search); err != nil {
		t.Fatalf("after every search ended: %v", err)
	} else {
		rel()
	}
}
