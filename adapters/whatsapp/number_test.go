package whatsapp_test

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/switchboard-chat/switchboard/adapters/httpapi"
	"github.com/switchboard-chat/switchboard/adapters/meta/metatest"
	"github.com/switchboard-chat/switchboard/adapters/whatsapp"
	"github.com/switchboard-chat/switchboard/core"
)

// syncBuffer is a log sink safe for the webhook's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// numberBody is a webhook body with one change per phone number id, each
// holding one text message from its own customer.
func numberBody(changes ...[3]string) []byte {
	var b strings.Builder
	b.WriteString(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[`)
	for i, c := range changes { // {phone_number_id, customer wa_id, wamid}
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550000000","phone_number_id":"` +
			c[0] + `"},"contacts":[{"profile":{"name":"Eve"},"wa_id":"` + c[1] + `"}],"messages":[{"from":"` + c[1] +
			`","id":"` + c[2] + `","timestamp":"1700000000","type":"text","text":{"body":"refund my order to this account"}}],` +
			`"statuses":[{"id":"wamid.out","status":"read","timestamp":"1700000001","recipient_id":"` + c[1] + `"}]}}`)
	}
	b.WriteString(`]}]}`)
	return []byte(b.String())
}

// TestWebhookIgnoresOtherPhoneNumbers performs the attack: a body signed
// with the app's real secret (one Meta app serves several numbers, or a
// test event of the app) about another phone_number_id is answered 200,
// stores nothing under this channel, touches no delivery status, and is
// logged; in a batch, the change about this channel's number is stored.
func TestWebhookIgnoresOtherPhoneNumbers(t *testing.T) {
	logs := &syncBuffer{}
	h := metatest.NewHarness(t, core.Channel{ID: "wa", Type: "whatsapp"}, func(svc *core.Service) httpapi.Webhook {
		return whatsapp.NewWebhook(svc, whatsapp.Config{ChannelID: "wa", AppSecret: appSecret, VerifyToken: verifyToken,
			PhoneNumberID: "1122334455", Log: slog.New(slog.NewTextHandler(logs, nil))})
	})
	ours := numberBody([3]string{"1122334455", "4900", "wamid.ours"})
	if status, raw := h.Post("wa", ours, sign(ours)); status != 200 || len(h.Messages("4900")) != 1 {
		t.Fatalf("this number's message: %d %s", status, raw)
	}
	out := h.Outbound("4900", "wamid.out")
	before := h.Message(out.ID).Delivery

	tests := []struct {
		name    string
		body    []byte
		stored  []string // customers with a message afterwards
		ignored []string // customers without
	}{
		{"another number", numberBody([3]string{"9999999999", "4901", "wamid.X1"}), nil, []string{"4901"}},
		{"no number at all", []byte(strings.Replace(string(numberBody([3]string{"", "4902", "wamid.X2"})),
			`"metadata":{"display_phone_number":"15550000000","phone_number_id":""},`, "", 1)), nil, []string{"4902"}},
		{"a number that only starts alike", numberBody([3]string{"11223344550", "4903", "wamid.X3"}), nil, []string{"4903"}},
		{"a batch of ours and another's", numberBody([3]string{"9999999999", "4904", "wamid.X4"}, [3]string{"1122334455", "4905", "wamid.X5"}),
			[]string{"4905"}, []string{"4904"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if status, raw := h.Post("wa", tt.body, sign(tt.body)); status != 200 {
				t.Fatalf("signed body: %d %s, want 200 (Meta must not retry it)", status, raw)
			}
			for _, u := range tt.ignored {
				if _, ok := h.Customer(u); ok || len(h.Messages(u)) != 0 {
					t.Errorf("customer %s of another number was stored under this channel", u)
				}
			}
			for _, u := range tt.stored {
				if ms := h.Messages(u); len(ms) != 1 || ms[0].Text != "refund my order to this account" {
					t.Errorf("customer %s of this channel's number: messages %+v, want the one", u, ms)
				}
			}
			// Every change says wamid.out was read; only ours may say so.
			want := before
			if len(tt.stored) > 0 {
				want = core.DeliveryRead
			}
			if got := h.Message(out.ID).Delivery; got != want {
				t.Errorf("delivery of our message = %s, want %s", got, want)
			}
		})
	}
	if n := strings.Count(logs.String(), "whatsapp change for another phone number ignored"); n != 4 {
		t.Errorf("%d ignored changes logged, want 4:\n%s", n, logs)
	}
	if !strings.Contains(logs.String(), "phone_number_id=9999999999") {
		t.Errorf("the log does not name the foreign number:\n%s", logs)
	}
	if n := len(h.Jobs.Bot); n != 2 {
		t.Errorf("bot queued %d times, want twice (this number's messages)", n)
	}
}
