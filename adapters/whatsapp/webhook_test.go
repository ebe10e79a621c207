package whatsapp_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/adapters/httpapi"
	"github.com/switchboard-chat/switchboard/adapters/meta"
	"github.com/switchboard-chat/switchboard/adapters/meta/metatest"
	"github.com/switchboard-chat/switchboard/adapters/whatsapp"
	"github.com/switchboard-chat/switchboard/core"
)

const (
	appSecret   = "wa-app-secret"
	verifyToken = "wa-verify"
)

func harness(t *testing.T) *metatest.Harness {
	t.Helper()
	return metatest.NewHarness(t, core.Channel{ID: "wa", Type: core.ChannelWhatsApp}, func(svc *core.Service) httpapi.Webhook {
		return whatsapp.NewWebhook(svc, whatsapp.Config{ChannelID: "wa", AppSecret: appSecret, VerifyToken: verifyToken})
	})
}

func textBody(from, name, wamid, text string) []byte {
	return []byte(wrap(fmt.Sprintf(`{"contacts":[{"profile":{"name":%q},"wa_id":%q}],"messages":[{"from":%q,"id":%q,"timestamp":"1700000000","type":"text","text":{"body":%q}}]}`,
		name, from, from, wamid, text)))
}

func sign(b []byte) string { return meta.Sign([]byte(appSecret), b) }

func TestWebhookRejects(t *testing.T) {
	h := harness(t)
	body := textBody("4911", "Ann", "wamid.A", "hello")
	cases := []struct {
		name    string
		channel string
		body    []byte
		sig     string
		status  int
		code    string
	}{
		{"unsigned", "wa", body, "", 401, "unauthorized"},
		{"wrong secret", "wa", body, meta.Sign([]byte("other"), body), 401, "unauthorized"},
		{"signature of another body", "wa", body, sign([]byte(`{}`)), 401, "unauthorized"},
		{"malformed JSON, valid signature", "wa", []byte(`{"object":"whatsapp_business_account","entry":[`), sign([]byte(`{"object":"whatsapp_business_account","entry":[`)), 400, "invalid_request"},
		{"unknown channel", "nope", body, sign(body), 404, "not_found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, raw := h.Post(c.channel, c.body, c.sig)
			if status != c.status || !strings.Contains(raw, `"code":"`+c.code+`"`) {
				t.Fatalf("status %d body %s, want %d %s", status, raw, c.status, c.code)
			}
		})
	}
	if _, ok := h.Customer("4911"); ok || len(h.Messages("4911")) != 0 || len(h.Jobs.Bot) != 0 {
		t.Fatal("a refused body stored something")
	}
}

