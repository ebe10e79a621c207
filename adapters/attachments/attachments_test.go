package attachments_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/adapters/attachments"
	"github.com/switchboard-chat/switchboard/adapters/blobstore"
	"github.com/switchboard-chat/switchboard/adapters/httpapi"
	"github.com/switchboard-chat/switchboard/adapters/meta"
	"github.com/switchboard-chat/switchboard/adapters/widget"
	"github.com/switchboard-chat/switchboard/core"
	"github.com/switchboard-chat/switchboard/core/memstore"
	"github.com/switchboard-chat/switchboard/core/storetest"
)

// world is a gateway on memstore with local blob files under a temporary
// data_dir, a Messenger channel "fb" whose files come from a fake CDN,
// and the widget.
type world struct {
	t      testing.TB
	svc    *core.Service
	store  *memstore.Store
	jobs   *storetest.Jobs
	blobs  *switchable
	dir    string
	srv    *httptest.Server
	admin  string // an admin's token
	now    atomic.Pointer[time.Time]
	cdn    *httptest.Server
	cdnHit func(w http.ResponseWriter, r *http.Request)
	mu     sync.Mutex
	events *recorder
}

// recorder keeps the events published.
type recorder struct {
	mu  sync.Mutex
	evs []core.Published
}

func (r *recorder) Publish(ctx context.Context, stream, typ string, data any) error {
	return r.PublishBatch(ctx, []core.Published{{Stream: stream, Type: typ, Data: data}})
}

func (r *recorder) PublishBatch(_ context.Context, evs []core.Published) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs = append(r.evs, evs...)
	return nil
}

func (r *recorder) all() []core.Published {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]core.Published(nil), r.evs...)
}

// switchable is a blob store that can be taken down (the fault cases).
type switchable struct {
	core.BlobStore
	down atomic.Bool
}

func (s *switchable) Put(ctx context.Context, r io.Reader, size int64) (string, error) {
	if s.down.Load() {
		return "", fmt.Errorf("blob store: connection refused: %w", core.ErrUnavailable)
	}
	return s.BlobStore.Put(ctx, r, size)
}

const maxBytes = 1 << 20

func newWorld(t *testing.T, scanner ...core.Scanner) *world {
	t.Helper()
	return newWorldTB(t, scanner...)
}

// newWorldTB is newWorld for tests and benchmarks.
func newWorldTB(t testing.TB, scanner ...core.Scanner) *world {
	t.Helper()
	w := &world{t: t, store: memstore.New(), jobs: &storetest.Jobs{}, dir: t.TempDir()}
	now := time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC)
	w.now.Store(&now)
	local, err := blobstore.NewLocal(filepath.Join(w.dir, "media"))
	if err != nil {
		t.Fatal(err)
	}
	w.blobs = &switchable{BlobStore: local}
	set := core.DefaultSettings()
	set.Channels = append(set.Channels, core.Channel{ID: "fb", Type: "messenger"})
	quiet := slog.New(slog.DiscardHandler)
	w.events = &recorder{}
	w.svc = core.NewService(core.Deps{Store: w.store, Jobs: w.jobs, Blobs: w.blobs, MediaMaxBytes: maxBytes, Events: w.events,
		Scanner:    append(scanner, nil)[0],
		BcryptCost: 4, Logger: quiet, Now: func() time.Time { return *w.now.Load() }}, set)
	w.cdn = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.mu.Lock()
		h := w.cdnHit
		w.mu.Unlock()
		h(rw, r)
	}))
	t.Cleanup(w.cdn.Close)
	w.svc.RegisterMedia("fb", core.ChannelMedia{Fetcher: meta.URLFetcher{HTTP: w.cdn.Client()}})
	w.srv = httptest.NewServer(httpapi.New(httpapi.Options{Logger: quiet, UploadBodyLimit: maxBytes + 1<<20},
		widget.New(w.svc, nil), attachments.New(w.svc)).Echo)
	t.Cleanup(w.srv.Close)
	ctx := context.Background()
	if _, _, err := w.svc.EnsureAdmin(ctx, "admin@example.com", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	if w.admin, _, err = w.svc.Login(ctx, "admin@example.com", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) serveCDN(h func(rw http.ResponseWriter, r *http.Request)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.cdnHit = h
}

func (w *world) advance(d time.Duration) {
	next := w.now.Load().Add(d)
	w.now.Store(&next)
}

// visitor opens a widget session and returns its token.
func (w *world) visitor() string {
	w.t.Helper()
	res := w.do(http.MethodPost, "/v1/widget/sessions", "", "application/json", strings.NewReader(`{}`), nil)
	if res.StatusCode != http.StatusCreated {
		w.t.Fatalf("session: %d", res.StatusCode)
	}
	var s struct{ Token string }
	decode(w.t, res, &s)
	return s.Token
}

func (w *world) do(method, path, token, ct string, body io.Reader, hdr map[string]string) *http.Response {
	w.t.Helper()
	req, err := http.NewRequest(method, w.srv.URL+path, body)
	if err != nil {
		w.t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { res.Body.Close() })
	return res
}

func decode(t testing.TB, res *http.Response, v any) {
	t.Helper()
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatalf("decode answer: %v", err)
	}
}

