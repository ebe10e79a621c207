package meta_test

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
	"sync"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/adapters/meta"
	"github.com/switchboard-chat/switchboard/core"
)

// sendAPIFiles is a fake Send API that takes texts (JSON) and files
// (multipart with filedata) on POST /v21.0/me/messages.
type sendAPIFiles struct {
	t  *testing.T
	mu sync.Mutex
	// calls are the texts ("text:…") and files ("file:<type>") in order.
	calls  []string
	fields []map[string]string
	data   [][]byte
	ctypes []string
	names  []string
}

func (f *sendAPIFiles) serve(tok string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := f.t
		if r.Method != http.MethodPost || r.URL.Path != "/v21.0/me/messages" || r.Header.Get("Authorization") != "Bearer "+tok {
			t.Errorf("%s %s auth %q", r.Method, r.URL.Path, r.Header.Get("Authorization"))
		}
		mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		f.mu.Lock()
		defer f.mu.Unlock()
		n := len(f.calls) + 1
		switch mt {
		case "application/json":
			var b struct {
				Message struct{ Text string } `json:"message"`
			}
			json.NewDecoder(r.Body).Decode(&b)
			f.calls = append(f.calls, "text:"+b.Message.Text)
		case "multipart/form-data":
			mr := multipart.NewReader(r.Body, params["boundary"])
			fields := map[string]string{}
			for {
				p, err := mr.NextPart()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("multipart: %v", err)
				}
				b, _ := io.ReadAll(p)
				if p.FormName() == "filedata" {
					f.data = append(f.data, b)
					f.ctypes = append(f.ctypes, p.Header.Get("Content-Type"))
					f.names = append(f.names, p.FileName())
					continue
				}
				fields[p.FormName()] = string(b)
			}
			var msg struct {
				Attachment struct {
					Type    string `json:"type"`
					Payload struct {
						IsReusable *bool `json:"is_reusable"`
					} `json:"payload"`
				} `json:"attachment"`
			}
			if err := json.Unmarshal([]byte(fields["message"]), &msg); err != nil || msg.Attachment.Payload.IsReusable == nil || *msg.Attachment.Payload.IsReusable {
				t.Errorf("message field %q", fields["message"])
			}
			f.calls = append(f.calls, "file:"+msg.Attachment.Type)
			f.fields = append(f.fields, fields)
		default:
			t.Errorf("content type %q", mt)
		}
		io.WriteString(w, `{"recipient_id":"PSID","message_id":"m_`+string(rune('0'+n))+`"}`)
	}))
	f.t.Cleanup(srv.Close)
	return srv.URL + "/v21.0"
}

func TestMessagingSenderFile(t *testing.T) {
	const tok = "EAA-page-token"
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	lim := core.MediaLimits{Channel: "Messenger", MaxBytes: map[core.AttachmentKind]int64{
		core.AttachmentImage: 25 * core.MB, core.AttachmentDocument: 25 * core.MB, core.AttachmentVoice: 25 * core.MB},
		Types: map[core.AttachmentKind][]string{core.AttachmentImage: {"image/jpeg", "image/png", "image/gif"}}}
	pdf := append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("x"), 70000)...)
	out := func(kind core.AttachmentKind, mimeType, name string, data []byte, text string, seen time.Time) core.Outbound {
		return core.Outbound{Customer: core.Customer{ChannelUserID: "PSID", LastSeenAt: seen}, Text: text, Author: core.AuthorAgent,
			File: &core.OutboundFile{Kind: kind, MIME: mimeType, Name: name, Size: int64(len(data)),
				Open: func(context.Context) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}}
	}
	t.Run("a PDF with a caption", func(t *testing.T) {
		api := &sendAPIFiles{t: t}
		s := &meta.MessagingSender{Client: meta.NewClient(api.serve(tok), tok, nil), Limits: lim, MaxText: 2000, Now: func() time.Time { return now }}
		id, err := s.Send(context.Background(), out(core.AttachmentDocument, "application/pdf", "invoice.pdf", pdf, "Here it is", now.Add(-time.Hour)))
		if err != nil {
			t.Fatal(err)
		}
		if id != "m_2" || len(api.calls) != 2 || api.calls[0] != "text:Here it is" || api.calls[1] != "file:file" {
			t.Fatalf("id %q, calls %v", id, api.calls)
		}
		if !bytes.Equal(api.data[0], pdf) || api.ctypes[0] != "application/pdf" || api.names[0] != "invoice.pdf" {
			t.Errorf("filedata: %d bytes %q %q", len(api.data[0]), api.ctypes[0], api.names[0])
		}
		if f := api.fields[0]; f["recipient"] != `{"id":"PSID"}` || f["messaging_type"] != "RESPONSE" || f["tag"] != "" {
			t.Errorf("fields %v", f)
		}
	})
	t.Run("a voice note after 24 h: HUMAN_AGENT tag, no caption", func(t *testing.T) {
		api := &sendAPIFiles{t: t}
		s := &meta.MessagingSender{Client: meta.NewClient(api.serve(tok), tok, nil), Limits: lim, MaxText: 2000, Now: func() time.Time { return now }}
		_, err := s.Send(context.Background(), out(core.AttachmentVoice, "audio/mp4", "note.m4a", []byte("....ftypM4A "), "", now.Add(-48*time.Hour)))
		if err != nil {
			t.Fatal(err)
		}
		if len(api.calls) != 1 || api.calls[0] != "file:audio" || api.fields[0]["messaging_type"] != "MESSAGE_TAG" || api.fields[0]["tag"] != "HUMAN_AGENT" {
			t.Errorf("calls %v fields %v", api.calls, api.fields)
		}
	})
	for _, c := range []struct {
		name, code string
		o          core.Outbound
	}{
		{"over 25 MB", "payload_too_large", out(core.AttachmentDocument, "application/pdf", "big.pdf", make([]byte, 25*core.MB+1), "x", now)},
		{"a WebP photo", "unsupported_media_type", out(core.AttachmentImage, "image/webp", "a.webp", []byte("RIFF....WEBP"), "x", now)},
		{"a sticker", "unsupported_media_type", out(core.AttachmentSticker, "image/webp", "s.webp", []byte("RIFF....WEBP"), "", now)},
	} {
		t.Run(c.name+" is refused before anything is sent", func(t *testing.T) {
			api := &sendAPIFiles{t: t}
			s := &meta.MessagingSender{Client: meta.NewClient(api.serve(tok), tok, nil), Limits: lim, MaxText: 2000, Now: func() time.Time { return now }}
			_, err := s.Send(context.Background(), c.o)
			de, ok := errors.AsType[*core.DeliveryError](err)
			if !ok || !de.Permanent || de.Code != c.code {
				t.Fatalf("err %v, want a permanent %s", err, c.code)
			}
			if len(api.calls) != 0 {
				t.Errorf("sent: %v", api.calls)
			}
		})
	}
}
