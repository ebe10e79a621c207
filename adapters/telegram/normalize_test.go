package telegram

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/switchboard-chat/switchboard/core"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden and the fuzz seeds from the fixtures")

// fixtureDir finds shared/fixtures/telegram beside the repository, in
// the nearest directory above the working directory that has it (the
// repository's parent, or that of the worktree's checkout).
func fixtureDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		c := filepath.Join(dir, "shared", "fixtures", "telegram")
		if st, err := os.Stat(c); err == nil && st.IsDir() {
			return c
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	t.Skip("fixtures not found: expected shared/fixtures/telegram above the working directory (../shared/fixtures/telegram beside the repository)")
	return ""
}

func fixtures(t *testing.T) map[string][]byte {
	t.Helper()
	dir := fixtureDir(t)
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatalf("no fixtures in %s", dir)
	}
	out := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimSuffix(filepath.Base(p), ".json")] = b
	}
	return out
}

// golden is what a golden file holds for one fixture.
type golden struct {
	Decoder string            `json:"decoder"` // library, or tolerant when the library refused it
	Event   core.InboundEvent `json:"event"`
}

func render(t *testing.T, body []byte) []byte {
	t.Helper()
	d, err := Decode(body)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	g := golden{Decoder: "library", Event: Normalize(d.Update)}
	if d.Tolerant() {
		g.Decoder = "tolerant" // the library's error text is Go's, not ours: not pinned here
	}
	out, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n')
}

// TestGolden decodes and normalises every fixture of
// shared/fixtures/telegram and compares with testdata/<name>.golden
// (go test -run TestGolden -update rewrites them and the fuzz seeds).
func TestGolden(t *testing.T) {
	fx := fixtures(t)
	for name, body := range fx {
		t.Run(name, func(t *testing.T) {
			got := render(t, body)
			path := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				seed := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(body)))
				if err := os.WriteFile(filepath.Join("testdata", "fuzz", "FuzzDecodeUpdate", name), []byte(seed), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s (run with -update if the change is right):\n%s", name, path, got)
			}
		})
	}
	// No golden file may outlive its fixture.
	goldens, _ := filepath.Glob(filepath.Join("testdata", "*.golden"))
	for _, g := range goldens {
		if _, ok := fx[strings.TrimSuffix(filepath.Base(g), ".golden")]; !ok && !*update {
			t.Errorf("%s has no fixture", g)
		}
	}
}

// TestFixtureFacts pins what SOURCES.md says about the corpus, so the
// golden files cannot silently drift from it.
func TestFixtureFacts(t *testing.T) {
	fx := fixtures(t)
	cases := []struct {
		name     string
		tolerant string // the field the library choked on; "": it decoded
		kind     core.InboundKind
		text     string
	}{
		{"chatwoot__sticker_is_animated_int", "is_animated", core.InboundMessage, "[sticker] 👍"},
		{"tg-guide__inline_query", "inline_query.id", core.InboundIgnored, ""},
		{"tg-guide__callback_query_no_message", "", core.InboundIgnored, ""},
		{"tg-guide__text_start_minimal_no_chat_type", "", core.InboundMessage, "/start"},
		{"chatwoot__group_text", "", core.InboundIgnored, ""},
		{"tg-guide__edited_message", "", core.InboundEdit, "Edited text"},
		{"chatwoot__photo", "", core.InboundMessage, "[photo]"},
		{"chatwoot__document", "", core.InboundMessage, "[document] Screenshot 2021-09-27 at 2.01.14 PM.png"},
		{"chatwoot__caption_only", "", core.InboundMessage, "test"},
		{"tg-guide__forwarded_message", "", core.InboundMessage, "[forwarded] /start"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body, ok := fx[c.name]
			if !ok {
				t.Fatalf("fixture %s missing", c.name)
			}
			d, err := Decode(body)
			if err != nil {
				t.Fatal(err)
			}
			ev := Normalize(d.Update)
			if d.Tolerant() != (c.tolerant != "") || (d.Tolerant() && !strings.Contains(d.LibraryErr.Error(), c.tolerant)) {
				t.Errorf("library error %v, want one about %q", d.LibraryErr, c.tolerant)
			}
			if ev.Kind != c.kind || ev.Text != c.text {
				t.Errorf("kind=%s text=%q; want %s %q", ev.Kind, ev.Text, c.kind, c.text)
			}
		})
	}
	// update_id above 2^31 survives.
	d, err := Decode(fx["chatwoot__text"])
	if err != nil || Normalize(d.Update).UpdateID != 2342342343242 {
		t.Errorf("chatwoot__text update_id: %v %v", Normalize(d.Update).UpdateID, err)
	}
}

