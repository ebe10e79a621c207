package messenger_test

import (
	"strings"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/adapters/messenger"
	"github.com/switchboard-chat/switchboard/adapters/meta/metatest"
	"github.com/switchboard-chat/switchboard/core"
)

// TestGolden normalises every Messenger fixture and compares with
// testdata/*.golden (rerun with -update to rewrite them and the fuzz seeds).
func TestGolden(t *testing.T) {
	dir := metatest.FixtureDir(t, "messenger")
	for _, f := range metatest.Fixtures(t, dir) {
		t.Run(f.Name, func(t *testing.T) {
			evs, err := messenger.Normalize(f.Body)
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) == 0 {
				t.Fatal("no events")
			}
			metatest.CheckEvents(t, evs)
			metatest.Seed(t, "FuzzMessenger", f.Name, f.Body)
			metatest.Golden(t, f.Name, metatest.Render(evs))
		})
	}
}

func body(items string) string {
	return `{"object":"page","entry":[{"id":"PAGE","time":1460923697656,"messaging":[` + items + `]}]}`
}

const from = `"sender":{"id":"PSID1"},"recipient":{"id":"PAGE"},"timestamp":1460923697635`

var at = time.UnixMilli(1460923697635).UTC()

func TestNormalize(t *testing.T) {
	cases := []struct {
		name  string
		items string
		want  []core.InboundEvent
	}{
		{"text", `{` + from + `,"message":{"mid":"m1","text":"Hi"}}`,
			[]core.InboundEvent{{Kind: core.InboundMessage, UserID: "PSID1", ProviderID: "m1", Text: "Hi", At: at}}},
		{"numeric ids", `{"sender":{"id":982337261802700},"recipient":{"id":1},"timestamp":1460923697635,"message":{"mid":"m1","text":"x"}}`,
			[]core.InboundEvent{{Kind: core.InboundMessage, UserID: "982337261802700", ProviderID: "m1", Text: "x", At: at}}},
		{"quick reply without text: payload", `{` + from + `,"message":{"mid":"m1","quick_reply":{"payload":"TALK_TO_HUMAN"}}}`,
			[]core.InboundEvent{{Kind: core.InboundMessage, UserID: "PSID1", ProviderID: "m1", Text: "TALK_TO_HUMAN", At: at}}},
		{"attachments", `{` + from + `,"message":{"mid":"m1","text":"look","attachments":[{"type":"image","payload":{"url":"https://x/1.jpg"}},{"type":"location","payload":{"coordinates":{"lat":1.5,"long":2}}}]}}`,
			[]core.InboundEvent{{Kind: core.InboundMessage, UserID: "PSID1", ProviderID: "m1", Text: "look\n[image]\n[location] 1.5, 2", At: at,
				Attachments: []core.InboundAttachment{{Kind: core.AttachmentImage, URL: "https://x/1.jpg"}}}}},
		{"file and sticker", `{` + from + `,"message":{"mid":"m1","attachments":[{"type":"file","payload":{"url":"https://x/a.pdf"}},{"type":"image","payload":{"url":"https://x/s.png","sticker_id":369239263222822}}]}}`,
			[]core.InboundEvent{{Kind: core.InboundMessage, UserID: "PSID1", ProviderID: "m1", Text: "[file]\n[sticker]", At: at,
				Attachments: []core.InboundAttachment{{Kind: core.AttachmentDocument, URL: "https://x/a.pdf"}, {Kind: core.AttachmentSticker, URL: "https://x/s.png"}}}}},
		{"postback title", `{` + from + `,"postback":{"mid":"m2","title":"Talk to a person","payload":"P"}}`,
			[]core.InboundEvent{{Kind: core.InboundMessage, UserID: "PSID1", ProviderID: "m2", Text: "Talk to a person", At: at}}},
		{"postback without mid gets a stable id", `{` + from + `,"postback":{"payload":"GET_STARTED"}}`,
			[]core.InboundEvent{{Kind: core.InboundMessage, UserID: "PSID1", ProviderID: "postback:PSID1:1460923697635", Text: "GET_STARTED", At: at}}},
		{"echo ignored", `{` + from + `,"message":{"mid":"m3","text":"ours","is_echo":true,"app_id":1}}`,
			[]core.InboundEvent{core.IgnoredEvent("echo of a message sent by the page")}},
		{"delivery mids", `{` + from + `,"delivery":{"mids":["a","b"],"watermark":1460923697635}}`,
			[]core.InboundEvent{{Kind: core.InboundStatus, UserID: "PSID1", ProviderID: "a", Status: core.DeliveryDelivered, At: at},
				{Kind: core.InboundStatus, UserID: "PSID1", ProviderID: "b", Status: core.DeliveryDelivered, At: at}}},
		{"read watermark", `{` + from + `,"read":{"watermark":1460923697000}}`,
			[]core.InboundEvent{{Kind: core.InboundReadUpTo, UserID: "PSID1", At: time.UnixMilli(1460923697000).UTC()}}},
		{"edit", `{` + from + `,"message_edit":{"mid":"m1","text":"Hello","num_edit":1}}`,
			[]core.InboundEvent{{Kind: core.InboundEdit, UserID: "PSID1", ProviderID: "m1", Text: "Hello", At: at}}},
		{"reaction ignored", `{` + from + `,"reaction":{"mid":"m1","action":"react","emoji":"x"}}`,
			[]core.InboundEvent{core.IgnoredEvent("reaction")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := messenger.Normalize([]byte(body(c.items)))
			if err != nil {
				t.Fatal(err)
			}
			if string(metatest.Render(got)) != string(metatest.Render(c.want)) {
				t.Fatalf("got  %s\nwant %s", metatest.Render(got), metatest.Render(c.want))
			}
		})
	}
	// Batches: two entries, messaging and standby, all processed in order.
	batch := `{"object":"page","entry":[{"id":"P","messaging":[{` + from + `,"message":{"mid":"a","text":"1"}}],"standby":[{` + from + `,"message":{"mid":"b","text":"2"}}]},
	 {"id":"P","messaging":[{` + from + `,"message":{"mid":"c","text":"3"}}]}]}`
	evs, err := messenger.Normalize([]byte(batch))
	var ids []string
	for _, e := range evs {
		ids = append(ids, e.ProviderID)
	}
	if err != nil || strings.Join(ids, ",") != "a,b,c" {
		t.Fatalf("batch: %v %v", err, ids)
	}
	if evs, _ := messenger.Normalize([]byte(`{"object":"instagram","entry":[{"messaging":[{` + from + `,"message":{"mid":"a","text":"1"}}]}]}`)); len(evs) != 1 || evs[0].Kind != core.InboundIgnored {
		t.Fatalf("another object: %+v", evs)
	}
	if _, err := messenger.Normalize([]byte(`{"object":"page",`)); err == nil {
		t.Fatal("malformed JSON accepted")
	}
}

// FuzzMessenger: the normaliser never panics and keeps its promises.
// Seeds: testdata/fuzz/FuzzMessenger (from the fixtures).
func FuzzMessenger(f *testing.F) {
	f.Add([]byte(body(`{"sender":{"id":1},"delivery":{"mids":[null,2,"x"]}}`)))
	f.Fuzz(func(t *testing.T, data []byte) {
		evs, err := messenger.Normalize(data)
		if err != nil {
			return
		}
		metatest.CheckEvents(t, evs)
		metatest.CheckAttachments(t, evs)
	})
}
