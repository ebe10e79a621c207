package whatsapp_test

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/adapters/meta/metatest"
	"github.com/switchboard-chat/switchboard/adapters/whatsapp"
	"github.com/switchboard-chat/switchboard/core"
)

// bodies splits a fixture into webhook bodies: a pywa file maps case
// names to bodies; a split file is one body (key "").
func bodies(t *testing.T, raw []byte) map[string][]byte {
	t.Helper()
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		t.Fatal(err)
	}
	if _, ok := top["object"]; ok {
		return map[string][]byte{"": raw}
	}
	out := map[string][]byte{}
	for k, v := range top {
		out[k] = v
	}
	return out
}

// TestGolden normalises every WhatsApp fixture (each case of the pywa
// files and every split body) and compares with testdata/*.golden.
func TestGolden(t *testing.T) {
	dir := metatest.FixtureDir(t, "whatsapp")
	for _, f := range metatest.Fixtures(t, dir) {
		t.Run(f.Name, func(t *testing.T) {
			cases := bodies(t, f.Body)
			got := map[string][]core.InboundEvent{}
			names := make([]string, 0, len(cases))
			for name := range cases {
				names = append(names, name)
			}
			sort.Strings(names)
			for _, name := range names {
				evs, err := whatsapp.Normalize(cases[name])
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if len(evs) == 0 {
					t.Errorf("%s: no events", name)
				}
				metatest.CheckEvents(t, evs)
				got[name] = evs
				seed := f.Name
				if name != "" {
					seed += "__" + name
				}
				metatest.Seed(t, "FuzzWhatsApp", seed, cases[name])
			}
			var out any = got
			if evs, ok := got[""]; ok && len(got) == 1 {
				out = evs
			}
			metatest.Golden(t, f.Name, metatest.Render(out))
		})
	}
}

