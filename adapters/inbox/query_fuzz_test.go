package inbox

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-chat/switchboard/core"
)

// FuzzConversationQuery: any query string of GET /v1/conversations reads
// into a query or is refused as invalid; what reads keeps the text filters
// as given, has a positive limit when one was given, bounds in UTC, and a
// date as "to" covering that whole day. Seeds:
// testdata/fuzz/FuzzConversationQuery.
func FuzzConversationQuery(f *testing.F) {
	for _, s := range []string{"status=resolved,active&from=2026-11-01&to=2026-11-24&limit=50",
		"q=refund+-spam&customer=Ada&channel=web&agent_id=x&cursor=abc",
		"from=2026-11-24T10:00:00%2B02:00&to=2026-11-24T23:59:59Z", "from=yesterday", "limit=0", "limit=-1", "limit=99999999999999999999",
		"status=maybe", "to=2026-02-30", "from=0000-01-01&to=9999-12-31", "q=%3Cscript%3E", "status=&status=bot"} {
		f.Add(s)
	}
	e := echo.New()
	f.Fuzz(func(t *testing.T, raw string) {
		req := httptest.NewRequest(http.MethodGet, "/v1/conversations", nil)
		req.URL.RawQuery = raw
		c := e.NewContext(req, httptest.NewRecorder())
		params := c.QueryParams()
		q, err := conversationQuery(c)
		if err != nil {
			var fe *core.FieldError
			if !errors.Is(err, core.ErrInvalid) || !errors.As(err, &fe) {
				t.Fatalf("error %v does not name a field as invalid", err)
			}
			return
		}
		for name, got := range map[string]string{"q": q.Text, "customer": q.Customer, "channel": q.Channel,
			"agent_id": q.AgentID, "cursor": q.Cursor} {
			if want := params.Get(name); got != want {
				t.Fatalf("%s read as %q, want %q", name, got, want)
			}
		}
		if params.Get("limit") != "" && q.Limit < 1 {
			t.Fatalf("limit %q read as %d", params.Get("limit"), q.Limit)
		}
		for name, b := range map[string]time.Time{"from": q.From, "to": q.To} {
			if !b.IsZero() && b.Location() != time.UTC {
				t.Fatalf("%s %v is not in UTC", name, b)
			}
		}
		if d, err := time.Parse(time.DateOnly, params.Get("to")); err == nil && !q.To.Equal(d.Add(24*time.Hour)) {
			t.Fatalf("to=%s read as %v, want the end of that day", params.Get("to"), q.To)
		}
	})
}

// FuzzParseBound: a report bound is a date, an RFC 3339 time or refused;
// an accepted time formats back to the same instant.
func FuzzParseBound(f *testing.F) {
	for _, s := range []string{"2026-11-24", "2026-11-24T10:00:00Z", "2026-11-24T10:00:00.123456789+05:30", "", "24.11.2026",
		"2026-11-24T25:00:00Z", "+2026-11-24", "2026-11-24 10:00:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		b, day, err := parseBound("from", v)
		if err != nil {
			if !errors.Is(err, core.ErrInvalid) {
				t.Fatalf("error %v is not invalid", err)
			}
			return
		}
		if v == "" {
			if !b.IsZero() || day {
				t.Fatalf("empty bound read as %v day=%v", b, day)
			}
			return
		}
		again, err := time.Parse(time.RFC3339Nano, b.Format(time.RFC3339Nano))
		if err != nil || !again.Equal(b) {
			t.Fatalf("%q read as %v, which does not format back (%v, %v)", v, b, again, err)
		}
		if _, _, err := window(v, v); err != nil {
			t.Fatalf("window(%q, %q): %v", v, v, err)
		}
	})
}
