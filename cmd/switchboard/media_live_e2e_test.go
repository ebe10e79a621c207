package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	_ "image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/switchboard-chat/switchboard/adapters/blobstore/s3test"
	"github.com/switchboard-chat/switchboard/adapters/telegram/telegramtest"
	"github.com/switchboard-chat/switchboard/cmd/internal/samplemedia"
)

// Tokens and secrets of the channels TestMediaArrivesLive configures; the
// fake providers refuse a request without the right one.
const (
	liveWAToken, liveWASecret = "wa-media-token", "wa-media-secret"
	liveFBToken, liveFBSecret = "fb-media-token", "fb-media-secret"
	liveWAPhoneID             = "1122334455667" // the fixture's phone_number_id
	liveWAUser                = "972987654321"  // the fixture's wa_id
	liveFBUser                = "PSID-MEDIA-1"
	liveFBSig                 = "oh=00_AfBsignedCDN"
)

// mediaGraph is the Graph API (WhatsApp's media look-up and its
// token-guarded CDN) and Messenger's signed CDN in one fake: it serves
// real bytes only to a request that carries what the provider would ask
// for (the WhatsApp access token on both steps; the signature in the
// Messenger URL), answers any send with an id, and counts downloads.
type mediaGraph struct {
	mu        sync.Mutex
	srv       *httptest.Server
	waMedia   map[string][]byte // media id → bytes (image/jpeg)
	fbFiles   map[string][]byte // CDN file name → bytes (application/pdf)
	downloads []string
	refused   []string
}

func newMediaGraph(t *testing.T) *mediaGraph {
	t.Helper()
	g := &mediaGraph{waMedia: map[string][]byte{}, fbFiles: map[string][]byte{}}
	g.srv = httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(g.srv.Close)
	return g
}

func (g *mediaGraph) refuse(w http.ResponseWriter, r *http.Request, status int) {
	g.mu.Lock()
	g.refused = append(g.refused, r.Method+" "+r.URL.Path)
	g.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, `{"error":{"message":"Invalid OAuth access token.","type":"OAuthException","code":190}}`)
}

func (g *mediaGraph) serve(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case r.Method == http.MethodGet && strings.HasPrefix(p, "/wa-cdn/"):
		// lookaside.fbsbx.com: the bytes, for the same bearer token.
		if r.Header.Get("Authorization") != "Bearer "+liveWAToken {
			g.refuse(w, r, http.StatusUnauthorized)
			return
		}
		g.mu.Lock()
		data, ok := g.waMedia[strings.TrimPrefix(p, "/wa-cdn/")]
		g.downloads = append(g.downloads, "wa "+p)
		g.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(data)
	case r.Method == http.MethodGet && strings.HasPrefix(p, "/fb-cdn/"):
		// cdn.fbsbx.com: a signed URL, no token.
		if r.URL.Query().Get("oh") != strings.TrimPrefix(liveFBSig, "oh=") || r.Header.Get("Authorization") != "" {
			g.refuse(w, r, http.StatusForbidden)
			return
		}
		name := strings.TrimPrefix(p, "/fb-cdn/")
		g.mu.Lock()
		data, ok := g.fbFiles[name]
		g.downloads = append(g.downloads, "fb "+p)
		g.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/pdf")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
		w.Write(data)
	case r.Method == http.MethodGet && strings.HasPrefix(p, "/wa/"):
		// GET /{media-id}: where the file is, with the token.
		if r.Header.Get("Authorization") != "Bearer "+liveWAToken {
			g.refuse(w, r, http.StatusUnauthorized)
			return
		}
		id := p[strings.LastIndex(p, "/")+1:]
		g.mu.Lock()
		data, ok := g.waMedia[id]
		g.mu.Unlock()
		if !ok {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":{"message":"Unsupported get request.","type":"GraphMethodException","code":100}}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"messaging_product": "whatsapp", "url": g.srv.URL + "/wa-cdn/" + id + "?ext=1700000000&hash=ARm",
			"mime_type": "image/jpeg", "sha256": "4654+8g=", "file_size": len(data), "id": id})
	case r.Method == http.MethodGet: // a Messenger profile look-up
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"first_name":"Pia","last_name":"Lund","name":"Pia Lund"}`)
	default: // a send (a notice, a read receipt): answered with an id
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"messaging_product":"whatsapp","messages":[{"id":"wamid.out%d"}],"recipient_id":"x","message_id":"m_out%d"}`, time.Now().UnixNano(), time.Now().UnixNano())
	}
}

