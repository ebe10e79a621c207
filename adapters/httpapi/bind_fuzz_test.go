package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-chat/switchboard/adapters/eventbus"
	"github.com/switchboard-chat/switchboard/core"
)

// bindTarget has a field of each kind handlers bind.
type bindTarget struct {
	Text   string         `json:"text"`
	Count  *int           `json:"count"`
	Online *bool          `json:"online"`
	Roles  []string       `json:"roles"`
	Meta   map[string]any `json:"meta"`
	Inner  *struct {
		ID string `json:"id"`
	} `json:"inner"`
}

// FuzzBind: any body and content type binds or is refused with one of the
// contract's client errors (400, 413, 415) and a short message; what binds
// is exactly what encoding/json makes of the body, and only a JSON content
// type binds. Seeds: testdata/fuzz/FuzzBind.
func FuzzBind(f *testing.F) {
	for _, s := range []struct{ ct, body string }{
		{"application/json", `{"text":"hi","count":3,"online":true,"roles":["a"],"inner":{"id":"x"}}`},
		{"application/json; charset=utf-8", `{"text":5}`},
		{"application/problem+json", `{"text":"a"} {"text":"b"}`},
		{"text/plain", `{"text":"hi"}`},
		{"application/json", `{"text":"<script>alert(1)</script>"`},
		{"application/json", `[1,2]`},
		{"", `{}`},
		{"application/json", "  \n"},
		{"application/json", `{"count":1e400}`},
		{"application/json;", `{"roles":"x"}`},
	} {
		f.Add(s.ct, []byte(s.body), false)
	}
	e := echo.New()
	f.Fuzz(func(t *testing.T, ct string, body []byte, optional bool) {
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		if ct != "" {
			req.Header.Set(echo.HeaderContentType, ct)
		}
		rec := httptest.NewRecorder()
		req.Body = http.MaxBytesReader(rec, req.Body, 512)
		c := e.NewContext(req, rec)
		var got bindTarget
		err := Bind(c, &got, optional)
		if err != nil {
			if !errors.Is(err, core.ErrInvalid) && !errors.Is(err, ErrMediaType) && !errors.Is(err, ErrPayloadTooLarge) {
				t.Fatalf("error %v is none of invalid, media type, too large", err)
			}
			status, eb := Classify(err)
			if status != 400 && status != 413 && status != 415 {
				t.Fatalf("error %v answers %d", err, status)
			}
			if len(eb.Error.Message) > 300 {
				t.Fatalf("error message of %d bytes: %q", len(eb.Error.Message), eb.Error.Message)
			}
			return
		}
		if len(bytes.TrimSpace(body)) == 0 {
			if !optional {
				t.Fatal("an empty body bound where one is required")
			}
			return
		}
		if len(body) > 512 {
			t.Fatalf("a body of %d bytes bound under a 512-byte limit", len(body))
		}
		var want bindTarget
		if err := json.NewDecoder(bytes.NewReader(body)).Decode(&want); err != nil {
			t.Fatalf("bound a body encoding/json refuses: %v", err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("bound %+v, encoding/json gives %+v", got, want)
		}
	})
}

// FuzzLastEventID: a resume point from the header or the query is
// accepted exactly when it is empty or an event id of the bus
// (eventbus.ValidID, itself held to the id grammar by FuzzEventID), and
// refused as invalid (400) otherwise.
// Seeds: testdata/fuzz/FuzzLastEventID.
func FuzzLastEventID(f *testing.F) {
	for _, s := range []string{"1700000000000-0", "0-0", "", "abc", "1-", "-1", "1-2-3", "99999999999999999999-0", " 1-1", "1-1\n",
		"1--1", "+1-1", "1-+1", "01-1"} {
		f.Add(s, true)
		f.Add(s, false)
	}
	e := echo.New()
	f.Fuzz(func(t *testing.T, id string, header bool) {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		if header {
			req.Header["Last-Event-Id"] = []string{id}
		} else {
			q := req.URL.Query()
			q.Set("last_event_id", id)
			req.URL.RawQuery = q.Encode()
		}
		want := id == "" || eventbus.ValidID(id)
		got, err := LastEventID(e.NewContext(req, httptest.NewRecorder()))
		switch {
		case err != nil:
			if !errors.Is(err, core.ErrInvalid) {
				t.Fatalf("error %v is not invalid", err)
			}
			if want {
				t.Fatalf("valid id %q refused: %v", id, err)
			}
		case !want:
			t.Fatalf("invalid id %q accepted as %q", id, got)
		case got != id:
			t.Fatalf("id %q read as %q", id, got)
		}
	})
}
