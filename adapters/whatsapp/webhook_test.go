package whatsapp_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/adapters/httpapi"
	"github.com/switchboard-chat/switchboard/adapters/inbound"
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
	return metatest.NewHarness(t, core.Channel{ID: "wa", Type: "whatsapp"}, func(svc *core.Service) httpapi.Webhook {
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

// refusedUnread counts the requests whose connection the gateway reset
// while they were still being sent.
const refusedUnread = -1

// flood posts n bodies of size bytes at once, each with the signature
// header sig ("" for none), and counts the answers by status.
func flood(t *testing.T, h *metatest.Harness, n, size int, sig string) map[int]int {
	t.Helper()
	body := bytes.Repeat([]byte("a"), size)
	copy(body, `{"object":"whatsapp_business_account","entry":[],"pad":"`)
	body[size-2], body[size-1] = '"', '}'
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n}}
	defer client.CloseIdleConnections()
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, h.URL+"/webhooks/wa", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			if sig != "" {
				req.Header.Set(meta.SignatureHeader, sig)
			}
			resp, err := client.Do(req)
			status := 0
			switch {
			case err == nil:
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				status = resp.StatusCode
			case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE):
				// The gateway answered without reading the body and closed
				// the connection while the client still sent it: the reset
				// can reach the client before the answer does.
				status = refusedUnread
			default:
				t.Errorf("post: %v", err)
			}
			mu.Lock()
			statuses[status]++
			mu.Unlock()
		})
	}
	wg.Wait()
	return statuses
}

// TestWebhookFloodOfUnsignedBodies performs the attack of 100 parallel
// unsigned 4 MiB bodies: each is answered 401 before it is read (a
// client still sending may see the connection reset first), so the
// gateway allocates a small fraction of the 400 MiB sent (it read them
// all, and allocated more than that, before the check moved ahead of the
// read).
func TestWebhookFloodOfUnsignedBodies(t *testing.T) {
	h := harness(t)
	const n, size = 100, 4<<20 - 1024
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	statuses := flood(t, h, n, size, "")
	runtime.ReadMemStats(&after)
	if statuses[401]+statuses[refusedUnread] != n || statuses[401] == 0 {
		t.Fatalf("answers %v, want %d × 401 (or the connection reset before the client read the 401)", statuses, n)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("%d unsigned bodies of %d bytes: %.1f MiB allocated in the process (client included)", n, size, float64(alloc)/(1<<20))
	if limit := uint64(n * size / 10); alloc > limit {
		t.Errorf("allocated %d bytes for %d unsigned bodies, more than a tenth of what was sent (%d): bodies are read before their signature is checked",
			alloc, n, n*size)
	}
}

// TestWebhookFloodOfForgedBodies performs the same flood with a
// well-formed but wrong signature, which can only be checked against the
// body: every body is read and refused (401), but never more of them at
// once than the read budget holds, and a signed message after the flood
// is stored.
func TestWebhookFloodOfForgedBodies(t *testing.T) {
	gate := inbound.NewGate(8<<20, 4<<20, time.Minute) // two 4 MiB bodies at a time
	h := metatest.NewHarness(t, core.Channel{ID: "wa", Type: "whatsapp"}, func(svc *core.Service) httpapi.Webhook {
		return whatsapp.NewWebhook(svc, whatsapp.Config{ChannelID: "wa", AppSecret: appSecret, VerifyToken: verifyToken, Gate: gate})
	})
	const n, size = 100, 4<<20 - 1024
	statuses := flood(t, h, n, size, "sha256="+strings.Repeat("0", 64))
	if statuses[401] != n {
		t.Fatalf("answers %v, want %d × 401", statuses, n)
	}
	if gate.Peak() > gate.Budget() || gate.Peak() < size {
		t.Fatalf("at most %d bytes reserved at once, want between %d and the budget %d", gate.Peak(), size, gate.Budget())
	}
	t.Logf("%d forged bodies: at most %.1f MiB of them read at once", n, float64(gate.Peak())/(1<<20))
	body := textBody("4911", "Ann", "wamid.F", "hello after the flood")
	if status, raw := h.Post("wa", body, sign(body)); status != 200 || len(h.Messages("4911")) != 1 {
		t.Fatalf("signed message after the flood: %d %s", status, raw)
	}
}