func TestDecodeRejectsNonObjects(t *testing.T) {
	for _, body := range []string{"", "   ", "{", "not json", "[]", "[{\"update_id\":1}]", "null", `"text"`, "42", `{"update_id":1} trailing`} {
		t.Run(body, func(t *testing.T) {
			if _, err := Decode([]byte(body)); !errors.Is(err, ErrNotJSON) {
				t.Errorf("Decode(%q) = %v, want ErrNotJSON", body, err)
			}
		})
	}
}

// msg builds a private-chat message update around fields.
func msg(fields string) string {
	return `{"update_id":7,"message":{"message_id":5,"date":1700000000,"chat":{"id":99,"type":"private","first_name":"Ann"},` +
		`"from":{"id":99,"is_bot":false,"first_name":"Ann","last_name":"Lee","username":"annlee"}` + fields + `}}`
}

func TestNormalize(t *testing.T) {
	long := strings.Repeat("é", core.MaxTextLen+50)
	cases := []struct {
		name string
		body string
		want core.InboundEvent
	}{
		{"text", msg(`,"text":"hello"`), core.InboundEvent{Kind: core.InboundMessage, UpdateID: 7, UserID: "99", Name: "Ann Lee", ProviderID: "99:5", Text: "hello", At: time.Unix(1700000000, 0).UTC()}},
		{"start with payload", msg(`,"text":"/start promo-42"`), core.InboundEvent{Kind: core.InboundMessage, UpdateID: 7, UserID: "99", Name: "Ann Lee", ProviderID: "99:5", Text: "/start promo-42", At: time.Unix(1700000000, 0).UTC()}},
		{"photo with caption", msg(`,"photo":[{"file_id":"a","file_unique_id":"b","width":1,"height":1}],"caption":"my receipt"`), core.InboundEvent{Kind: core.InboundMessage, UpdateID: 7, UserID: "99", Name: "Ann Lee", ProviderID: "99:5", Text: "[photo] my receipt", At: time.Unix(1700000000, 0).UTC(),
			Attachments: []core.InboundAttachment{{Kind: core.AttachmentImage, Ref: "a", Caption: "my receipt"}}}},
		{"photo sizes out of order: the largest", msg(`,"photo":[{"file_id":"m","file_unique_id":"m","width":320,"height":240,"file_size":20000},{"file_id":"l","file_unique_id":"l","width":1280,"height":960,"file_size":150000},{"file_id":"s","file_unique_id":"s","width":90,"height":67,"file_size":1200}]`), core.InboundEvent{Kind: core.InboundMessage, UpdateID: 7, UserID: "99", Name: "Ann Lee", ProviderID: "99:5", Text: "[photo]", At: time.Unix(1700000000, 0).UTC(),
			Attachments: []core.InboundAttachment{{Kind: core.AttachmentImage, Ref: "l", Size: 150000}}}},
		{"document with caption", msg(`,"document":{"file_id":"a","file_unique_id":"b","file_name":"inv.pdf"},"caption":"see this"`), core.InboundEvent{Kind: core.InboundMessage, UpdateID: 7, UserID: "99", Name: "Ann Lee", ProviderID: "99:5", Text: "[document] inv.pdf — see this", At: time.Unix(1700000000, 0).UTC(),
			Attachments: []core.InboundAttachment{{Kind: core.AttachmentDocument, Ref: "a", Name: "inv.pdf", Caption: "see this"}}}},
		{"location", msg(`,"location":{"latitude":52.52,"longitude":13.405}`), core.InboundEvent{Kind: core.InboundMessage, UpdateID: 7, UserID: "99", Name: "Ann Lee", ProviderID: "99:5", Text: "[location] 52.520000, 13.405000", At: time.Unix(1700000000, 0).UTC()}},
		{"venue", msg(`,"location":{"latitude":1,"longitude":2},"venue":{"location":{"latitude":1,"longitude":2},"title":"Shop","address":"Main St 1"}`), core.InboundEvent{Kind: core.InboundMessage, UpdateID: 7, UserID: "99", Name: "Ann Lee", ProviderID: "99:5", Text: "[venue] Shop, Main St 1 1.000000, 2.000000", At: time.Unix(1700000000, 0).UTC()}},
		{"contact", msg(`,"contact":{"phone_number":"+491701234567","first_name":"Bob","last_name":"Ray"}`), core.InboundEvent{Kind: core.InboundMessage, UpdateID: 7, UserID: "99", Name: "Ann Lee", ProviderID: "99:5", Text: "[contact] Bob Ray, +491701234567", At: time.Unix(1700000000, 0).UTC()}},
		{"voice", msg(`,"voice":{"file_id":"a","file_unique_id":"b","duration":65}`), core.InboundEvent{Kind: core.InboundMessage, UpdateID: 7, UserID: "99", Name: "Ann Lee", ProviderID: "99:5", Text: "[voice 1:05]", At: time.Unix(1700000000, 0).UTC(),
			Attachments: []core.InboundAttachment{{Kind: core.AttachmentVoice, Ref: "a"}}}},
		{"sticker without emoji", msg(`,"sticker":{"file_id":"a","file_unique_id":"b","width":1,"height":1}`), core.InboundEvent{Kind: core.InboundMessage, UpdateID: 7, UserID: "99", Name: "Ann Lee", ProviderID: "99:5", Text: "[sticker]", At: time.Unix(1700000000, 0).UTC(),
			Attachments: []core.InboundAttachment{{Kind: core.AttachmentSticker, Ref: "a"}}}},
		{"too long is clipped", msg(`,"text":"` + long + `"`), core.InboundEvent{Kind: core.InboundMessage, UpdateID: 7, UserID: "99", Name: "Ann Lee", ProviderID: "99:5", Text: strings.Repeat("é", core.MaxTextLen-1) + "…", At: time.Unix(1700000000, 0).UTC()}},
		{"username when no name", `{"update_id":8,"message":{"message_id":6,"chat":{"id":5,"type":"private"},"from":{"id":5,"first_name":"","username":"neo"},"text":"hi"}}`, core.InboundEvent{Kind: core.InboundMessage, UpdateID: 8, UserID: "5", Name: "neo", ProviderID: "5:6", Text: "hi"}},
		{"service message", msg(`,"pinned_message":{"message_id":1,"date":1,"chat":{"id":99,"type":"private"},"text":"x"}`), core.InboundEvent{Kind: core.InboundIgnored, UpdateID: 7, Why: "message without content the gateway can show (service message)"}},
		{"supergroup", `{"update_id":9,"message":{"message_id":1,"chat":{"id":-100123,"type":"supergroup","title":"G"},"text":"hi"}}`, core.InboundEvent{Kind: core.InboundIgnored, UpdateID: 9, Why: "message: supergroup chat: only private chats are served (groups are not configurable yet)"}},
		{"untyped negative chat", `{"update_id":9,"message":{"message_id":1,"chat":{"id":-5},"text":"hi"}}`, core.InboundEvent{Kind: core.InboundIgnored, UpdateID: 9, Why: "message: chat without a type and a non-private id"}},
		{"message without chat", `{"update_id":9,"message":{"message_id":1,"text":"hi"}}`, core.InboundEvent{Kind: core.InboundIgnored, UpdateID: 9, Why: "message: no chat"}},
		{"channel post", `{"update_id":9,"channel_post":{"message_id":1,"chat":{"id":-100,"type":"channel"},"text":"hi"}}`, core.InboundEvent{Kind: core.InboundIgnored, UpdateID: 9, Why: "channel post: channels are not served"}},
		{"edited caption", `{"update_id":10,"edited_message":{"message_id":5,"date":1,"edit_date":2,"chat":{"id":99,"type":"private"},"photo":[{"file_id":"a","file_unique_id":"b","width":1,"height":1}],"caption":"new"}}`, core.InboundEvent{Kind: core.InboundEdit, UpdateID: 10, UserID: "99", ProviderID: "99:5", Text: "[photo] new"}},
		{"callback with message", `{"update_id":11,"callback_query":{"id":"cb1","from":{"id":99,"first_name":"Ann"},"data":"plan:pro","chat_instance":"x","message":{"message_id":3,"date":1,"chat":{"id":99,"type":"private"},"text":"Pick one"}}}`, core.InboundEvent{Kind: core.InboundMessage, UpdateID: 11, UserID: "99", Name: "Ann", ProviderID: "cq:cb1", Text: "plan:pro", CallbackID: "cb1"}},
		{"callback in a group", `{"update_id":12,"callback_query":{"id":"cb2","from":{"id":99,"first_name":"Ann"},"data":"x","message":{"message_id":3,"date":1,"chat":{"id":-7,"type":"group"}}}}`, core.InboundEvent{Kind: core.InboundIgnored, UpdateID: 12, CallbackID: "cb2", Why: "callback_query: group chat: only private chats are served (groups are not configurable yet)"}},
		{"callback of a game", `{"update_id":13,"callback_query":{"id":"cb3","from":{"id":99},"game_short_name":"g","message":{"message_id":3,"date":1,"chat":{"id":99,"type":"private"}}}}`, core.InboundEvent{Kind: core.InboundIgnored, UpdateID: 13, CallbackID: "cb3", Why: "callback_query without data (a game)"}},
		{"empty update", `{"update_id":14}`, core.InboundEvent{Kind: core.InboundIgnored, UpdateID: 14, Why: "update without a kind the gateway knows"}},
		{"my_chat_member", `{"update_id":15,"my_chat_member":{"chat":{"id":99,"type":"private"},"from":{"id":99},"date":1,"old_chat_member":{"status":"member","user":{"id":1}},"new_chat_member":{"status":"kicked","user":{"id":1}}}}`, core.InboundEvent{Kind: core.InboundIgnored, UpdateID: 15, Why: "chat member update"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := Decode([]byte(c.body))
			if err != nil {
				t.Fatal(err)
			}
			if got := Normalize(d.Update); !reflect.DeepEqual(got, c.want) {
				t.Errorf("Normalize:\n got %+v\nwant %+v", got, c.want)
			}
		})
	}
}