func (g *mediaGraph) counts() (downloads, refused []string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.downloads...), append([]string(nil), g.refused...)
}

// liveS3 is where the postgres+redis variant keeps its files: the S3
// server of SWITCHBOARD_TEST_S3_URL, else an in-process gofakes3. It
// returns the media YAML block and a function that counts the bucket's
// objects; the bucket is emptied and removed when the test ends.
func liveS3(t *testing.T) (yaml string, objects func() int) {
	t.Helper()
	srv := s3test.Start(t)
	endpoint, key, secret := srv.Endpoint, srv.AccessKey, srv.SecretKey
	if srv.Real {
		t.Logf("media.store s3 on %s (%s)", endpoint, s3test.EnvVar)
	}
	bucket := "sb-live-" + randHex(6)
	u, _ := url.Parse(endpoint)
	mc, err := minio.New(u.Host, &minio.Options{Creds: credentials.NewStaticV4(key, secret, ""), Secure: u.Scheme == "https", Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	list := func() []string {
		var keys []string
		for obj := range mc.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true}) {
			if obj.Err == nil {
				keys = append(keys, obj.Key)
			}
		}
		return keys
	}
	t.Cleanup(func() { // after the server stopped (registered before it started)
		for _, k := range list() {
			_ = mc.RemoveObject(ctx, bucket, k, minio.RemoveObjectOptions{})
		}
		_ = mc.RemoveBucket(ctx, bucket)
	})
	return fmt.Sprintf(`media:
  store: s3
  s3: {endpoint: %q, bucket: %q, region: us-east-1, access_key: %q, secret_key: %q, path_style: true}
`, endpoint, bucket, key, secret), func() int { return len(list()) }
}

