package meta_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/adapters/meta"
	"github.com/switchboard-chat/switchboard/adapters/meta/metatest"
	"github.com/switchboard-chat/switchboard/core"
)

// TestSignatureVector checks the escaped-unicode vector of SOURCES.md:
// the raw bytes verify, a re-encoded body (same JSON, unescaped text) does
// not.
func TestSignatureVector(t *testing.T) {
	dir := metatest.FixtureDir(t, "messenger")
	raw, err := os.ReadFile(filepath.Join(dir, "remixz__text_unicode_escaped.json"))
	if err != nil {
		t.Fatal(err)
	}
	const secret = "e6af24be1d683c8c911949f897eea1f6"
	const want = "sha256=7f202c12ba7dbbd1cb23d8a1b4af648fe22ea04456c0a926fcf8cb4e6da31ab4"
	if got := meta.Sign([]byte(secret), raw); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
	if err := meta.VerifySignature([]byte(secret), raw, want); err != nil {
		t.Fatalf("raw bytes: %v", err)
	}
	if !strings.Contains(string(raw), `\u00e4`) {
		t.Fatal("fixture is not the escaped-unicode vector")
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	reenc, err := json.Marshal(v) // Go writes ä as UTF-8, not \u00e4
	if err != nil {
		t.Fatal(err)
	}
	if err := meta.VerifySignature([]byte(secret), reenc, want); !errors.Is(err, core.ErrUnauthorized) {
		t.Fatalf("re-encoded body: %v, want ErrUnauthorized", err)
	}
}

func TestVerifySignature(t *testing.T) {
	secret, body := []byte("s3cret"), []byte(`{"object":"page"}`)
	good := meta.Sign(secret, body)
	cases := []struct {
		name   string
		secret []byte
		body   []byte
		header string
		ok     bool
	}{
		{"good", secret, body, good, true},
		{"good with spaces", secret, body, "  " + good + " ", true},
		{"missing", secret, body, "", false},
		{"sha1 only", secret, body, "sha1=" + strings.Repeat("a", 40), false},
		{"not hex", secret, body, "sha256=zz", false},
		{"short", secret, body, good[:len(good)-2], false},
		{"other secret", []byte("other"), body, good, false},
		{"body changed", secret, []byte(`{"object":"page" }`), good, false},
		{"no secret configured", nil, body, meta.Sign(nil, body), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := meta.VerifySignature(c.secret, c.body, c.header)
			if c.ok != (err == nil) {
				t.Fatalf("err = %v, want ok=%v", err, c.ok)
			}
			if err != nil && !errors.Is(err, core.ErrUnauthorized) {
				t.Fatalf("err = %v, want ErrUnauthorized", err)
			}
		})
	}
}

func TestID(t *testing.T) {
	cases := []struct{ in, want string }{
		{`"123"`, "123"},
		{`1751036168465324`, "1751036168465324"},
		{`982337261802700`, "982337261802700"},
		{`null`, ""},
		{`true`, ""},
		{`{"a":1}`, ""},
		{`"US.1349"`, "US.1349"},
	}
	for _, c := range cases {
		var v struct {
			ID meta.ID `json:"id"`
		}
		if err := json.Unmarshal([]byte(`{"id":`+c.in+`}`), &v); err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if string(v.ID) != c.want {
			t.Errorf("%s: got %q, want %q", c.in, v.ID, c.want)
		}
	}
}

func TestTime(t *testing.T) {
	cases := []struct {
		in   string
		want time.Time
	}{
		{`"1697043223"`, time.Unix(1697043223, 0)},
		{`1697043223`, time.Unix(1697043223, 0)},
		{`1460923697635`, time.UnixMilli(1460923697635)},
		{`"2021-09-08T06:34:04+0000"`, time.Date(2021, 9, 8, 6, 34, 4, 0, time.UTC)},
		{`"2021-09-08T06:34:04Z"`, time.Date(2021, 9, 8, 6, 34, 4, 0, time.UTC)},
		{`"yesterday"`, time.Time{}},
		{`null`, time.Time{}},
		{`-5`, time.Time{}},
		{`1e300`, time.Time{}},
		{`{}`, time.Time{}},
	}
	for _, c := range cases {
		var v struct {
			T meta.Time `json:"t"`
		}
		if err := json.Unmarshal([]byte(`{"t":`+c.in+`}`), &v); err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if !v.T.Equal(c.want) {
			t.Errorf("%s: got %v, want %v", c.in, v.T.Time, c.want)
		}
	}
}

func TestDecode(t *testing.T) {
	var v struct {
		A string `json:"a"`
		B int    `json:"b"`
	}
	if err := meta.Decode([]byte(`{"a":5,"b":7}`), &v); err != nil || v.B != 7 || v.A != "" {
		t.Fatalf("type mismatch: err %v, value %+v; want the rest decoded", err, v)
	}
	if err := meta.Decode([]byte(`{"a":`), &v); err == nil {
		t.Fatal("malformed JSON decoded without error")
	}
}