// TestTolerantMatchesLibrary checks that the tolerant reading of an update
// the library can decode normalises the same way (the fallback is no
// second, drifting implementation).
func TestTolerantMatchesLibrary(t *testing.T) {
	for name, body := range fixtures(t) {
		t.Run(name, func(t *testing.T) {
			var raw map[string]any
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.UseNumber()
			if err := dec.Decode(&raw); err != nil {
				t.Fatal(err)
			}
			d, err := Decode(body)
			if err != nil {
				t.Fatal(err)
			}
			lib, tol := Normalize(d.Update), Normalize(tolerantUpdate(raw))
			if !reflect.DeepEqual(lib, tol) {
				t.Errorf("library %+v\ntolerant %+v", lib, tol)
			}
		})
	}
}

// FuzzDecodeUpdate: decoding and normalising any input never panics, and
// a customer message always has a chat, a provider id and valid text
// within core's limit. Seeds: testdata/fuzz/FuzzDecodeUpdate (the
// fixtures) plus the cases below.
func FuzzDecodeUpdate(f *testing.F) {
	for _, s := range []string{`{}`, `{"update_id":1,"callback_query":{"id":"x"}}`,
		`{"update_id":1,"message":{"message_id":1,"chat":{"id":1},"sticker":{"is_animated":1}}}`,
		`{"update_id":"1","message":{"message_id":1.5,"chat":{"id":"1"},"text":7}}`,
		`{"update_id":1,"edited_message":{"message_id":2,"chat":{"id":3,"type":"private"},"venue":{}}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := Decode(body)
		if err != nil {
			if !errors.Is(err, ErrNotJSON) {
				t.Fatalf("error %v is not ErrNotJSON", err)
			}
			return
		}
		ev := Normalize(d.Update)
		switch ev.Kind {
		case core.InboundMessage, core.InboundEdit:
			if ev.UserID == "" || ev.ProviderID == "" || strings.TrimSpace(ev.Text) == "" || !utf8.ValidString(ev.Text) ||
				utf8.RuneCountInString(ev.Text) > core.MaxTextLen {
				t.Fatalf("bad event %+v", ev)
			}
			for _, a := range ev.Attachments {
				if ev.Kind != core.InboundMessage || a.Kind == "" || a.Ref == "" || a.Size < 0 || !utf8.ValidString(a.Caption) ||
					!utf8.ValidString(a.Name) || !utf8.ValidString(a.MIME) {
					t.Fatalf("bad attachment %+v of %+v", a, ev)
				}
			}
		case core.InboundIgnored:
			if ev.Why == "" {
				t.Fatalf("ignored without reason: %+v", ev)
			}
		default:
			t.Fatalf("unknown kind %q", ev.Kind)
		}
	})
}
