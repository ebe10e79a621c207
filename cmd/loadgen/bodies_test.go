package main

import (
	"strconv"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/adapters/messenger"
	"github.com/switchboard-chat/switchboard/adapters/meta"
	"github.com/switchboard-chat/switchboard/adapters/telegram"
	"github.com/switchboard-chat/switchboard/adapters/whatsapp"
	"github.com/switchboard-chat/switchboard/core"
)

func testIDs(t *testing.T) ids {
	t.Helper()
	x, err := newIDs("0a1b2c3d")
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// TestMetaBodies: the WhatsApp and Messenger bodies verify with the
// gateway's own signature check (and not with another secret) and
// normalise to one message with the expected user, provider id and text.
func TestMetaBodies(t *testing.T) {
	x := testIDs(t)
	at := time.Unix(1_700_000_000, 0)
	const secret = "app-secret"
	for _, tc := range []struct {
		name      string
		seq, cust int64
		handoff   bool
		body      []byte
		normalize func([]byte) ([]core.InboundEvent, error)
		user, pid string
	}{
		{"whatsapp", 7, 3, false, x.whatsAppBody("1122334455", 7, 3, x.text(7, false), at), whatsapp.Normalize, x.waID(3), x.wamid(7)},
		{"whatsapp handoff", 8, handoffBase + 8, true, x.whatsAppBody("1122334455", 8, handoffBase+8, x.text(8, true), at), whatsapp.Normalize, x.waID(handoffBase + 8), x.wamid(8)},
		{"messenger", 9, 4, false, x.messengerBody("PAGE", 9, 4, x.text(9, false), at), messenger.Normalize, x.psid(4), x.mid(9)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sig := meta.Sign([]byte(secret), tc.body)
			if err := meta.VerifySignature([]byte(secret), tc.body, sig); err != nil {
				t.Fatalf("signature does not verify: %v", err)
			}
			if err := meta.VerifySignature([]byte("other"), tc.body, sig); err == nil {
				t.Fatal("signature verifies with another secret")
			}
			evs, err := tc.normalize(tc.body)
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != 1 || evs[0].Kind != core.InboundMessage {
				t.Fatalf("events: %+v, want one message", evs)
			}
			ev := evs[0]
			if ev.UserID != tc.user || ev.ProviderID != tc.pid || ev.Text != x.text(tc.seq, tc.handoff) {
				t.Errorf("event %+v, want user %s id %s", ev, tc.user, tc.pid)
			}
			if got := core.IsHandoff(ev.Text, []string{handoffPhrase}); got != tc.handoff {
				t.Errorf("IsHandoff(%q) = %v, want %v", ev.Text, got, tc.handoff)
			}
			if k, seq, ok := x.parseToken(ev.Text); !ok || k != 'n' || seq != tc.seq {
				t.Errorf("token of %q: %c %d %v", ev.Text, k, seq, ok)
			}
		})
	}
}

// TestTelegramBody: the update decodes with the gateway's decoder (no
// tolerant fallback) and normalises to a private-chat message whose
// provider id is the one the exactly-once check expects.
func TestTelegramBody(t *testing.T) {
	x := testIDs(t)
	for _, seq := range []int64{0, 41, 999_999} {
		cust := x.customer(seq, 100, false)
		body := x.telegramBody(seq, cust, x.text(seq, false), time.Unix(1_700_000_000, 0))
		d, err := telegram.Decode(body)
		if err != nil || d.Tolerant() {
			t.Fatalf("decode: %v (library: %v)", err, d.LibraryErr)
		}
		ev := telegram.Normalize(d.Update)
		if ev.Kind != core.InboundMessage {
			t.Fatalf("seq %d: kind %s (%s)", seq, ev.Kind, ev.Why)
		}
		if ev.ProviderID != x.telegramProviderID(seq, cust) || ev.UserID != strconv.FormatInt(x.chatID(cust), 10) ||
			ev.Text != x.text(seq, false) || ev.Name != "Load Customer "+strconv.FormatInt(cust, 10) {
			t.Errorf("seq %d: event %+v", seq, ev)
		}
		if ev.UpdateID != x.updateID(seq) {
			t.Errorf("seq %d: update id %d, want %d", seq, ev.UpdateID, x.updateID(seq))
		}
	}
}

// TestIDsDistinct: customers, handoff customers and runs do not share ids.
func TestIDsDistinct(t *testing.T) {
	a := testIDs(t)
	b, err := newIDs("0a1b2c3e")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	add := func(what, id string) {
		t.Helper()
		if prev, ok := seen[id]; ok {
			t.Errorf("%s and %s share id %s", prev, what, id)
		}
		seen[id] = what
	}
	for _, x := range []ids{a, b} {
		for _, c := range []int64{0, 1, 999, handoffBase, handoffBase + 1} {
			add(x.run+" wa "+strconv.FormatInt(c, 10), x.waID(c))
			add(x.run+" fb "+strconv.FormatInt(c, 10), "fb"+x.psid(c))
			add(x.run+" tg "+strconv.FormatInt(c, 10), "tg"+strconv.FormatInt(x.chatID(c), 10))
		}
	}
	if _, err := newIDs("xyz"); err == nil {
		t.Error("newIDs accepted a run id that is not 8 hex digits")
	}
}

func TestParseToken(t *testing.T) {
	x := testIDs(t)
	for _, tc := range []struct {
		text string
		kind byte
		seq  int64
		ok   bool
	}{
		{x.text(12, false), 'n', 12, true},
		{"reply " + x.replyToken(5), 'r', 5, true},
		{"other run lgffffffffn3 then " + x.msgToken(4), 'n', 4, true},
		{"other run only lgffffffffn3", 0, 0, false},
		{"nothing", 0, 0, false},
	} {
		k, seq, ok := x.parseToken(tc.text)
		if k != tc.kind || seq != tc.seq || ok != tc.ok {
			t.Errorf("parseToken(%q) = %c %d %v, want %c %d %v", tc.text, k, seq, ok, tc.kind, tc.seq, tc.ok)
		}
	}
}
