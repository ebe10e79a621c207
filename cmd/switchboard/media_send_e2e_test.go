package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/switchboard-chat/switchboard/adapters/telegram/telegramtest"
)

// fakeUploads is the Graph API of three Meta channels under one server
// (/wa, /fb, /ig): texts are JSON and answered with ids; files are
// multipart uploads, recorded with their bytes and the token that came
// with them (WhatsApp's /media upload, and the Send API's filedata).
type fakeUploads struct {
	mu       sync.Mutex
	uploads  []fileUpload
	messages []graphSend
}

type fileUpload struct {
	Path, Auth, Field, Name string
	Fields                  map[string]string
	Data                    []byte
}

func newFakeUploads(t *testing.T) (*fakeUploads, *httptest.Server) {
	f := &fakeUploads{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodGet { // a profile look-up
			io.WriteString(w, `{"first_name":"Sam","last_name":"Lee","name":"Sam Lee"}`)
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		n := len(f.uploads) + len(f.messages) + 1
		mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if mt == "multipart/form-data" {
			up := fileUpload{Path: r.URL.Path, Auth: r.Header.Get("Authorization"), Fields: map[string]string{}}
			mr := multipart.NewReader(r.Body, params["boundary"])
			for {
				p, err := mr.NextPart()
				if err != nil {
					break
				}
				b, _ := io.ReadAll(p)
				if p.FileName() != "" {
					up.Field, up.Name, up.Data = p.FormName(), p.FileName(), b
				} else {
					up.Fields[p.FormName()] = string(b)
				}
			}
			f.uploads = append(f.uploads, up)
			if strings.HasSuffix(r.URL.Path, "/media") {
				fmt.Fprintf(w, `{"id":"MEDIA%d"}`, n)
				return
			}
			fmt.Fprintf(w, `{"recipient_id":"x","message_id":"m_file%d"}`, n)
			return
		}
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Errorf("fake graph: body is not JSON: %v", err)
		}
		id := fmt.Sprintf("out%d", n)
		f.messages = append(f.messages, graphSend{r.Method, r.URL.Path, r.Header.Get("Authorization"), body, id})
		to := fmt.Sprint(body["to"])
		json.NewEncoder(w).Encode(map[string]any{"messaging_product": "whatsapp",
			"contacts": []any{map[string]any{"input": to, "wa_id": to}}, "messages": []any{map[string]any{"id": "wamid." + id}}, "message_id": "m_" + id})
	}))
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeUploads) upload(pathPrefix string) (fileUpload, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, u := range f.uploads {
		if strings.HasPrefix(u.Path, pathPrefix) {
			return u, true
		}
	}
	return fileUpload{}, false
}

func (f *fakeUploads) message(path, typ string) (graphSend, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range f.messages {
		if m.Path == path && m.Body["type"] == typ {
			return m, true
		}
	}
	return graphSend{}, false
}

func (f *fakeUploads) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.uploads)
}