// photoJPEG is a real baseline JPEG of 1600×1200 with fine grain, some
// hundreds of kilobytes as WhatsApp sends a phone's photo.
func photoJPEG(t *testing.T) []byte {
	t.Helper()
	const w, h = 1600, 1200
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	seed := uint32(2463534242)
	for i := 0; i < len(img.Pix); i += 4 {
		seed ^= seed << 13 // xorshift: grain a JPEG cannot squeeze away
		seed ^= seed >> 17
		seed ^= seed << 5
		x, y := (i/4)%w, (i/4)/w
		img.Pix[i] = uint8(x*200/w) + uint8(seed&0x1f)
		img.Pix[i+1] = uint8(y*200/h) + uint8(seed>>8&0x1f)
		img.Pix[i+2] = 0x60 + uint8(seed>>16&0x1f)
		img.Pix[i+3] = 0xff
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// voiceOGG is a real Ogg Opus voice note of three seconds (150 frames
// of 20 ms), as WhatsApp and Telegram record them.
func voiceOGG() []byte {
	b, _ := samplemedia.OggOpus(150, "Switchboard")
	return b
}

// liveFile is one customer's file and what the agent must get back.
type liveFile struct {
	channel     string // the channel id
	kind        string
	contentType string
	data        []byte
	inline      bool // Content-Disposition inline, else attachment
	name        string
	thumbnail   bool
}

// TestMediaArrivesLive is the attachments issue's first promise: a
// WhatsApp photo, a Telegram voice note, a Messenger PDF and a widget
// screenshot each reach the agent's open event stream as a ready,
// viewable file, with no request of the agent's in between — on the
// embedded defaults (SQLite, in-process Redis, files under data_dir) and
// on PostgreSQL + Redis + S3. The providers are httptest fakes that serve
// the bytes only with the channel's token (WhatsApp's two-step Graph
// download, Telegram's getFile and file URL with the bot token, a signed
// Messenger CDN URL). Each file comes back from GET /v1/attachments/{id}
// byte for byte, with its type and disposition, and the images with a
// thumbnail. The time from the webhook's answer to the ready event is
// logged (LATENCY lines, for docs/performance.md), never asserted. A
// last photo lands while its request still waits: the agent it is
// offered to hears it ready too, and finds it ready on accepting.
func TestMediaArrivesLive(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			var mediaYAML string
			var objects func() int
			if b.dbURL != "" {
				mediaYAML, objects = liveS3(t)
			}
			graph := newMediaGraph(t)
			tg := telegramtest.New(t)
			dataDir := t.TempDir()
			s := startServerWith(t, b, dataDir, fmt.Sprintf(`channels:
  - {id: web, type: widget}
  - {id: wa, type: whatsapp, phone_number_id: %q, access_token: %q, app_secret: %q, verify_token: "v", graph_url: %q}
  - {id: fb, type: messenger, page_id: "PAGE", page_token: %q, app_secret: %q, verify_token: "v", graph_url: %q}
  - {id: tg, type: telegram, bot_token: %q, secret_token: %q, api_url: %q}
`, liveWAPhoneID, liveWAToken, liveWASecret, graph.srv.URL+"/wa/v21.0", liveFBToken, liveFBSecret, graph.srv.URL+"/fb/v21.0",
				tg.Token, tgSecret, tg.URL())+mediaYAML)

			admin := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}), "token")
			s.must(201, "POST", "/v1/admin/agents", admin, map[string]any{"email": "media@example.com", "name": "Mia", "password": "secret-pass", "max_chats": 5})
			agent := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": "media@example.com", "password": "secret-pass"}), "token")
			s.must(200, "PUT", "/v1/me/status", agent, map[string]any{"online": true})
			events := follow(t, s, "/v1/events", agent, "")

			// Four customers ask for a person; the agent accepts each: the
			// conversations are theirs.
			const ask = "talk to a person"
			liveSigned(t, s, "wa", liveWASecret, `{"object":"whatsapp_business_account","entry":[{"id":"1234567890987654321","changes":[{"value":{"messaging_product":"whatsapp",`+
				`"metadata":{"display_phone_number":"972123456789","phone_number_id":"`+liveWAPhoneID+`"},"contacts":[{"profile":{"name":"Test Name"},"wa_id":"`+liveWAUser+`"}],`+
				`"messages":[{"from":"`+liveWAUser+`","id":"wamid.ask1","timestamp":"1697043370","type":"text","text":{"body":"`+ask+`"}}]},"field":"messages"}]}]}`)
			liveSigned(t, s, "fb", liveFBSecret, `{"object":"page","entry":[{"id":"PAGE","time":1700000000000,"messaging":[{"sender":{"id":"`+liveFBUser+`"},`+
				`"recipient":{"id":"PAGE"},"timestamp":1700000000000,"message":{"mid":"m_ask1","text":"`+ask+`"}}]}]}`)
			if st := tgPost(t, s, tgSecret, tgText(30, 1, ask)); st != 200 {
				t.Fatalf("telegram webhook: %d", st)
			}
			visitor := str(s.must(201, "POST", "/v1/widget/sessions", "", map[string]any{"name": "Vera"}), "token")
			s.must(202, "POST", "/v1/widget/handoff", visitor, map[string]any{"text": ask})
			convs := acceptOffered(t, s, agent, 4) // channel → conversation

			files := []liveFile{
				{channel: "wa", kind: "image", contentType: "image/jpeg", data: photoJPEG(t), inline: true, thumbnail: true},
				{channel: "tg", kind: "voice", contentType: "audio/ogg", data: voiceOGG(), inline: true},
				{channel: "fb", kind: "document", contentType: "application/pdf", data: []byte(testPDF), name: "invoice-2291.pdf"},
				{channel: "web", kind: "image", contentType: "image/png", data: testPNG(t, 1280, 800), inline: true, name: "screenshot.png", thumbnail: true},
			}
			graph.mu.Lock()
			graph.waMedia["1045789231561"] = files[0].data
			graph.fbFiles[files[2].name] = files[2].data
			graph.mu.Unlock()
			tg.AddFile("AwACAgQAAxkBAAIBZ2VoiceNote", "voice/file_7.oga", files[1].data)

			for _, f := range files {
				// From the webhook (or the upload) on, the agent only
				// listens: the latency is from sending it to the ready
				// event's arrival on the agent's stream.
				sent := time.Now()
				switch f.channel {
				case "wa": // the fixture message__image.json, to our number
					liveSigned(t, s, "wa", liveWASecret, `{"object":"whatsapp_business_account","entry":[{"id":"1234567890987654321","changes":[{"value":{"messaging_product":"whatsapp",`+
						`"metadata":{"display_phone_number":"972123456789","phone_number_id":"`+liveWAPhoneID+`"},"contacts":[{"profile":{"name":"Test Name"},"wa_id":"`+liveWAUser+`"}],`+
						`"messages":[{"from":"`+liveWAUser+`","id":"wamid.photo1","timestamp":"1697043379","type":"image","image":{"mime_type":"image/jpeg","sha256":"4654+8g=","id":"1045789231561"}}]},"field":"messages"}]}]}`)
				case "tg": // the fixture tg-guide__voice.json, from the customer who asked
					if st := tgPost(t, s, tgSecret, fmt.Sprintf(`{"update_id":31,"message":{"message_id":2,"date":%d,`+
						`"chat":{"id":5550123,"type":"private","first_name":"Tom","last_name":"Hanks","username":"tom"},`+
						`"from":{"id":5550123,"is_bot":false,"first_name":"Tom","last_name":"Hanks","username":"tom"},`+
						`"voice":{"file_id":"AwACAgQAAxkBAAIBZ2VoiceNote","file_unique_id":"AgADZ2V","duration":3,"mime_type":"audio/ogg","file_size":%d}}}`,
						time.Now().Unix(), len(f.data))); st != 200 {
						t.Fatalf("telegram voice webhook: %d", st)
					}
				case "fb": // a file attachment: payload.url on the CDN, signed
					liveSigned(t, s, "fb", liveFBSecret, `{"object":"page","entry":[{"id":"PAGE","time":1700000001000,"messaging":[{"sender":{"id":"`+liveFBUser+`"},`+
						`"recipient":{"id":"PAGE"},"timestamp":1700000001000,"message":{"mid":"m_pdf1","attachments":[{"type":"file","payload":{"url":"`+
						graph.srv.URL+`/fb-cdn/`+f.name+`?_nc_cat=101&`+liveFBSig+`"}}]}}]}]}`)
				case "web":
					r := livePostFile(t, s, "/v1/widget/attachments", visitor, f.name, f.data)
					if r.status != 202 {
						t.Fatalf("widget upload: %d %s", r.status, r.raw)
					}
				}
				// The widget's file is stored before its message: it arrives
				// ready in message.created. A provider's is fetched after:
				// message.created (pending), then message.updated (ready).
				typ := "message.updated"
				if f.channel == "web" {
					typ = "message.created"
				}
				var att map[string]any
				seen := events.until(typ, func(ev sseEvent) bool {
					if str(ev.data, "conversation_id") != convs[f.channel] || ev.data["author"] != "customer" {
						return false
					}
					a := firstAttachment(ev.data)
					if a != nil && a["status"] == "failed" {
						t.Fatalf("%s: the attachment failed: %v", f.channel, a)
					}
					if a != nil && a["status"] == "ready" {
						att = a
						return true
					}
					return false
				})
				ready := seen[len(seen)-1].at
				created := ready // the widget's message is created ready
				if f.channel != "web" {
					created = time.Time{}
					for _, ev := range seen {
						if ev.typ == "message.created" && str(ev.data, "conversation_id") == convs[f.channel] && firstAttachment(ev.data) != nil {
							created = ev.at
						}
					}
					if created.IsZero() {
						t.Errorf("%s: the stream gave message.updated without the message.created before it", f.channel)
						created = ready
					}
				}
				ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
				t.Logf("LATENCY backend=%s channel=%s kind=%s bytes=%d webhook_to_ready_ms=%.1f webhook_to_created_ms=%.1f created_to_ready_ms=%.1f",
					b.name, f.channel, f.kind, len(f.data), ms(ready.Sub(sent)), ms(created.Sub(sent)), ms(ready.Sub(created)))
				checkLiveAttachment(t, s, agent, f, att)
			}

			// A photo that lands while its request still waits reaches the
			// agent it is offered to (who may be accepting it right then),
			// and is there, ready, once accepted.
			const waiter = "972987650000"
			waBody := func(id, msg string) string {
				return `{"object":"whatsapp_business_account","entry":[{"id":"1234567890987654321","changes":[{"value":{"messaging_product":"whatsapp",` +
					`"metadata":{"display_phone_number":"972123456789","phone_number_id":"` + liveWAPhoneID + `"},"contacts":[{"profile":{"name":"Wendy Wait"},"wa_id":"` + waiter + `"}],` +
					`"messages":[{"from":"` + waiter + `","id":"` + id + `","timestamp":"1697043390",` + msg + `}]},"field":"messages"}]}]}`
			}
			liveSigned(t, s, "wa", liveWASecret, waBody("wamid.ask2", `"type":"text","text":{"body":"`+ask+`"}`))
			var req sseEvent
			events.until("request.created", func(ev sseEvent) bool {
				req = ev
				return str(ev.data, "channel", "id") == "wa" && ev.data["offered_to_me"] == true && str(ev.data, "customer", "channel_user_id") == waiter
			})
			graph.mu.Lock()
			graph.waMedia["1045789231562"] = files[0].data
			graph.mu.Unlock()
			sent := time.Now()
			liveSigned(t, s, "wa", liveWASecret, waBody("wamid.photo2", `"type":"image","image":{"mime_type":"image/jpeg","sha256":"4654+8g=","id":"1045789231562"}`))
			seen := events.until("message.updated", func(ev sseEvent) bool {
				a := firstAttachment(ev.data)
				return str(ev.data, "conversation_id") == str(req.data, "conversation_id") && a != nil && a["status"] == "ready"
			})
			t.Logf("LATENCY backend=%s channel=wa-waiting kind=image bytes=%d webhook_to_ready_ms=%.1f", b.name, len(files[0].data), float64(seen[len(seen)-1].at.Sub(sent).Microseconds())/1000)
			acc := s.must(200, "POST", "/v1/requests/"+str(req.data, "id")+"/accept", agent, nil)
			var shown map[string]any
			for _, m := range list(s.must(200, "GET", "/v1/conversations/"+str(acc, "conversation", "id"), agent, nil), "messages") {
				if a := firstAttachment(m); a != nil {
					shown = a
				}
			}
			if shown == nil || shown["status"] != "ready" {
				t.Fatalf("the accepted conversation shows the photo as %v, want ready", shown)
			}
			checkLiveAttachment(t, s, agent, files[0], shown)

			downloads, refused := graph.counts()
			if len(downloads) != 3 || len(refused) != 0 {
				t.Errorf("the fake Graph served %v and refused %v: want two WhatsApp downloads and one Messenger, nothing refused", downloads, refused)
			}
			if d := tg.Downloads(); len(d) != 1 {
				t.Errorf("Telegram file downloads %v, want one", d)
			}
			// The bytes are where the configuration says.
			if objects != nil {
				if n := objects(); n < 6 { // four files and two thumbnails
					t.Errorf("the S3 bucket holds %d objects, want at least 6 (4 files, 2 thumbnails)", n)
				}
			} else if n := countFiles(t, filepath.Join(dataDir, "media")); n < 6 {
				t.Errorf("data_dir/media holds %d files, want at least 6 (4 files, 2 thumbnails)", n)
			}
		})
	}
}

