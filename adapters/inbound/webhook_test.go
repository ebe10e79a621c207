package inbound_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/adapters/inbound"
	"github.com/switchboard-chat/switchboard/core"
)

// countingBody records how many bytes of a body were read.
type countingBody struct {
	r    io.Reader
	read *atomic.Int64
}

func (b countingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.read.Add(int64(n))
	return n, err
}

func (countingBody) Close() error { return nil }

// testChannel authenticates with header "X-Sig: ok…" and verifies that
// the body ends in the header's value after "ok".
func testChannel() inbound.Channel {
	return inbound.Channel{
		ID: "ch",
		Authenticate: func(h http.Header) error {
			if !strings.HasPrefix(h.Get("X-Sig"), "ok") {
				return core.ErrUnauthorized
			}
			return nil
		},
		Verify: func(h http.Header, body []byte) error {
			if !bytes.HasSuffix(body, []byte(strings.TrimPrefix(h.Get("X-Sig"), "ok"))) {
				return core.ErrUnauthorized
			}
			return nil
		},
		Parse: func(body []byte) ([]core.InboundEvent, error) {
			if !bytes.HasPrefix(body, []byte("{")) {
				return nil, errors.New("not JSON")
			}
			return []core.InboundEvent{msg("m1", "hello")}, nil
		},
	}
}

func request(body string, sig string, chunked bool, read *atomic.Int64) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/webhooks/ch", nil)
	r.Body = countingBody{r: strings.NewReader(body), read: read}
	r.ContentLength = int64(len(body))
	if chunked {
		r.ContentLength = -1
	}
	if sig != "" {
		r.Header.Set("X-Sig", sig)
	}
	return r
}

// TestReceive: what each request comes to, and how much of its body was
// read before the answer.
func TestReceive(t *testing.T) {
	big := "{" + strings.Repeat("x", 2000) + "}sig"
	cases := []struct {
		name     string
		body     string
		sig      string
		chunked  bool
		want     error
		wantRead int64 // -1: all of it
		stored   bool
	}{
		{name: "no credentials: refused unread", body: big, want: core.ErrUnauthorized, wantRead: 0},
		{name: "malformed credentials: refused unread", body: big, sig: "bad", want: core.ErrUnauthorized, wantRead: 0},
		{name: "forged: read, then refused", body: big, sig: "okother", want: core.ErrUnauthorized, wantRead: -1},
		{name: "declared over the limit: refused unread", body: big + strings.Repeat("y", 1000), sig: "oky",
			want: inbound.ErrTooLarge, wantRead: 0},
		{name: "chunked over the limit: refused after the limit", body: big + strings.Repeat("y", 1000), sig: "oky",
			chunked: true, want: inbound.ErrTooLarge, wantRead: 2500 + 1},
		{name: "not JSON", body: "[]sig", sig: "oksig", want: core.ErrInvalid, wantRead: -1},
		{name: "signed", body: big, sig: "oksig", wantRead: -1, stored: true},
		{name: "signed, chunked", body: big, sig: "oksig", chunked: true, wantRead: -1, stored: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			svc, st := service(t)
			gate := inbound.NewGate(10_000, 2500, time.Second)
			w := inbound.NewWebhook(testChannel(), inbound.NewApplier(svc, "ch", inbound.Options{}), gate)
			var read atomic.Int64
			err := w.Receive(request(c.body, c.sig, c.chunked, &read))
			if !errors.Is(err, c.want) || (err == nil) != (c.want == nil) {
				t.Fatalf("Receive = %v, want %v", err, c.want)
			}
			want := c.wantRead
			if want < 0 {
				want = int64(len(c.body))
			}
			if got := read.Load(); got != want {
				t.Errorf("read %d bytes, want %d", got, want)
			}
			if got := len(texts(t, st)) == 1; got != c.stored {
				t.Errorf("stored %v, want %v", got, c.stored)
			}
			if gate.Peak() > gate.Budget() {
				t.Errorf("peak %d over the budget %d", gate.Peak(), gate.Budget())
			}
		})
	}
}

