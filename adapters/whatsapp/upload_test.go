package whatsapp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/switchboard-chat/switchboard/adapters/whatsapp"
	"github.com/switchboard-chat/switchboard/core"
)

// cloudAPI is a fake Cloud API for outbound files: POST
// /v21.0/{phone}/media takes a multipart upload and answers a media id,
// POST /v21.0/{phone}/messages takes the message. It records both.
type cloudAPI struct {
	t           *testing.T
	uploadFails int // answer 500 to this many uploads first

	mu       sync.Mutex
	uploads  []upload
	messages []map[string]any
}

type upload struct {
	fields   map[string]string
	name     string
	ctype    string
	data     []byte
	hasField bool
}

func (c *cloudAPI) serve() *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := c.t
		if r.Method != http.MethodPost || r.Header.Get("Authorization") != "Bearer "+token {
			t.Errorf("%s %s auth %q", r.Method, r.URL.Path, r.Header.Get("Authorization"))
		}
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/v21.0/1122334455/media":
			c.mu.Lock()
			fail := c.uploadFails > 0
			c.uploadFails--
			c.mu.Unlock()
			if fail {
				w.WriteHeader(500)
				io.WriteString(w, `{"error":{"message":"Service temporarily unavailable","code":2,"is_transient":true}}`)
				return
			}
			mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
			if mt != "multipart/form-data" {
				t.Errorf("upload content type %q", mt)
			}
			up := upload{fields: map[string]string{}}
			mr := multipart.NewReader(r.Body, params["boundary"])
			for {
				p, err := mr.NextPart()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("upload body: %v", err)
				}
				b, _ := io.ReadAll(p)
				if p.FormName() == "file" {
					up.hasField, up.name, up.ctype, up.data = true, p.FileName(), p.Header.Get("Content-Type"), b
					continue
				}
				up.fields[p.FormName()] = string(b)
			}
			c.mu.Lock()
			c.uploads = append(c.uploads, up)
			c.mu.Unlock()
			io.WriteString(w, `{"id":"4490709327384033"}`)
		case "/v21.0/1122334455/messages":
			var b map[string]any
			if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
				t.Errorf("message body: %v", err)
			}
			c.mu.Lock()
			c.messages = append(c.messages, b)
			n := len(c.messages)
			c.mu.Unlock()
			io.WriteString(w, `{"messaging_product":"whatsapp","contacts":[{"input":"4915112345678","wa_id":"4915112345678"}],"messages":[{"id":"wamid.M`+string(rune('0'+n))+`"}]}`)
		default:
			t.Errorf("unexpected path %s", r.URL.Path)
		}
	}))
	c.t.Cleanup(srv.Close)
	return srv
}

func fileOut(kind core.AttachmentKind, mimeType, name string, data []byte, caption string) core.Outbound {
	return core.Outbound{MessageID: "m1", Channel: core.Channel{ID: "wa", Type: "whatsapp"}, Text: caption,
		Customer: core.Customer{ChannelUserID: "4915112345678"}, Author: core.AuthorAgent,
		File: &core.OutboundFile{Kind: kind, MIME: mimeType, Name: name, Size: int64(len(data)),
			Open: func(context.Context) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}}
}

func TestSendFile(t *testing.T) {
	pdf := append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("invoice "), 5000)...)
	jpeg := append([]byte{0xff, 0xd8, 0xff, 0xe0}, bytes.Repeat([]byte{9}, 2048)...)
	ogg := append([]byte("OggS"), bytes.Repeat([]byte{3}, 1000)...)
	cases := []struct {
		name      string
		out       core.Outbound
		wantType  string
		wantMedia map[string]any
		wantTexts []string // text messages sent before the file
	}{
		{"document with its name and caption", fileOut(core.AttachmentDocument, "application/pdf", "invoice-117.pdf", pdf, "Your invoice"),
			"document", map[string]any{"id": "4490709327384033", "caption": "Your invoice", "filename": "invoice-117.pdf"}, nil},
		{"photo with caption", fileOut(core.AttachmentImage, "image/jpeg", "shot.jpg", jpeg, "Is it this one?"),
			"image", map[string]any{"id": "4490709327384033", "caption": "Is it this one?"}, nil},
		{"voice note: the caption goes first as text", fileOut(core.AttachmentVoice, "audio/ogg; codecs=opus", "note.ogg", ogg, "Listen to this"),
			"audio", map[string]any{"id": "4490709327384033"}, []string{"Listen to this"}},
		{"caption too long for a caption", fileOut(core.AttachmentImage, "image/jpeg", "shot.jpg", jpeg, strings.Repeat("a", whatsapp.MaxCaption+1)),
			"image", map[string]any{"id": "4490709327384033"}, []string{strings.Repeat("a", whatsapp.MaxCaption+1)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			api := &cloudAPI{t: t}
			srv := api.serve()
			pid, err := whatsapp.NewSender(srv.URL+"/v21.0", "1122334455", token, srv.Client(), srv.Client()).Send(context.Background(), c.out)
			if err != nil {
				t.Fatal(err)
			}
			if len(api.uploads) != 1 {
				t.Fatalf("%d uploads", len(api.uploads))
			}
			up := api.uploads[0]
			f := c.out.File
			if !up.hasField || up.name != f.Name || up.ctype != core.BaseMIME(f.MIME) || !bytes.Equal(up.data, mustRead(t, f)) {
				t.Errorf("upload: file %v %q %q, %d bytes", up.hasField, up.name, up.ctype, len(up.data))
			}
			if up.fields["messaging_product"] != "whatsapp" || up.fields["type"] != core.BaseMIME(f.MIME) {
				t.Errorf("upload fields %v", up.fields)
			}
			if len(api.messages) != len(c.wantTexts)+1 {
				t.Fatalf("%d messages: %v", len(api.messages), api.messages)
			}
			for i, text := range c.wantTexts {
				if m := api.messages[i]; m["type"] != "text" || m["text"].(map[string]any)["body"] != text {
					t.Errorf("message %d = %v, want the text", i, m)
				}
			}
			last := api.messages[len(api.messages)-1]
			if last["type"] != c.wantType || last["to"] != "4915112345678" || last["messaging_product"] != "whatsapp" {
				t.Errorf("file message %v", last)
			}
			got, _ := json.Marshal(last[c.wantType])
			want, _ := json.Marshal(c.wantMedia)
			if string(got) != string(want) {
				t.Errorf("%s = %s, want %s", c.wantType, got, want)
			}
			if wantPID := "wamid.M" + string(rune('0'+len(api.messages))); pid != wantPID {
				t.Errorf("provider id %q, want %q", pid, wantPID)
			}
		})
	}
}