// TestClient checks the request the client builds and the error it decodes.
func TestClient(t *testing.T) {
	const token = "EAAG-secret-token"
	var gotAuth, gotPath, gotQuery, gotCT string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth, gotPath, gotQuery, gotCT = r.Header.Get("Authorization"), r.URL.Path, r.URL.RawQuery, r.Header.Get("Content-Type")
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/v21.0/bad" {
			w.WriteHeader(400)
			w.Write([]byte(`{"error":{"message":"Invalid OAuth access token.","type":"OAuthException","code":190,"error_subcode":463,"fbtrace_id":"AbC123"}}`))
			return
		}
		if r.URL.Path == "/v21.0/echo" { // a Graph answer that echoes the token in every text
			w.WriteHeader(400)
			w.Write([]byte(`{"error":{"message":"bad ` + token + `","type":"T` + token + `","code":100,"fbtrace_id":"` + token + `","error_data":{"details":"d ` + token + `"}}}`))
			return
		}
		w.Write([]byte(`{"ok":true}`))
	}))
	defer srv.Close()
	c := meta.NewClient(srv.URL+"/v21.0/", token, nil)
	var out struct{ OK bool }
	if err := c.Do(context.Background(), "POST", "/me/messages", map[string][]string{"x": {"1"}}, map[string]string{"a": "b"}, &out); err != nil || !out.OK {
		t.Fatalf("Do: %v %+v", err, out)
	}
	if gotAuth != "Bearer "+token || gotPath != "/v21.0/me/messages" || gotQuery != "x=1" || gotCT != "application/json" {
		t.Fatalf("request: auth %q path %q query %q type %q", gotAuth, gotPath, gotQuery, gotCT)
	}
	err := c.Do(context.Background(), "GET", "bad", nil, nil, nil)
	var ge *meta.GraphError
	if !errors.As(err, &ge) || ge.Status != 400 || ge.Code != 190 || ge.Subcode != 463 || ge.FBTraceID != "AbC123" || ge.Type != "OAuthException" {
		t.Fatalf("error: %#v", err)
	}
	if strings.Contains(err.Error(), token) || strings.Contains(gotQuery, token) {
		t.Fatal("token leaked into an error or the URL")
	}
	var de *core.DeliveryError
	if !errors.As(meta.Classify(err), &de) || !de.Permanent || de.Code != "190" {
		t.Fatalf("Classify(190) = %v, want permanent", meta.Classify(err))
	}

	err = c.Do(context.Background(), "GET", "echo", nil, nil, nil)
	if !errors.As(err, &ge) {
		t.Fatalf("echo: %#v", err)
	}
	if ge.Message != "bad [token]" || ge.Type != "T[token]" || ge.FBTraceID != "[token]" || ge.Details != "d [token]" {
		t.Errorf("token not scrubbed from every field: %#v", ge)
	}
	if msg := err.Error(); strings.Contains(msg, token) || !strings.Contains(msg, "[fbtrace_id [token]]") {
		t.Errorf("error text %q", msg)
	}
	if errors.As(meta.Classify(err), &de) && strings.Contains(de.Reason, token) {
		t.Errorf("delivery reason holds the token: %q", de.Reason)
	}
}

// TestClientTimeout: a Graph API that does not answer is a retryable
// timeout, not a permanent failure.
func TestClientTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c := meta.NewClient(srv.URL, "t", &http.Client{Timeout: 50 * time.Millisecond})
	err := c.Do(context.Background(), "GET", "x", nil, nil, nil)
	if err == nil || !meta.IsTimeout(err) {
		t.Fatalf("err = %v, want a timeout", err)
	}
	var de *core.DeliveryError
	if errors.As(meta.Classify(err), &de) {
		t.Fatalf("timeout classified permanent: %v", de)
	}
}

func TestClassify(t *testing.T) {
	cases := []struct {
		name      string
		err       error
		permanent bool
		code      string
	}{
		{"whatsapp re-engagement", &meta.GraphError{Status: 400, Code: 131047, Message: "Re-engagement message"}, true, "131047"},
		{"whatsapp undeliverable", &meta.GraphError{Status: 400, Code: 131026, Message: "Message undeliverable"}, true, "131026"},
		{"messenger outside window", &meta.GraphError{Status: 400, Code: 10, Subcode: 2018278, Message: "outside of allowed window"}, true, "10"},
		{"messenger user unavailable", &meta.GraphError{Status: 400, Code: 551, Message: "This person isn't available right now."}, true, "551"},
		{"bad token", &meta.GraphError{Status: 401, Code: 190, Message: "Invalid OAuth access token"}, true, "190"},
		{"4xx without body", &meta.GraphError{Status: 404}, true, "http_404"},
		{"server error", &meta.GraphError{Status: 500, Code: 2, Message: "Service temporarily unavailable"}, false, ""},
		{"bad gateway no body", &meta.GraphError{Status: 502}, false, ""},
		{"http 429", &meta.GraphError{Status: 429}, false, ""},
		{"rate limit code on 400", &meta.GraphError{Status: 400, Code: 80007}, false, ""},
		{"whatsapp throughput", &meta.GraphError{Status: 400, Code: 130429}, false, ""},
		{"messenger temporary send failure", &meta.GraphError{Status: 400, Code: 1200}, false, ""},
		{"transient hint", &meta.GraphError{Status: 400, Code: 99999, Transient: true}, false, ""},
		{"transport", errors.New("connection refused"), false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := meta.Classify(c.err)
			var de *core.DeliveryError
			isPerm := errors.As(got, &de) && de.Permanent
			if isPerm != c.permanent {
				t.Fatalf("Classify = %v, permanent %v, want %v", got, isPerm, c.permanent)
			}
			if c.permanent && (de.Code != c.code || de.Reason == "") {
				t.Fatalf("code %q reason %q, want code %q and a reason", de.Code, de.Reason, c.code)
			}
			if !c.permanent && !errors.Is(got, c.err) {
				t.Fatalf("retryable error lost its cause: %v", got)
			}
		})
	}
	if meta.Classify(nil) != nil {
		t.Fatal("Classify(nil) != nil")
	}
}