// blockingBody delivers nothing until released, as a slow sender does.
type blockingBody struct{ release chan struct{} }

func (b blockingBody) Read(p []byte) (int, error) {
	<-b.release
	return 0, io.EOF
}

func (blockingBody) Close() error { return nil }

// TestReceiveWaitsForBudget: while the budget is taken, an unverified
// body waits; if none comes back in time it is refused as unavailable
// (503, so the provider retries) without a byte read, and the budget of
// a refused body is returned.
func TestReceiveWaitsForBudget(t *testing.T) {
	svc, _ := service(t)
	gate := inbound.NewGate(3000, 3000, 100*time.Millisecond)
	w := inbound.NewWebhook(testChannel(), inbound.NewApplier(svc, "ch", inbound.Options{}), gate)

	slow := httptest.NewRequest(http.MethodPost, "/webhooks/ch", nil)
	slow.Body, slow.ContentLength = blockingBody{release: make(chan struct{})}, 2500
	slow.Header.Set("X-Sig", "oksig")
	done := make(chan error)
	go func() { done <- w.Receive(slow) }()
	for gate.Peak() < 2500 {
		time.Sleep(time.Millisecond)
	}

	var read atomic.Int64
	body := "{" + strings.Repeat("x", 1000) + "}sig"
	if err := w.Receive(request(body, "oksig", false, &read)); !errors.Is(err, core.ErrUnavailable) || read.Load() != 0 {
		t.Fatalf("while the budget is taken: %v, %d bytes read; want ErrUnavailable, nothing read", err, read.Load())
	}
	close(slow.Body.(blockingBody).release)
	if err := <-done; err == nil {
		t.Fatal("the slow body that ended early was accepted")
	}
	if err := w.Receive(request(body, "oksig", false, &read)); err != nil {
		t.Fatalf("after the slow body: %v", err)
	}
	if gate.Peak() > gate.Budget() {
		t.Errorf("peak %d over the budget %d", gate.Peak(), gate.Budget())
	}
}

// TestReceiveProvenSenderSkipsTheGate: a channel whose headers prove the
// sender (no Verify) is read at once, whatever the budget.
func TestReceiveProvenSenderSkipsTheGate(t *testing.T) {
	svc, st := service(t)
	ch := testChannel()
	ch.Verify = nil
	gate := inbound.NewGate(10, 10, time.Millisecond)
	w := inbound.NewWebhook(ch, inbound.NewApplier(svc, "ch", inbound.Options{}), gate)
	var read atomic.Int64
	body := "{" + strings.Repeat("x", 5) + "}"
	if err := w.Receive(request(body, "ok", false, &read)); err != nil {
		t.Fatal(err)
	}
	if gate.Peak() != 0 || len(texts(t, st)) != 1 {
		t.Fatalf("peak %d, stored %q; want the gate untouched and the message stored", gate.Peak(), texts(t, st))
	}
}

func TestHandshake(t *testing.T) {
	svc, _ := service(t)
	ch := testChannel()
	w := inbound.NewWebhook(ch, inbound.NewApplier(svc, "ch", inbound.Options{}), nil)
	if _, err := w.Handshake(httptest.NewRequest("GET", "/webhooks/ch?hub.challenge=1", nil)); !errors.Is(err, inbound.ErrNoHandshake) {
		t.Fatalf("without a handshake: %v, want ErrNoHandshake", err)
	}
	ch.Handshake = func(q url.Values) (string, error) { return q.Get("hub.challenge"), nil }
	w = inbound.NewWebhook(ch, inbound.NewApplier(svc, "ch", inbound.Options{}), nil)
	if got, err := w.Handshake(httptest.NewRequest("GET", "/webhooks/ch?hub.challenge=42", nil)); err != nil || got != "42" {
		t.Fatalf("handshake = %q, %v", got, err)
	}
}
