package meta_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/adapters/meta"
	"github.com/switchboard-chat/switchboard/core"
)

// FuzzVerifySignature: a signature header is accepted only when it is the
// HMAC of exactly these bytes under this (non-empty) secret; every refusal
// is core.ErrUnauthorized; our own signature always verifies, and not
// once a byte of the body changes. Seeds: testdata/fuzz/FuzzVerifySignature.
func FuzzVerifySignature(f *testing.F) {
	body := []byte(`{"object":"page","entry":[]}`)
	f.Add([]byte("secret"), body, meta.Sign([]byte("secret"), body))
	f.Add([]byte("secret"), body, strings.ToUpper(meta.Sign([]byte("secret"), body)))
	f.Add([]byte("secret"), body, "sha1=0123")
	f.Add([]byte(""), body, meta.Sign(nil, body))
	f.Add([]byte("s"), []byte{}, "  sha256=zz  ")
	f.Add([]byte("s"), []byte("x"), "sha256="+strings.Repeat("0", 64))
	f.Fuzz(func(t *testing.T, secret, body []byte, header string) {
		err := meta.VerifySignature(secret, body, header)
		if err != nil {
			if !errors.Is(err, core.ErrUnauthorized) {
				t.Fatalf("refusal %v is not unauthorized", err)
			}
		} else {
			if len(secret) == 0 {
				t.Fatal("accepted with no secret")
			}
			hexSig, ok := strings.CutPrefix(strings.TrimSpace(header), "sha256=")
			if !ok || "sha256="+strings.ToLower(hexSig) != meta.Sign(secret, body) {
				t.Fatalf("accepted %q, the signature is %q", header, meta.Sign(secret, body))
			}
		}
		if len(secret) == 0 {
			return
		}
		sig := meta.Sign(secret, body)
		if err := meta.VerifySignature(secret, body, sig); err != nil {
			t.Fatalf("own signature refused: %v", err)
		}
		if len(body) > 0 {
			altered := bytes.Clone(body)
			altered[len(altered)/2] ^= 1
			if meta.VerifySignature(secret, altered, sig) == nil {
				t.Fatal("a body with one byte changed verified")
			}
		}
	})
}

// FuzzGraphError: any answer of the Graph API, whatever its status and
// body, becomes an error that never contains the access token (in its
// text or in any field: message, details, type, fbtrace_id) and that
// Classify turns into a retry or a permanent core.DeliveryError.
// Seeds: testdata/fuzz/FuzzGraphError.
func FuzzGraphError(f *testing.F) {
	const token = "EAAfuzzAccessToken123"
	for _, s := range []struct {
		status int
		body   string
	}{
		{400, `{"error":{"message":"(#100) Invalid parameter","type":"OAuthException","code":100,"error_subcode":2018001,"fbtrace_id":"A1"}}`},
		{401, `{"error":{"message":"Invalid OAuth access token - Cannot parse access token ` + token + `","code":190,"error_data":{"details":"` + token + `"}}}`},
		{400, `{"error":{"message":"bad","type":"` + token + `","code":100,"fbtrace_id":"` + token + `"}}`},
		{500, `{"error":{"message":"x","fbtrace_id":"A` + token + `Z"}}`},
		{429, `{"error":{"message":"rate","code":130429,"is_transient":true}}`},
		{500, `<html>oops</html>`},
		{200, `{"messages":[{"id":"wamid.1"}]}`},
		{200, `not json`},
		{302, ``},
	} {
		f.Add(s.status, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 200 || status > 599 {
			status = 200 + (status%400+400)%400
		}
		answer := roundTrip(func(r *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}},
				Body: io.NopCloser(bytes.NewReader(body)), Request: r}, nil
		})
		c := meta.NewClient("http://graph.test/v21.0", token, &http.Client{Transport: answer})
		var out map[string]any
		err := c.Do(context.Background(), http.MethodPost, "123/messages", nil, map[string]string{"a": "b"}, &out)
		if err == nil {
			if status/100 != 2 {
				t.Fatalf("HTTP %d answered no error", status)
			}
			return
		}
		if strings.Contains(err.Error(), token) {
			t.Fatalf("error holds the token: %v", err)
		}
		var ge *meta.GraphError
		if status/100 != 2 && !errors.As(err, &ge) {
			t.Fatalf("HTTP %d: error %T %v is not a *GraphError", status, err, err)
		}
		if ge != nil {
			for name, v := range map[string]string{"message": ge.Message, "details": ge.Details, "type": ge.Type, "fbtrace_id": ge.FBTraceID} {
				if strings.Contains(v, token) {
					t.Fatalf("%s holds the token: %q", name, v)
				}
			}
		}
		cl := meta.Classify(err)
		var de *core.DeliveryError
		if errors.As(cl, &de) {
			if !de.Permanent || de.Code == "" || strings.Contains(de.Reason, token) {
				t.Fatalf("delivery error %+v", de)
			}
		} else if cl != err {
			t.Fatalf("classified %v as %v", err, cl)
		}
	})
}

// roundTrip answers requests in process (no listener per fuzz input).
type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