// upload posts a file (and text) as the widget does.
func (w *world) upload(token, name string, data []byte, text string) *http.Response {
	w.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if text != "" {
		_ = mw.WriteField("text", text)
	}
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	return w.do(http.MethodPost, "/v1/widget/attachments", token, mw.FormDataContentType(), &body, nil)
}

type wireAttachment struct {
	ID           string  `json:"id"`
	Kind         string  `json:"kind"`
	ContentType  string  `json:"content_type"`
	Size         *int64  `json:"size"`
	Name         *string `json:"name"`
	Status       string  `json:"status"`
	Error        *string `json:"error"`
	URL          string  `json:"url"`
	ThumbnailURL *string `json:"thumbnail_url"`
}

type wireMessage struct {
	ID          string           `json:"id"`
	Author      string           `json:"author"`
	Text        string           `json:"text"`
	Attachments []wireAttachment `json:"attachments"`
}

// screenshot is a PNG of w×h pixels.
func screenshot(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.NRGBA{uint8(x), uint8(y), 200, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// blobFiles counts the files the local blob store keeps.
func (w *world) blobFiles() int {
	n := 0
	_ = filepath.WalkDir(filepath.Join(w.dir, "media"), func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}

func TestWidgetScreenshot(t *testing.T) {
	w := newWorld(t)
	vis := w.visitor()
	shot := screenshot(t, 800, 600)
	res := w.upload(vis, "Screenshot 2026-12-03.png", shot, "the checkout button does nothing")
	if res.StatusCode != http.StatusAccepted {
		body, _ := io.ReadAll(res.Body)
		t.Fatalf("upload: %d %s", res.StatusCode, body)
	}
	var got struct{ Message wireMessage }
	decode(t, res, &got)
	if got.Message.Text != "[image] the checkout button does nothing" || len(got.Message.Attachments) != 1 {
		t.Fatalf("message %+v", got.Message)
	}
	a := got.Message.Attachments[0]
	if a.Kind != "image" || a.ContentType != "image/png" || a.Status != "ready" || a.Size == nil || *a.Size != int64(len(shot)) ||
		a.Name == nil || *a.Name != "Screenshot 2026-12-03.png" || a.URL != "/v1/attachments/"+a.ID ||
		a.ThumbnailURL == nil || *a.ThumbnailURL != a.URL+"/thumbnail" || a.Error != nil {
		t.Errorf("attachment %+v", a)
	}
	if len(w.jobs.Calls()) == 0 || slicesHasPrefix(w.jobs.Calls(), "fetch:") {
		t.Errorf("an upload queued %v: want its bot turn and no fetch", w.jobs.Calls())
	}

	// The visitor and an admin read it; the headers are the contract's.
	for _, tok := range []string{vis, w.admin} {
		res := w.do(http.MethodGet, a.URL, tok, "", nil, nil)
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK || !bytes.Equal(body, shot) {
			t.Fatalf("GET %s: %d, %d bytes", a.URL, res.StatusCode, len(body))
		}
		want := map[string]string{"Content-Type": "image/png", "Content-Length": fmt.Sprint(len(shot)),
			"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox", "Accept-Ranges": "bytes",
			"Content-Disposition": "inline"}
		for k, v := range want {
			if res.Header.Get(k) != v {
				t.Errorf("%s: %q, want %q", k, res.Header.Get(k), v)
			}
		}
		if !strings.HasPrefix(res.Header.Get("ETag"), `"`) {
			t.Errorf("ETag %q", res.Header.Get("ETag"))
		}
	}
	// The token in the query, as an <img> element sends it.
	if res := w.do(http.MethodGet, a.URL+"?access_token="+vis, "", "", nil, nil); res.StatusCode != http.StatusOK {
		t.Errorf("GET with access_token: %d", res.StatusCode)
	}
	// Range and ETag.
	res = w.do(http.MethodGet, a.URL, vis, "", nil, map[string]string{"Range": "bytes=100-199"})
	part, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusPartialContent || !bytes.Equal(part, shot[100:200]) ||
		res.Header.Get("Content-Range") != fmt.Sprintf("bytes 100-199/%d", len(shot)) {
		t.Errorf("range: %d %q, %d bytes", res.StatusCode, res.Header.Get("Content-Range"), len(part))
	}
	etag := w.do(http.MethodGet, a.URL, vis, "", nil, nil).Header.Get("ETag")
	if res := w.do(http.MethodGet, a.URL, vis, "", nil, map[string]string{"If-None-Match": etag}); res.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: %d, want 304", res.StatusCode)
	}
	// The thumbnail: a JPEG that fits 320×320.
	res = w.do(http.MethodGet, *a.ThumbnailURL, vis, "", nil, nil)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("thumbnail: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	cfg, format, err := image.DecodeConfig(res.Body)
	if err != nil || format != "jpeg" || cfg.Width != 320 || cfg.Height != 240 {
		t.Errorf("thumbnail %s %dx%d, %v; want jpeg 320x240", format, cfg.Width, cfg.Height, err)
	}

	// Anyone else: another visitor 403, an agent who may not read the
	// conversation 403, no token 401, an unknown id 404.
	other := w.visitor()
	ctx := context.Background()
	admin, _ := w.svc.AgentByToken(ctx, w.admin)
	if _, err := w.svc.CreateAgent(ctx, admin, core.NewAgent{Email: "kim@example.com", Name: "Kim", Password: "correct horse battery"}); err != nil {
		t.Fatal(err)
	}
	kim, _, err := w.svc.Login(ctx, "kim@example.com", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, token, path string
		status            int
		code              string
	}{
		{"another visitor", other, a.URL, 403, "forbidden"},
		{"another agent", kim, a.URL, 403, "forbidden"},
		{"no token", "", a.URL, 401, "unauthorized"},
		{"unknown attachment", vis, "/v1/attachments/" + core.NewID(), 404, "not_found"},
	}
	for _, c := range cases {
		res := w.do(http.MethodGet, c.path, c.token, "", nil, nil)
		var e httpapi.ErrorBody
		decode(t, res, &e)
		if res.StatusCode != c.status || e.Error.Code != c.code {
			t.Errorf("%s: %d %q, want %d %q", c.name, res.StatusCode, e.Error.Code, c.status, c.code)
		}
	}
}

func slicesHasPrefix(calls []string, prefix string) bool {
	for _, c := range calls {
		if strings.HasPrefix(c, prefix) {
			return true
		}
	}
	return false
}

// TestWidgetRefusals: every refused upload is answered with its
// contract code and stores nothing, neither a file nor a message.
func TestWidgetRefusals(t *testing.T) {
	w := newWorld(t)
	vis := w.visitor()
	gifScript := append([]byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,"+
		"\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"), []byte("<script>alert(document.cookie)</script>")...)
	cases := []struct {
		name   string
		file   string
		data   []byte
		status int
		code   string
	}{
		{"empty", "empty.png", nil, 415, "unsupported_media_type"},
		{"over the limit", "video.mp4", append([]byte("\x00\x00\x00\x18ftypmp42"), make([]byte, maxBytes)...), 413, "payload_too_large"},
		{"HTML named .png", "cat.png", []byte("<!DOCTYPE html><html><body><script>fetch('/v1/me')</script></body></html>"), 415, "unsupported_media_type"},
		{"SVG with a script", "logo.svg", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), 415, "unsupported_media_type"},
		{"SVG without a declaration", "logo.png", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`), 415, "unsupported_media_type"},
		{"GIF and script polyglot", "smile.gif", gifScript, 415, "unsupported_media_type"},
		{"PNG header, no image", "broken.png", append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7}, 64)...), 415, "unsupported_media_type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := w.upload(vis, c.file, c.data, "look")
			var e httpapi.ErrorBody
			decode(t, res, &e)
			if res.StatusCode != c.status || e.Error.Code != c.code || e.Error.Message == "" {
				t.Errorf("%d %+v, want %d %s", res.StatusCode, e.Error, c.status, c.code)
			}
		})
	}
	if n := w.blobFiles(); n != 0 {
		t.Errorf("refused uploads left %d files in the blob store", n)
	}
	res := w.do(http.MethodGet, "/v1/widget/messages", vis, "", nil, nil)
	var th struct{ Messages []wireMessage }
	decode(t, res, &th)
	for _, m := range th.Messages {
		if m.Author == "customer" {
			t.Errorf("a refused upload stored a message: %+v", m)
		}
	}
	// Not multipart, no file, two files: refused too.
	if res := w.do(http.MethodPost, "/v1/widget/attachments", vis, "application/json", strings.NewReader(`{"text":"x"}`), nil); res.StatusCode != 415 {
		t.Errorf("JSON body: %d, want 415", res.StatusCode)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("text", "no file")
	mw.Close()
	if res := w.do(http.MethodPost, "/v1/widget/attachments", vis, mw.FormDataContentType(), &body, nil); res.StatusCode != 400 {
		t.Errorf("no file part: %d, want 400", res.StatusCode)
	}
}

// A PDF is kept and served only as a download, with its name.
func TestWidgetDocumentIsADownload(t *testing.T) {
	w := newWorld(t)
	vis := w.visitor()
	pdf := []byte("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
	res := w.upload(vis, `C:\Users\dana\invoice "nov".pdf`, pdf, "")
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("upload: %d", res.StatusCode)
	}
	var got struct{ Message wireMessage }
	decode(t, res, &got)
	a := got.Message.Attachments[0]
	if a.Kind != "document" || a.ContentType != "application/pdf" || a.ThumbnailURL != nil || got.Message.Text != `[document] invoice "nov".pdf` {
		t.Errorf("message %+v", got.Message)
	}
	res = w.do(http.MethodGet, a.URL, vis, "", nil, nil)
	if cd := res.Header.Get("Content-Disposition"); cd != `attachment; filename="invoice \"nov\".pdf"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	if res := w.do(http.MethodGet, a.URL+"/thumbnail", vis, "", nil, nil); res.StatusCode != 404 {
		t.Errorf("thumbnail of a PDF: %d, want 404", res.StatusCode)
	}
}

// ingestPhoto stores a Messenger photo whose file is on the fake CDN.
func (w *world) ingestPhoto(pid string) core.Attachment {
	w.t.Helper()
	m, err := w.svc.Ingest(context.Background(), core.Inbound{ChannelID: "fb", ChannelUserID: "psid-1", ProviderID: pid,
		Text: "[image]", Attachments: []core.InboundAttachment{{Kind: core.AttachmentImage, URL: w.cdn.URL + "/v/t1.png?oh=sig&oe=exp"}}})
	if err != nil {
		w.t.Fatal(err)
	}
	return m.Attachments[0]
}

func (w *world) attachment(id string) core.Attachment {
	w.t.Helper()
	a, err := w.store.AttachmentByID(context.Background(), id)
	if err != nil {
		w.t.Fatal(err)
	}
	return a
}

// TestFetchFaults: the fault cases of inbound files. Nothing is lost: a
// transient failure leaves the attachment pending until a retry makes it
// ready; only a permanent one fails it, with the reason.
func TestFetchFaults(t *testing.T) {
	ctx := context.Background()
	photo := screenshot(t, 64, 48)
	t.Run("500 then 200", func(t *testing.T) {
		w := newWorld(t)
		var hits atomic.Int32
		w.serveCDN(func(rw http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("oh") != "sig" {
				t.Errorf("the CDN got %s, without the signed query", r.URL)
			}
			if hits.Add(1) == 1 {
				http.Error(rw, "upstream", http.StatusInternalServerError)
				return
			}
			rw.Header().Set("Content-Type", "image/jpeg") // the provider's word; the bytes are PNG
			rw.Write(photo)
		})
		a := w.ingestPhoto("mid.1")
		if !slicesHasPrefix(w.jobs.Calls(), "fetch:"+a.ID) {
			t.Errorf("ingest queued %v, want fetch:%s", w.jobs.Calls(), a.ID)
		}
		if err := w.svc.FetchMedia(ctx, a.ID); err == nil {
			t.Fatal("a 500 was not an error to retry")
		}
		if got := w.attachment(a.ID); got.Status != core.AttachmentPending || got.Attempts != 1 {
			t.Fatalf("after a 500: %s, %d attempts", got.Status, got.Attempts)
		}
		// pending: 409 invalid_transition
		if res := w.do(http.MethodGet, core.AttachmentURL(a.ID), w.admin, "", nil, nil); res.StatusCode != 409 {
			t.Errorf("pending file: %d, want 409", res.StatusCode)
		}
		if err := w.svc.FetchMedia(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		got := w.attachment(a.ID)
		if got.Status != core.AttachmentReady || got.ContentType != "image/png" || got.Size != int64(len(photo)) || got.ThumbnailKey == "" {
			t.Errorf("after the 200: %+v", got)
		}
		res := w.do(http.MethodGet, core.AttachmentURL(a.ID), w.admin, "", nil, nil)
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 || !bytes.Equal(body, photo) {
			t.Errorf("GET: %d, %d bytes", res.StatusCode, len(body))
		}
		// A stale task does nothing.
		if err := w.svc.FetchMedia(ctx, a.ID); err != nil || hits.Load() != 2 {
			t.Errorf("stale fetch: %v, %d CDN hits", err, hits.Load())
		}
	})
	t.Run("message.updated reaches the visitor", func(t *testing.T) {
		w := newWorld(t)
		w.serveCDN(func(rw http.ResponseWriter, r *http.Request) { rw.Write(photo) })
		w.svc.RegisterMedia("web", core.ChannelMedia{Fetcher: meta.URLFetcher{HTTP: w.cdn.Client()}})
		m, err := w.svc.Ingest(ctx, core.Inbound{ChannelID: "web", ChannelUserID: "visitor-9", Text: "[image]",
			Attachments: []core.InboundAttachment{{Kind: core.AttachmentImage, URL: w.cdn.URL + "/p.png"}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.svc.FetchMedia(ctx, m.Attachments[0].ID); err != nil {
			t.Fatal(err)
		}
		var updated []core.Message
		for _, ev := range w.events.all() {
			if ev.Type == core.EventMessageUpdated {
				updated = append(updated, ev.Data.(core.Message))
			}
		}
		if len(updated) != 1 || updated[0].ID != m.ID || updated[0].Attachments[0].Status != core.AttachmentReady {
			t.Errorf("message.updated events: %+v", updated)
		}
	})
	t.Run("404", func(t *testing.T) {
		w := newWorld(t)
		w.serveCDN(func(rw http.ResponseWriter, r *http.Request) { http.NotFound(rw, r) })
		a := w.ingestPhoto("mid.2")
		if err := w.svc.FetchMedia(ctx, a.ID); err != nil {
			t.Fatalf("a 404 is permanent, no error to retry: %v", err)
		}
		got := w.attachment(a.ID)
		if got.Status != core.AttachmentFailed || got.Error != core.MediaNotFound {
			t.Errorf("after a 404: %s %q", got.Status, got.Error)
		}
		res := w.do(http.MethodGet, core.AttachmentURL(a.ID), w.admin, "", nil, nil)
		var e httpapi.ErrorBody
		decode(t, res, &e)
		if res.StatusCode != 410 || e.Error.Code != "gone" || !strings.Contains(e.Error.Message, "not_found") {
			t.Errorf("failed file: %d %+v", res.StatusCode, e.Error)
		}
		m, _ := w.store.MessageByID(ctx, got.MessageID)
		if m.Text != "[image]" {
			t.Errorf("the message text is %q", m.Text)
		}
	})
	t.Run("blob store down, then back", func(t *testing.T) {
		w := newWorld(t)
		w.serveCDN(func(rw http.ResponseWriter, r *http.Request) { rw.Write(photo) })
		a := w.ingestPhoto("mid.3")
		w.blobs.down.Store(true)
		err := w.svc.FetchMedia(ctx, a.ID)
		if !errors.Is(err, core.ErrUnavailable) {
			t.Fatalf("blob store down: %v, want ErrUnavailable", err)
		}
		if got := w.attachment(a.ID); got.Status != core.AttachmentPending {
			t.Fatalf("blob store down: %s", got.Status)
		}
		w.blobs.down.Store(false)
		if err := w.svc.FetchMedia(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if got := w.attachment(a.ID); got.Status != core.AttachmentReady {
			t.Errorf("blob store back: %s", got.Status)
		}
	})
	t.Run("worker killed mid-fetch, swept up", func(t *testing.T) {
		w := newWorld(t)
		started := make(chan struct{})
		var first atomic.Bool
		first.Store(true)
		w.serveCDN(func(rw http.ResponseWriter, r *http.Request) {
			if first.Swap(false) {
				rw.Header().Set("Content-Length", fmt.Sprint(len(photo)))
				rw.Write(photo[:10])
				rw.(http.Flusher).Flush()
				close(started)
				<-r.Context().Done() // the worker dies with the body half read
				return
			}
			rw.Write(photo)
		})
		a := w.ingestPhoto("mid.4")
		wctx, kill := context.WithCancel(ctx)
		done := make(chan error)
		go func() { done <- w.svc.FetchMedia(wctx, a.ID) }()
		<-started
		kill()
		if err := <-done; err == nil {
			t.Fatal("a killed fetch reported success")
		}
		if got := w.attachment(a.ID); got.Status != core.AttachmentPending {
			t.Fatalf("after the kill: %s", got.Status)
		}
		// The task is gone with the worker; the sweeper finds the
		// attachment pending once MediaSweepGrace has passed.
		before := len(w.jobs.Calls())
		if rep, err := w.svc.Sweep(ctx); err != nil || rep.Media != 0 {
			t.Fatalf("sweep at once: %+v, %v; want nothing re-queued yet", rep, err)
		}
		w.advance(core.MediaSweepGrace + time.Second)
		rep, err := w.svc.Sweep(ctx)
		if err != nil || rep.Media != 1 || !slicesHasPrefix(w.jobs.Calls()[before:], "fetch:"+a.ID) {
			t.Fatalf("sweep after the grace: %+v, %v, queued %v", rep, err, w.jobs.Calls()[before:])
		}
		if err := w.svc.FetchMedia(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if got := w.attachment(a.ID); got.Status != core.AttachmentReady || got.Attempts != 2 {
			t.Errorf("after the sweep: %s, %d attempts", got.Status, got.Attempts)
		}
	})
	t.Run("scanned: infected fails, scanner down waits", func(t *testing.T) {
		sc := &fakeScanner{}
		w := newWorld(t, sc)
		eicar := `X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`
		w.serveCDN(func(rw http.ResponseWriter, r *http.Request) { rw.Write([]byte(eicar)) })
		a := w.ingestPhoto("mid.7")
		sc.down.Store(true)
		if err := w.svc.FetchMedia(ctx, a.ID); !errors.Is(err, core.ErrUnavailable) {
			t.Fatalf("scanner down: %v, want ErrUnavailable", err)
		}
		if got := w.attachment(a.ID); got.Status != core.AttachmentPending {
			t.Fatalf("scanner down: %s", got.Status)
		}
		sc.down.Store(false)
		if err := w.svc.FetchMedia(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if got := w.attachment(a.ID); got.Status != core.AttachmentFailed || got.Error != "blocked: Eicar-Test-Signature" {
			t.Errorf("infected: %s %q", got.Status, got.Error)
		}
		if n := w.blobFiles(); n != 0 {
			t.Errorf("an infected file was stored (%d files)", n)
		}
		vis := w.visitor()
		res := w.upload(vis, "invoice.txt", []byte(eicar), "")
		var e httpapi.ErrorBody
		decode(t, res, &e)
		if res.StatusCode != 415 || !strings.Contains(e.Error.Message, "malware") {
			t.Errorf("infected upload: %d %+v", res.StatusCode, e.Error)
		}
	})
	t.Run("over the limit, and markup", func(t *testing.T) {
		w := newWorld(t)
		w.serveCDN(func(rw http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/v/") {
				rw.Write(make([]byte, maxBytes+1)) // no Content-Length announced up front: chunked
				return
			}
			rw.Write([]byte("<html><script>alert(1)</script></html>"))
		})
		big := w.ingestPhoto("mid.5")
		m, err := w.svc.Ingest(ctx, core.Inbound{ChannelID: "fb", ChannelUserID: "psid-1", ProviderID: "mid.6", Text: "[document] page.pdf",
			Attachments: []core.InboundAttachment{{Kind: core.AttachmentDocument, URL: w.cdn.URL + "/page.pdf", Name: "page.pdf"}}})
		if err != nil {
			t.Fatal(err)
		}
		html := m.Attachments[0]
		for _, c := range []struct {
			id, reason string
		}{{big.ID, core.MediaTooLarge}, {html.ID, core.MediaRefusedType}} {
			if err := w.svc.FetchMedia(ctx, c.id); err != nil {
				t.Fatal(err)
			}
			if got := w.attachment(c.id); got.Status != core.AttachmentFailed || got.Error != c.reason {
				t.Errorf("attachment %s: %s %q, want failed %q", c.id, got.Status, got.Error, c.reason)
			}
		}
		if n := w.blobFiles(); n != 0 {
			t.Errorf("refused fetches left %d files", n)
		}
	})
}

// fakeScanner flags the EICAR test file, or is unreachable while down
// (adapters/clamd has the real one, tested against clamd).
type fakeScanner struct{ down atomic.Bool }

func (f *fakeScanner) Scan(_ context.Context, r io.Reader) (core.ScanResult, error) {
	if f.down.Load() {
		return core.ScanResult{}, errors.New("dial tcp 127.0.0.1:3310: connection refused")
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return core.ScanResult{}, err
	}
	if bytes.Contains(b, []byte("EICAR-STANDARD-ANTIVIRUS-TEST-FILE")) {
		return core.ScanResult{Infected: true, Signature: "Eicar-Test-Signature"}, nil
	}
	return core.ScanResult{}, nil
}