// liveSigned posts a Meta webhook signed with secret; it must be
// answered 200.
func liveSigned(t *testing.T, s *server, ch, secret, body string) {
	t.Helper()
	if st := s.postMeta(t, ch, secret, body); st != 200 {
		t.Fatalf("webhook %s: %d", ch, st)
	}
}

// acceptOffered accepts, as agent, every waiting request offered to it
// until n are taken, and returns their conversations by channel id.
func acceptOffered(t *testing.T, s *server, agent string, n int) map[string]string {
	t.Helper()
	convs := map[string]string{}
	eventually(t, fmt.Sprintf("%d requests, accepted", n), func() bool {
		for _, r := range list(s.must(200, "GET", "/v1/requests", agent, nil), "requests") {
			if r["status"] == "waiting" && r["offered_to_me"] == true {
				acc := s.must(200, "POST", "/v1/requests/"+str(r, "id")+"/accept", agent, nil)
				convs[str(r, "channel", "id")] = str(acc, "conversation", "id")
			}
		}
		return len(convs) == n
	})
	return convs
}

// livePostFile uploads one file as multipart/form-data with token.
func livePostFile(t *testing.T, s *server, path, token, name string, data []byte) response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, s.base+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

func firstAttachment(m map[string]any) map[string]any {
	atts, _ := m["attachments"].([]any)
	if len(atts) == 0 {
		return nil
	}
	a, _ := atts[0].(map[string]any)
	return a
}

