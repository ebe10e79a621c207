package messenger_test

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/adapters/httpapi"
	"github.com/switchboard-chat/switchboard/adapters/messenger"
	"github.com/switchboard-chat/switchboard/adapters/meta"
	"github.com/switchboard-chat/switchboard/adapters/meta/metatest"
	"github.com/switchboard-chat/switchboard/core"
)

const (
	secret    = "fb-app-secret"
	pageToken = "EAA-page-token"
)

// profileAPI is a fake User Profile API; fail makes it answer 500.
type profileAPI struct {
	calls atomic.Int32
	fail  atomic.Bool
	path  atomic.Value
	auth  atomic.Value
}

func (p *profileAPI) serve(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.calls.Add(1)
		p.path.Store(r.URL.Path + "?" + r.URL.RawQuery)
		p.auth.Store(r.Header.Get("Authorization"))
		if p.fail.Load() {
			http.Error(w, `{"error":{"message":"boom","code":2}}`, 500)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"first_name":"Peter","last_name":"Chang","id":"PSID1"}`))
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/v21.0"
}

func harness(t *testing.T, graphURL string) *metatest.Harness {
	t.Helper()
	return metatest.NewHarness(t, core.Channel{ID: "fb", Type: "messenger"}, func(svc *core.Service) httpapi.Webhook {
		return messenger.NewWebhook(svc, messenger.Config{ChannelID: "fb", AppSecret: secret, VerifyToken: "v",
			GraphURL: graphURL, PageToken: pageToken})
	})
}

func post(t *testing.T, h *metatest.Harness, b string) {
	t.Helper()
	if status, raw := h.Post("fb", []byte(b), meta.Sign([]byte(secret), []byte(b))); status != 200 {
		t.Fatalf("webhook: %d %s", status, raw)
	}
}

func TestWebhookProfileAndDedupe(t *testing.T) {
	api := &profileAPI{}
	h := harness(t, api.serve(t))
	b := body(`{` + from + `,"message":{"mid":"m1","text":"Hi"}}`)
	post(t, h, b)
	post(t, h, b) // redelivery
	if c, ok := h.Customer("PSID1"); !ok || c.Name != "Peter Chang" {
		t.Fatalf("customer %+v", c)
	}
	if p, _ := api.path.Load().(string); p != "/v21.0/PSID1?fields=first_name%2Clast_name" || api.auth.Load() != "Bearer "+pageToken {
		t.Fatalf("profile request %q auth %v", p, api.auth.Load())
	}
	if n := api.calls.Load(); n != 1 {
		t.Fatalf("profile looked up %d times, want once (the name is stored)", n)
	}
	post(t, h, body(`{`+from+`,"message":{"mid":"m2","text":"again"}}`))
	if n := api.calls.Load(); n != 1 {
		t.Fatalf("profile looked up again for a named customer (%d calls)", n)
	}
	if ms := h.Messages("PSID1"); len(ms) != 2 {
		t.Fatalf("%d messages, want 2", len(ms))
	}
}

func TestWebhookProfileFailure(t *testing.T) {
	api := &profileAPI{}
	api.fail.Store(true)
	h := harness(t, api.serve(t))
	post(t, h, body(`{`+from+`,"message":{"mid":"m1","text":"Hi"}}`))
	c, ok := h.Customer("PSID1")
	if !ok || c.Name != "" || c.DisplayName() != core.AnonymousName {
		t.Fatalf("customer %+v, want stored and anonymous", c)
	}
}

func TestWebhookDeliveryAndRead(t *testing.T) {
	api := &profileAPI{}
	h := harness(t, api.serve(t))
	post(t, h, body(`{`+from+`,"message":{"mid":"in1","text":"Hi"}}`))
	// The sends as the database has them, whichever process made them.
	t0 := time.UnixMilli(1700000000000)
	a, b, c := h.OutboundAt("PSID1", "mid.a", t0), h.OutboundAt("PSID1", "mid.b", t0.Add(time.Second)),
		h.OutboundAt("PSID1", "mid.c", t0.Add(time.Hour))
	post(t, h, body(`{`+from+`,"delivery":{"mids":["mid.a","mid.b","mid.c"],"watermark":1700000000000}}`))
	for _, m := range []core.Message{a, b, c} {
		if d := h.Message(m.ID).Delivery; d != core.DeliveryDelivered {
			t.Fatalf("%s after delivery: %s", m.ProviderID, d)
		}
	}
	post(t, h, body(`{`+from+`,"read":{"watermark":1700000001000}}`)) // a and b, not c
	want := map[string]core.Delivery{a.ID: core.DeliveryRead, b.ID: core.DeliveryRead, c.ID: core.DeliveryDelivered}
	for id, d := range want {
		if got := h.Message(id).Delivery; got != d {
			t.Errorf("message %s: %s, want %s", id, got, d)
		}
	}
	post(t, h, body(`{`+from+`,"delivery":{"mids":["mid.a"]}}`)) // late
	if got := h.Message(a.ID).Delivery; got != core.DeliveryRead {
		t.Fatalf("late delivery downgraded to %s", got)
	}
}

func TestWebhookRefusals(t *testing.T) {
	h := harness(t, "http://127.0.0.1:1")
	b := []byte(body(`{` + from + `,"message":{"mid":"m1","text":"Hi"}}`))
	for _, c := range []struct {
		name   string
		body   []byte
		sig    string
		status int
	}{
		{"unsigned", b, "", 401},
		{"wrong secret", b, meta.Sign([]byte("x"), b), 401},
		{"malformed", []byte(`{"object":`), meta.Sign([]byte(secret), []byte(`{"object":`)), 400},
	} {
		if status, raw := h.Post("fb", c.body, c.sig); status != c.status {
			t.Errorf("%s: %d %s, want %d", c.name, status, raw, c.status)
		}
	}
	if _, ok := h.Customer("PSID1"); ok {
		t.Fatal("a refused body stored a customer")
	}
	h.Store.SetDown(true)
	if status, _ := h.Post("fb", b, meta.Sign([]byte(secret), b)); status != 503 {
		t.Fatalf("storage down: %d, want 503", status)
	}
}