func TestHandshake(t *testing.T) {
	h := harness(t)
	cases := []struct {
		name, query string
		status      int
		body        string
	}{
		{"ok", "hub.mode=subscribe&hub.verify_token=" + verifyToken + "&hub.challenge=1158201444", 200, "1158201444"},
		{"wrong token", "hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1", 403, `"code":"forbidden"`},
		{"wrong mode", "hub.mode=unsubscribe&hub.verify_token=" + verifyToken + "&hub.challenge=1", 403, `"code":"forbidden"`},
		{"no token", "hub.mode=subscribe&hub.challenge=1", 403, `"code":"forbidden"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body, ctype := h.Get("wa", c.query)
			if status != c.status || !strings.Contains(body, c.body) {
				t.Fatalf("status %d body %q, want %d %q", status, body, c.status, c.body)
			}
			if status == 200 && (body != c.body || !strings.HasPrefix(ctype, "text/plain")) {
				t.Fatalf("challenge answer %q as %q, want exactly %q as text/plain", body, ctype, c.body)
			}
		})
	}
}

func TestWebhookStoresAndDedupes(t *testing.T) {
	h := harness(t)
	body := textBody("4911", "Ann Smith", "wamid.A", "hello there")
	for i := range 2 { // the second is Meta's redelivery
		if status, raw := h.Post("wa", body, sign(body)); status != 200 {
			t.Fatalf("post %d: %d %s", i, status, raw)
		}
	}
	ms := h.Messages("4911")
	if len(ms) != 1 || ms[0].Text != "hello there" || ms[0].Author != core.AuthorCustomer || ms[0].ProviderID != "wamid.A" {
		t.Fatalf("messages after redelivery: %+v", ms)
	}
	if c, ok := h.Customer("4911"); !ok || c.Name != "Ann Smith" {
		t.Fatalf("customer %+v %v", c, ok)
	}
	if len(h.Jobs.Bot) != 1 {
		t.Fatalf("bot queued %d times, want once", len(h.Jobs.Bot))
	}

	// A batch: two messages, one of them the old one again; an edit and a
	// revoke of what is stored; a reaction and an echo that are ignored.
	batch := []byte(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[
	 {"field":"messages","value":{"contacts":[{"profile":{"name":"Ann Smith"},"wa_id":"4911"}],"messages":[
	   {"from":"4911","id":"wamid.A","type":"text","text":{"body":"hello there"}},
	   {"from":"4911","id":"wamid.B","type":"image","image":{"caption":"the parcel"}},
	   {"from":"4911","id":"wamid.C","type":"text","text":{"body":"typo"}},
	   {"from":"4911","id":"wamid.D","type":"reaction","reaction":{"message_id":"wamid.B","emoji":"x"}},
	   {"from":"4911","id":"wamid.E","type":"edit","edit":{"original_message_id":"wamid.C","message":{"type":"text","text":{"body":"fixed"}}}},
	   {"from":"4911","id":"wamid.F","type":"revoke","revoke":{"original_message_id":"wamid.B"}}]}},
	 {"field":"smb_message_echoes","value":{"message_echoes":[{"id":"wamid.G","type":"text","text":{"body":"echo"}}]}}]}]}`)
	if status, raw := h.Post("wa", batch, sign(batch)); status != 200 {
		t.Fatalf("batch: %d %s", status, raw)
	}
	var texts []string
	for _, m := range h.Messages("4911") {
		texts = append(texts, m.Text)
	}
	want := []string{"hello there", core.RevokedText, "fixed"}
	if strings.Join(texts, "|") != strings.Join(want, "|") {
		t.Fatalf("messages %q, want %q", texts, want)
	}
}

func TestWebhookStatuses(t *testing.T) {
	h := harness(t)
	body := textBody("4911", "Ann", "wamid.in", "hi")
	if status, _ := h.Post("wa", body, sign(body)); status != 200 {
		t.Fatal(status)
	}
	out := h.Outbound("4911", "wamid.out")
	failedOut := h.Outbound("4911", "wamid.out2")
	steps := []struct {
		status string
		want   core.Delivery
	}{
		{"delivered", core.DeliveryDelivered},
		{"read", core.DeliveryRead},
		{"delivered", core.DeliveryRead}, // late: never downgrades
		{"failed", core.DeliveryRead},
	}
	for _, s := range steps {
		b := []byte(wrap(`{"statuses":[{"id":"wamid.out","status":"` + s.status + `","timestamp":"1700000001","recipient_id":"4911"}]}`))
		if status, raw := h.Post("wa", b, sign(b)); status != 200 {
			t.Fatalf("%s: %d %s", s.status, status, raw)
		}
		if got := h.Message(out.ID).Delivery; got != s.want {
			t.Fatalf("after %s: delivery %s, want %s", s.status, got, s.want)
		}
	}
	b := []byte(wrap(`{"statuses":[{"id":"wamid.out2","status":"failed","recipient_id":"4911","errors":[{"code":131047,"title":"Re-engagement message"}]}]}`))
	if status, raw := h.Post("wa", b, sign(b)); status != 200 {
		t.Fatalf("failed: %d %s", status, raw)
	}
	if m := h.Message(failedOut.ID); m.Delivery != core.DeliveryFailed || !strings.Contains(m.Error, "131047") || !strings.Contains(m.Error, "Re-engagement") {
		t.Fatalf("failed status stored as %s %q", m.Delivery, m.Error)
	}
}

func TestWebhookStorageDown(t *testing.T) {
	h := harness(t)
	h.Store.SetDown(true)
	body := textBody("4911", "Ann", "wamid.A", "hello")
	if status, raw := h.Post("wa", body, sign(body)); status != 503 || !strings.Contains(raw, `"code":"unavailable"`) {
		t.Fatalf("storage down: %d %s, want 503 unavailable", status, raw)
	}
	h.Store.SetDown(false)
	if len(h.Messages("4911")) != 0 || len(h.Jobs.Bot) != 0 {
		t.Fatal("stored while down")
	}
	if status, _ := h.Post("wa", body, sign(body)); status != 200 || len(h.Messages("4911")) != 1 {
		t.Fatalf("Meta's retry after the outage: %d, %d messages", status, len(h.Messages("4911")))
	}
}