// checkLiveAttachment checks the ready attachment the stream gave and
// fetches it (and its thumbnail) as the agent.
func checkLiveAttachment(t *testing.T, s *server, agent string, f liveFile, att map[string]any) {
	t.Helper()
	id := str(att, "id")
	if att["kind"] != f.kind || att["content_type"] != f.contentType || att["size"] != float64(len(f.data)) || att["url"] != "/v1/attachments/"+id {
		t.Errorf("%s: attachment %v, want kind %s, %s, %d bytes, url /v1/attachments/%s", f.channel, att, f.kind, f.contentType, len(f.data), id)
	}
	if f.name != "" && att["name"] != f.name {
		t.Errorf("%s: attachment name %v, want %q", f.channel, att["name"], f.name)
	}
	get := func(path string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", s.base+path, nil)
		req.Header.Set("Authorization", "Bearer "+agent)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp, data
	}
	resp, data := get(str(att, "url"))
	if resp.StatusCode != 200 || !bytes.Equal(data, f.data) {
		t.Fatalf("%s: GET %s: %d, %d bytes (want 200 with the %d bytes sent)", f.channel, str(att, "url"), resp.StatusCode, len(data), len(f.data))
	}
	if ct := resp.Header.Get("Content-Type"); ct != f.contentType {
		t.Errorf("%s: Content-Type %q, want %q", f.channel, ct, f.contentType)
	}
	disp := resp.Header.Get("Content-Disposition")
	if f.inline && !strings.HasPrefix(disp, "inline") || !f.inline && !strings.HasPrefix(disp, "attachment") ||
		!f.inline && f.name != "" && !strings.Contains(disp, f.name) {
		t.Errorf("%s: Content-Disposition %q, want inline %v (named %q)", f.channel, disp, f.inline, f.name)
	}
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Content-Security-Policy") != "sandbox" {
		t.Errorf("%s: headers %v, want nosniff and sandbox", f.channel, resp.Header)
	}
	thumbURL, _ := att["thumbnail_url"].(string)
	if !f.thumbnail {
		if thumbURL != "" {
			t.Errorf("%s: a thumbnail %q for a %s", f.channel, thumbURL, f.contentType)
		}
		if resp, _ := get(str(att, "url") + "/thumbnail"); resp.StatusCode != 404 {
			t.Errorf("%s: GET thumbnail of a %s: %d, want 404", f.channel, f.contentType, resp.StatusCode)
		}
		return
	}
	if thumbURL != "/v1/attachments/"+id+"/thumbnail" {
		t.Fatalf("%s: thumbnail_url %q", f.channel, thumbURL)
	}
	resp, data = get(thumbURL)
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if resp.StatusCode != 200 || err != nil || resp.Header.Get("Content-Type") != "image/"+format {
		t.Fatalf("%s: thumbnail %d %q, %d bytes: %v", f.channel, resp.StatusCode, resp.Header.Get("Content-Type"), len(data), err)
	}
	if cfg.Width <= 0 || cfg.Width > 320 || cfg.Height > 320 || len(data) >= len(f.data) {
		t.Errorf("%s: thumbnail %d×%d, %d bytes: want at most 320 px a side and smaller than the %d-byte original", f.channel, cfg.Width, cfg.Height, len(data), len(f.data))
	}
}

// countFiles counts the regular files under dir.
func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatalf("walk %s: %v", dir, err)
	}
	return n
}
