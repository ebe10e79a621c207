package instagram_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/switchboard-chat/switchboard/adapters/instagram"
	"github.com/switchboard-chat/switchboard/adapters/meta/metatest"
	"github.com/switchboard-chat/switchboard/core"
)

// envelope adds the top-level "object" the Chatwoot factories lack
// (they are robustness inputs: ISO times, made-up ids).
func envelope(t *testing.T, raw []byte) []byte {
	t.Helper()
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		t.Fatal(err)
	}
	if _, ok := top["object"]; ok {
		return raw
	}
	top["object"] = json.RawMessage(`"instagram"`)
	b, err := json.Marshal(top)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGolden normalises every Instagram fixture and compares with
// testdata/*.golden (rerun with -update to rewrite them and the fuzz seeds).
func TestGolden(t *testing.T) {
	dir := metatest.FixtureDir(t, "instagram")
	for _, f := range metatest.Fixtures(t, dir) {
		t.Run(f.Name, func(t *testing.T) {
			b := envelope(t, f.Body)
			if string(b) != string(f.Body) { // as found: no object, so nothing to act on
				raw, err := instagram.Normalize(f.Body)
				if err != nil || len(raw) != 1 || raw[0].Kind != core.InboundIgnored {
					t.Fatalf("body without envelope: %v %+v, want one ignored event", err, raw)
				}
			}
			evs, err := instagram.Normalize(b)
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) == 0 {
				t.Fatal("no events")
			}
			metatest.CheckEvents(t, evs)
			metatest.Seed(t, "FuzzInstagram", f.Name, b)
			metatest.Golden(t, f.Name, metatest.Render(evs))
		})
	}
}

func body(items string) string {
	return `{"object":"instagram","entry":[{"id":"17841400538867190","time":1762031165141,"messaging":[` + items + `]}]}`
}

const from = `"sender":{"id":"IGSID1"},"recipient":{"id":"17841400538867190"},"timestamp":1762031146380`

func TestNormalize(t *testing.T) {
	cases := []struct {
		name  string
		items string
		want  core.InboundEvent
	}{
		{"text", `{` + from + `,"message":{"mid":"aWdf1","text":"oi"}}`,
			core.InboundEvent{Kind: core.InboundMessage, UserID: "IGSID1", ProviderID: "aWdf1", Text: "oi"}},
		{"unsend revokes", `{` + from + `,"message":{"mid":"aWdf1","is_deleted":true}}`,
			core.InboundEvent{Kind: core.InboundRevoke, UserID: "IGSID1", ProviderID: "aWdf1"}},
		{"story reply", `{` + from + `,"message":{"mid":"m","text":"nice","reply_to":{"story":{"id":"1","url":"https://s/1"}}}}`,
			core.InboundEvent{Kind: core.InboundMessage, UserID: "IGSID1", ProviderID: "m", Text: "[story reply https://s/1] nice"}},
		{"story mention", `{` + from + `,"message":{"mid":"m","attachments":[{"type":"story_mention","payload":{"url":"https://s/2"}}]}}`,
			core.InboundEvent{Kind: core.InboundMessage, UserID: "IGSID1", ProviderID: "m", Text: "[story_mention] https://s/2"}},
		{"read names the message", `{` + from + `,"read":{"mid":"ours"}}`,
			core.InboundEvent{Kind: core.InboundStatus, UserID: "IGSID1", ProviderID: "ours", Status: core.DeliveryRead}},
		{"echo ignored", `{` + from + `,"message":{"mid":"m","text":"x","is_echo":true}}`,
			core.IgnoredEvent("echo of a message sent by the page")},
		{"unsupported", `{` + from + `,"message":{"mid":"m","is_unsupported":true}}`,
			core.InboundEvent{Kind: core.InboundMessage, UserID: "IGSID1", ProviderID: "m", Text: "[unsupported message]"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			evs, err := instagram.Normalize([]byte(body(c.items)))
			if err != nil || len(evs) != 1 {
				t.Fatalf("%v %+v", err, evs)
			}
			got := evs[0]
			got.At = c.want.At
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got  %+v\nwant %+v", got, c.want)
			}
		})
	}
}

// FuzzInstagram: the normaliser never panics and keeps its promises.
// Seeds: testdata/fuzz/FuzzInstagram (from the fixtures, enveloped).
func FuzzInstagram(f *testing.F) {
	f.Add([]byte(body(`{"sender":{"id":"1"},"message":{"mid":"m","attachments":[{"type":"image","payload":null}]}}`)))
	f.Fuzz(func(t *testing.T, data []byte) {
		evs, err := instagram.Normalize(data)
		if err != nil {
			return
		}
		metatest.CheckEvents(t, evs)
		metatest.CheckAttachments(t, evs)
	})
}
