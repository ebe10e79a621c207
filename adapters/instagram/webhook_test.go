package instagram_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/switchboard-chat/switchboard/adapters/httpapi"
	"github.com/switchboard-chat/switchboard/adapters/instagram"
	"github.com/switchboard-chat/switchboard/adapters/meta"
	"github.com/switchboard-chat/switchboard/adapters/meta/metatest"
	"github.com/switchboard-chat/switchboard/core"
)

const (
	igSecret = "instagram-app-secret"
	fbSecret = "facebook-app-secret"
	igToken  = "IGQ-token"
)

func harness(t *testing.T) *metatest.Harness {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+igToken || r.URL.Query().Get("fields") != "name,username" {
			w.WriteHeader(403)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"username":"joao.silva"}`))
	}))
	t.Cleanup(srv.Close)
	return metatest.NewHarness(t, core.Channel{ID: "ig", Type: "instagram"}, func(svc *core.Service) httpapi.Webhook {
		return instagram.NewWebhook(svc, instagram.Config{ChannelID: "ig", AppSecret: igSecret, VerifyToken: "v",
			GraphURL: srv.URL, AccessToken: igToken})
	})
}

// TestWebhookRealBody posts the real Instagram DM capture, signed with the
// Instagram app's own secret; the Facebook app's secret is refused.
func TestWebhookRealBody(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(metatest.FixtureDir(t, "instagram"), "social-selling__real_text_message_wire.json"))
	if err != nil {
		t.Fatal(err)
	}
	h := harness(t)
	if status, _ := h.Post("ig", raw, meta.Sign([]byte(fbSecret), raw)); status != 401 {
		t.Fatalf("signed with another app's secret: %d, want 401", status)
	}
	if _, ok := h.Customer("1129842642640637"); ok {
		t.Fatal("refused body stored a customer")
	}
	for range 2 {
		if status, body := h.Post("ig", raw, meta.Sign([]byte(igSecret), raw)); status != 200 {
			t.Fatalf("%d %s", status, body)
		}
	}
	ms := h.Messages("1129842642640637")
	if len(ms) != 1 || ms[0].Text != "oi" {
		t.Fatalf("messages %+v, want one \"oi\"", ms)
	}
	if c, _ := h.Customer("1129842642640637"); c.Name != "joao.silva" {
		t.Fatalf("name %q, want the username", c.Name)
	}
}

func TestWebhookUnsendAndRead(t *testing.T) {
	h := harness(t)
	post := func(b string) {
		t.Helper()
		if status, raw := h.Post("ig", []byte(b), meta.Sign([]byte(igSecret), []byte(b))); status != 200 {
			t.Fatalf("%d %s", status, raw)
		}
	}
	post(body(`{` + from + `,"message":{"mid":"in1","text":"my address is 1 Main St"}}`))
	out := h.Outbound("IGSID1", "ours1")
	post(body(`{` + from + `,"message":{"mid":"in1","is_deleted":true}}`))
	post(body(`{` + from + `,"read":{"mid":"ours1"}}`))
	ms := h.Messages("IGSID1")
	if ms[0].Text != core.RevokedText {
		t.Fatalf("unsent message still reads %q", ms[0].Text)
	}
	if d := h.Message(out.ID).Delivery; d != core.DeliveryRead {
		t.Fatalf("read: delivery %s", d)
	}
}