func mustRead(t *testing.T, f *core.OutboundFile) []byte {
	t.Helper()
	rc, err := f.Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	return b
}

func TestSendFileRefusals(t *testing.T) {
	big := make([]byte, 5*core.MB+1)
	cases := []struct {
		name, code, reason string
		out                core.Outbound
	}{
		{"photo over 5 MB", "payload_too_large", "WhatsApp accepts images up to 5 MB",
			fileOut(core.AttachmentImage, "image/jpeg", "big.jpg", big, "")},
		{"GIF photo", "unsupported_media_type", "WhatsApp does not take image/gif as images (it takes image/jpeg, image/png)",
			fileOut(core.AttachmentImage, "image/gif", "a.gif", []byte("GIF89a"), "")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			api := &cloudAPI{t: t}
			srv := api.serve()
			_, err := whatsapp.NewSender(srv.URL+"/v21.0", "1122334455", token, srv.Client(), srv.Client()).Send(context.Background(), c.out)
			var de *core.DeliveryError
			if !errors.As(err, &de) || !de.Permanent || de.Code != c.code || de.Reason != c.reason {
				t.Fatalf("err %#v, want a permanent %s %q", err, c.code, c.reason)
			}
			if len(api.uploads)+len(api.messages) != 0 {
				t.Errorf("something was sent: %d uploads, %d messages", len(api.uploads), len(api.messages))
			}
		})
	}

	t.Run("upload 500 is retried, then sends", func(t *testing.T) {
		api := &cloudAPI{t: t, uploadFails: 1}
		srv := api.serve()
		s := whatsapp.NewSender(srv.URL+"/v21.0", "1122334455", token, srv.Client(), srv.Client())
		out := fileOut(core.AttachmentDocument, "application/pdf", "a.pdf", []byte("%PDF-1.4 x"), "")
		_, err := s.Send(context.Background(), out)
		if err == nil {
			t.Fatal("no error")
		}
		if _, ok := errors.AsType[*core.DeliveryError](err); ok {
			t.Fatalf("a transient upload failure is permanent: %v", err)
		}
		if len(api.messages) != 0 {
			t.Fatalf("a message was sent without its file")
		}
		if _, err := s.Send(context.Background(), out); err != nil {
			t.Fatalf("retry: %v", err)
		}
		if len(api.uploads) != 1 || len(api.messages) != 1 {
			t.Errorf("%d uploads, %d messages", len(api.uploads), len(api.messages))
		}
	})

	t.Run("the blob store fails: retried, nothing sent", func(t *testing.T) {
		api := &cloudAPI{t: t}
		srv := api.serve()
		out := fileOut(core.AttachmentDocument, "application/pdf", "a.pdf", []byte("%PDF"), "")
		out.File.Open = func(context.Context) (io.ReadCloser, error) { return nil, errors.New("blob store down") }
		_, err := whatsapp.NewSender(srv.URL+"/v21.0", "1122334455", token, srv.Client(), srv.Client()).Send(context.Background(), out)
		if _, ok := errors.AsType[*core.DeliveryError](err); err == nil || ok {
			t.Fatalf("err %v, want a transient one", err)
		}
		if len(api.uploads)+len(api.messages) != 0 {
			t.Errorf("something was sent")
		}
	})
}