func one(t *testing.T, body string) core.InboundEvent {
	t.Helper()
	evs, err := whatsapp.Normalize([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1: %+v", len(evs), evs)
	}
	return evs[0]
}

// wrap puts value JSON into a complete messages webhook.
func wrap(value string) string {
	return `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":` + value + `}]}]}`
}

const ann = `"contacts":[{"profile":{"name":"Ann"},"wa_id":"4911","user_id":"US.9"}]`

// TestNormalize pins the rules the golden files only show by example.
func TestNormalize(t *testing.T) {
	cases := []struct {
		name  string
		value string
		want  core.InboundEvent
	}{
		{"text with name and both ids", `{` + ann + `,"messages":[{"from":"4911","id":"wamid.1","timestamp":"1697043223","type":"text","text":{"body":" hi "}}]}`,
			core.InboundEvent{Kind: core.InboundMessage, UserID: "4911", AltUserID: "US.9", Name: "Ann", ProviderID: "wamid.1", Text: "hi", At: time.Unix(1697043223, 0).UTC()}},
		{"no contacts: anonymous", `{"messages":[{"from":"4911","id":"wamid.2","type":"text","text":{"body":"x"}}]}`,
			core.InboundEvent{Kind: core.InboundMessage, UserID: "4911", ProviderID: "wamid.2", Text: "x"}},
		{"no phone number: business-scoped id", `{"contacts":[{"profile":{"name":"Bo"},"user_id":"US.7"}],"messages":[{"from_user_id":"US.7","id":"wamid.3","type":"text","text":{"body":"x"}}]}`,
			core.InboundEvent{Kind: core.InboundMessage, UserID: "US.7", Name: "Bo", ProviderID: "wamid.3", Text: "x"}},
		{"image with caption", `{"messages":[{"from":"1","id":"w","type":"image","image":{"caption":"my cat","id":"9"}}]}`,
			core.InboundEvent{Kind: core.InboundMessage, UserID: "1", ProviderID: "w", Text: "[image] my cat",
				Attachments: []core.InboundAttachment{{Kind: core.AttachmentImage, Ref: "9", Caption: "my cat"}}}},
		{"voice note", `{"messages":[{"from":"1","id":"w","type":"audio","audio":{"voice":true}}]}`, // no media id: no file
			core.InboundEvent{Kind: core.InboundMessage, UserID: "1", ProviderID: "w", Text: "[voice]"}},
		{"document shows its name", `{"messages":[{"from":"1","id":"w","type":"document","document":{"filename":"a.pdf"}}]}`, // no media id: no file
			core.InboundEvent{Kind: core.InboundMessage, UserID: "1", ProviderID: "w", Text: "[document] a.pdf"}},
		{"voice note file", `{"messages":[{"from":"1","id":"w","type":"audio","audio":{"id":"77","mime_type":"audio/ogg; codecs=opus","voice":true}}]}`,
			core.InboundEvent{Kind: core.InboundMessage, UserID: "1", ProviderID: "w", Text: "[voice]",
				Attachments: []core.InboundAttachment{{Kind: core.AttachmentVoice, Ref: "77", MIME: "audio/ogg; codecs=opus"}}}},
		{"document file", `{"messages":[{"from":"1","id":"w","type":"document","document":{"id":8,"filename":"a.pdf","mime_type":"application/pdf"}}]}`,
			core.InboundEvent{Kind: core.InboundMessage, UserID: "1", ProviderID: "w", Text: "[document] a.pdf",
				Attachments: []core.InboundAttachment{{Kind: core.AttachmentDocument, Ref: "8", MIME: "application/pdf", Name: "a.pdf"}}}},
		{"button reply title", `{"messages":[{"from":"1","id":"w","type":"interactive","interactive":{"type":"button_reply","button_reply":{"id":"x","title":"Yes please"}}}]}`,
			core.InboundEvent{Kind: core.InboundMessage, UserID: "1", ProviderID: "w", Text: "Yes please"}},
		{"list reply title", `{"messages":[{"from":"1","id":"w","type":"interactive","interactive":{"type":"list_reply","list_reply":{"id":"x","title":"Shipping"}}}]}`,
			core.InboundEvent{Kind: core.InboundMessage, UserID: "1", ProviderID: "w", Text: "Shipping"}},
		{"template button", `{"messages":[{"from":"1","id":"w","type":"button","button":{"payload":"P","text":"Talk to a person"}}]}`,
			core.InboundEvent{Kind: core.InboundMessage, UserID: "1", ProviderID: "w", Text: "Talk to a person"}},
		{"location", `{"messages":[{"from":"1","id":"w","type":"location","location":{"latitude":1.5,"longitude":-2,"name":"HQ"}}]}`,
			core.InboundEvent{Kind: core.InboundMessage, UserID: "1", ProviderID: "w", Text: "[location] HQ (1.5, -2)"}},
		{"contacts", `{"messages":[{"from":"1","id":"w","type":"contacts","contacts":[{"name":{"formatted_name":"Cy"},"phones":[{"phone":"+1 5"}]}]}]}`,
			core.InboundEvent{Kind: core.InboundMessage, UserID: "1", ProviderID: "w", Text: "[contact] Cy +1 5"}},
		{"unsupported", `{"messages":[{"from":"1","id":"w","type":"unsupported","unsupported":{"type":"poll"}}]}`,
			core.InboundEvent{Kind: core.InboundMessage, UserID: "1", ProviderID: "w", Text: "[unsupported message: poll]"}},
		{"edit", `{"messages":[{"from":"1","id":"w2","type":"edit","edit":{"original_message_id":"w1","message":{"type":"text","text":{"body":"fixed"}}}}]}`,
			core.InboundEvent{Kind: core.InboundEdit, UserID: "1", ProviderID: "w1", Text: "fixed"}},
		{"revoke", `{"messages":[{"from":"1","id":"w2","type":"revoke","revoke":{"original_message_id":"w1"}}]}`,
			core.InboundEvent{Kind: core.InboundRevoke, UserID: "1", ProviderID: "w1"}},
		{"reaction ignored", `{"messages":[{"from":"1","id":"w","type":"reaction","reaction":{"message_id":"x","emoji":"x"}}]}`,
			core.IgnoredEvent("reaction")},
		{"system ignored", `{"messages":[{"from":"1","id":"w","type":"system","system":{"body":"changed"}}]}`,
			core.IgnoredEvent("system message")},
		{"played is read", `{"statuses":[{"id":"wamid.o","status":"played","recipient_id":"1"}]}`,
			core.InboundEvent{Kind: core.InboundStatus, UserID: "1", ProviderID: "wamid.o", Status: core.DeliveryRead}},
		{"failed keeps code and title", `{"statuses":[{"id":"wamid.o","status":"failed","recipient_id":"1","errors":[{"code":131047,"title":"Re-engagement message"}]}]}`,
			core.InboundEvent{Kind: core.InboundStatus, UserID: "1", ProviderID: "wamid.o", Status: core.DeliveryFailed, Error: "131047: Re-engagement message"}},
		{"unknown status ignored", `{"statuses":[{"id":"wamid.o","status":"warning"}]}`, core.IgnoredEvent(`status "warning"`)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := one(t, wrap(c.value))
			if !got.At.Equal(c.want.At) {
				t.Errorf("At = %v, want %v", got.At, c.want.At)
			}
			got.At, c.want.At = time.Time{}, time.Time{}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got  %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestNormalizeBatchAndOthers(t *testing.T) {
	body := `{"object":"whatsapp_business_account","entry":[
	 {"id":"1","changes":[{"field":"messages","value":{"messages":[{"from":"1","id":"a","type":"text","text":{"body":"one"}},{"from":"2","id":"b","type":"text","text":{"body":"two"}}]}},
	                      {"field":"smb_message_echoes","value":{"message_echoes":[{"id":"e","type":"text","text":{"body":"echo"}}]}}]},
	 {"id":"2","changes":[{"field":"messages","value":{"statuses":[{"id":"o","status":"delivered"}]}}]}]}`
	evs, err := whatsapp.Normalize([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	kinds := []string{}
	for _, e := range evs {
		kinds = append(kinds, string(e.Kind)+":"+e.ProviderID+e.Why)
	}
	want := `message:a message:b ignored:field "smb_message_echoes" status:o`
	if strings.Join(kinds, " ") != want {
		t.Fatalf("events %v, want %s", kinds, want)
	}
	if evs, err := whatsapp.Normalize([]byte(`{"object":"page","entry":[]}`)); err != nil || len(evs) != 1 || evs[0].Kind != core.InboundIgnored {
		t.Fatalf("other object: %v %+v", err, evs)
	}
	if _, err := whatsapp.Normalize([]byte(`{"object":`)); err == nil {
		t.Fatal("malformed JSON accepted")
	}
	long := strings.Repeat("a", core.MaxTextLen+5)
	ev := one(t, wrap(`{"messages":[{"from":"1","id":"w","type":"text","text":{"body":"`+long+`"}}]}`))
	if n := len([]rune(ev.Text)); n != core.MaxTextLen {
		t.Fatalf("long text kept %d characters, want %d", n, core.MaxTextLen)
	}
}

// FuzzWhatsApp: the normaliser never panics and keeps its promises on any
// input. Seeds: testdata/fuzz/FuzzWhatsApp (from the fixtures).
func FuzzWhatsApp(f *testing.F) {
	f.Add([]byte(wrap(`{"messages":[{"from":1,"id":2,"type":"edit","edit":{"message":null}}]}`)))
	f.Fuzz(func(t *testing.T, data []byte) {
		evs, err := whatsapp.Normalize(data)
		if err != nil {
			return
		}
		metatest.CheckEvents(t, evs)
		metatest.CheckAttachments(t, evs)
	})
}