// postFile sends a multipart upload of one file (and a text) with the
// agent's token.
func (s *server) postFile(path, token, name string, data []byte, text string) response {
	s.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	if text != "" {
		mw.WriteField("text", text)
	}
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, s.base+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

// TestAgentFileReachesEveryProvider: a customer on WhatsApp, Messenger,
// Instagram and Telegram asks for a person; the agent sends each a PDF
// through POST /v1/conversations/{id}/attachments, and it reaches each
// provider's fake through its real upload API, byte for byte, with the
// channel's token; the message is delivered. Files a provider refuses
// (a GIF or a photo over 5 MB for WhatsApp) are refused with 415 and 413
// naming the limit, and nothing is stored or sent.
func TestAgentFileReachesEveryProvider(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			graph, gsrv := newFakeUploads(t)
			tg := telegramtest.New(t)
			s := startServerWith(t, b, t.TempDir(), fmt.Sprintf(`channels:
  - {id: web, type: widget}
  - {id: wa, type: whatsapp, phone_number_id: "1122334455", access_token: "wa-token", app_secret: "wa-secret", verify_token: "v", graph_url: %q}
  - {id: fb, type: messenger, page_id: "PAGE", page_token: "fb-token", app_secret: "fb-secret", verify_token: "v", graph_url: %q}
  - {id: ig, type: instagram, account_id: "IGACC", access_token: "ig-token", app_secret: "ig-secret", verify_token: "v", graph_url: %q}
  - {id: tg, type: telegram, bot_token: %q, secret_token: %q, api_url: %q}
`, gsrv.URL+"/wa/v21.0", gsrv.URL+"/fb/v21.0", gsrv.URL+"/ig/v21.0", tg.Token, tgSecret, tg.URL()))
			signed := func(ch, secret, body string) { liveSigned(t, s, ch, secret, body) }
			admin := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}), "token")
			s.must(201, "POST", "/v1/admin/agents", admin, map[string]any{"email": "files@example.com", "name": "Fay", "password": "secret-pass", "max_chats": 4})
			agent := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": "files@example.com", "password": "secret-pass"}), "token")
			s.must(200, "PUT", "/v1/me/status", agent, map[string]any{"online": true})

			const ask = "talk to a person"
			signed("wa", "wa-secret", `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"phone_number_id":"1122334455"},"contacts":[{"profile":{"name":"Walter White"},"wa_id":"4915112345678"}],"messages":[{"from":"4915112345678","id":"wamid.ask","timestamp":"1700000000","type":"text","text":{"body":"`+ask+`"}}]}}]}]}`)
			metaBody := func(object, user, mid string) string {
				return `{"object":"` + object + `","entry":[{"id":"PAGE","time":1700000000000,"messaging":[{"sender":{"id":"` + user +
					`"},"recipient":{"id":"PAGE"},"timestamp":1700000000000,"message":{"mid":"` + mid + `","text":"` + ask + `"}}]}]}`
			}
			signed("fb", "fb-secret", metaBody("page", "PSID1", "m_ask"))
			signed("ig", "ig-secret", metaBody("instagram", "IGSID1", "ig_ask"))
			if st := tgPost(t, s, tgSecret, tgText(20, 1, ask)); st != 200 {
				t.Fatalf("telegram webhook: %d", st)
			}

			convs := acceptOffered(t, s, agent, 4) // channel → conversation

			pdf := append([]byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), bytes.Repeat([]byte("1 0 obj << /Type /Page >> endobj\n"), 3000)...)
			for _, ch := range []string{"wa", "fb", "ig", "tg"} {
				r := s.postFile("/v1/conversations/"+convs[ch]+"/attachments", agent, "invoice-117.pdf", pdf, "Your invoice")
				if r.status != 202 {
					t.Fatalf("%s: upload %d %s", ch, r.status, r.raw)
				}
				m, _ := r.body["message"].(map[string]any)
				atts, _ := m["attachments"].([]any)
				if m["delivery"] != "queued" || m["text"] != "Your invoice" || len(atts) != 1 {
					t.Fatalf("%s: message %s", ch, r.raw)
				}
				if a := atts[0].(map[string]any); a["status"] != "ready" || a["content_type"] != "application/pdf" || a["kind"] != "document" || a["name"] != "invoice-117.pdf" {
					t.Fatalf("%s: attachment %v", ch, a)
				}
				id := str(m, "id")
				eventually(t, ch+": the PDF delivered", func() bool {
					for _, mm := range list(s.must(200, "GET", "/v1/conversations/"+convs[ch], agent, nil), "messages") {
						if str(mm, "id") == id {
							return mm["delivery"] == "sent"
						}
					}
					return false
				})
			}

			// WhatsApp: the upload, then the message by media id.
			up, ok := graph.upload("/wa/v21.0/1122334455/media")
			if !ok || up.Auth != "Bearer wa-token" || up.Field != "file" || !bytes.Equal(up.Data, pdf) ||
				up.Fields["messaging_product"] != "whatsapp" || up.Fields["type"] != "application/pdf" {
				t.Fatalf("whatsapp upload %+v (%d bytes)", up.Fields, len(up.Data))
			}
			doc, ok := graph.message("/wa/v21.0/1122334455/messages", "document")
			if d, _ := doc.Body["document"].(map[string]any); !ok || doc.Auth != "Bearer wa-token" || !strings.HasPrefix(fmt.Sprint(d["id"]), "MEDIA") ||
				d["filename"] != "invoice-117.pdf" || d["caption"] != "Your invoice" {
				t.Fatalf("whatsapp document message %v", doc.Body)
			}
			// Messenger and Instagram: the Send API with the file as filedata.
			for _, c := range []struct{ path, token string }{{"/fb/v21.0/me/messages", "fb-token"}, {"/ig/v21.0/me/messages", "ig-token"}} {
				up, ok := graph.upload(c.path)
				if !ok || up.Auth != "Bearer "+c.token || up.Field != "filedata" || !bytes.Equal(up.Data, pdf) ||
					!strings.Contains(up.Fields["message"], `"type":"file"`) {
					t.Fatalf("%s upload %+v (%d bytes)", c.path, up.Fields, len(up.Data))
				}
			}
			// Telegram: sendDocument, multipart, with the caption.
			calls := tg.Calls("sendDocument")
			if len(calls) != 1 || !bytes.Equal(calls[0].Files["document"].Data, pdf) || calls[0].Params.Get("caption") != "Your invoice" ||
				calls[0].Params.Get("chat_id") != "5550123" {
				t.Fatalf("telegram sendDocument %+v", calls)
			}

			// Refused before anything is stored or sent.
			before, msgs := graph.count(), len(list(s.must(200, "GET", "/v1/conversations/"+convs["wa"], agent, nil), "messages"))
			var g bytes.Buffer
			gif.Encode(&g, image.NewPaletted(image.Rect(0, 0, 2, 2), color.Palette{color.White, color.Black}), nil)
			r := s.postFile("/v1/conversations/"+convs["wa"]+"/attachments", agent, "funny.gif", g.Bytes(), "")
			wantRefusal(t, r, 415, "unsupported_media_type", "WhatsApp does not take image/gif as images")
			var j bytes.Buffer
			jpeg.Encode(&j, image.NewRGBA(image.Rect(0, 0, 8, 8)), nil)
			big := append(j.Bytes(), make([]byte, 5<<20)...)
			r = s.postFile("/v1/conversations/"+convs["wa"]+"/attachments", agent, "big.jpg", big, "")
			wantRefusal(t, r, 413, "payload_too_large", "WhatsApp accepts images up to 5 MB")
			r = s.postFile("/v1/conversations/"+convs["wa"]+"/attachments", agent, "page.png", []byte("<html><script>alert(1)</script></html>"), "")
			wantRefusal(t, r, 415, "unsupported_media_type", "text/html")
			if n := len(list(s.must(200, "GET", "/v1/conversations/"+convs["wa"], agent, nil), "messages")); n != msgs || graph.count() != before {
				t.Fatalf("a refused file changed something: %d messages (was %d), %d uploads (was %d)", n, msgs, graph.count(), before)
			}
			// Only the assigned agent sends.
			r = s.postFile("/v1/conversations/"+convs["wa"]+"/attachments", admin, "a.pdf", pdf, "")
			wantRefusal(t, r, 403, "forbidden", "")
		})
	}
}

func wantRefusal(t *testing.T, r response, status int, code, inMessage string) {
	t.Helper()
	e, _ := r.body["error"].(map[string]any)
	if r.status != status || e == nil || e["code"] != code || !strings.Contains(fmt.Sprint(e["message"]), inMessage) {
		t.Fatalf("got %d %s, want %d %s naming %q", r.status, r.raw, status, code, inMessage)
	}
}
