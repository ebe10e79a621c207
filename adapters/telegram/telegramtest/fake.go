// Package telegramtest is a fake Telegram Bot API for tests: an httptest
// server that answers getMe, setWebhook, deleteWebhook, getUpdates, sendChatAction,
// sendMessage and answerCallbackQuery like Telegram does, getFile and file
// downloads, and the multipart send* of files (files.go), records every
// call with its parameters, and can be told to refuse calls (429, 403, …).
package telegramtest

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Token is a well-formed bot token for tests.
const Token = "4242424242:AAFakeTokenForTests_do-not-log-me-0123"

// InstanceHeader, when a client sets it, names the calling instance in
// the recorded Call (polling tests run several).
const InstanceHeader = "X-Test-Instance"

// Call is one request the fake received.
type Call struct {
	Method   string     // Bot API method, from the path
	Path     string     // the whole path, /bot<token>/<method>
	Params   url.Values // form or JSON parameters (JSON values re-encoded as JSON text unless strings)
	Instance string     // InstanceHeader
	// Files are the uploaded files of a multipart call, by form field.
	Files map[string]File
}

// Reply is a scripted answer.
type Reply struct {
	Status int
	Body   string
}

// Refusal is Telegram's error answer: {"ok":false,"error_code":code,…};
// retryAfter > 0 adds parameters.retry_after.
func Refusal(code int, description string, retryAfter int) Reply {
	body := map[string]any{"ok": false, "error_code": code, "description": description}
	if retryAfter > 0 {
		body["parameters"] = map[string]any{"retry_after": retryAfter}
	}
	b, _ := json.Marshal(body)
	return Reply{Status: code, Body: string(b)}
}

// Fake is the fake Bot API. Its zero value is not usable; call New.
type Fake struct {
	Server *httptest.Server
	Token  string

	mu        sync.Mutex
	calls     []Call
	waiters   map[string]chan Call
	scripted  map[string][]Reply
	updates   []json.RawMessage // queued, ids ascending
	ids       []int64
	confirmed int64 // highest offset a getUpdates confirmed
	newUpdate chan struct{}
	nextMsg   int
	inflight  int // getUpdates running now
	maxFlight int
	badPaths  []string
	files     map[string]storedFile // by file_id (files.go)
}

// New starts a fake for Token; it is closed when the test ends.
func New(t testing.TB) *Fake {
	t.Helper()
	f := &Fake{Token: Token, waiters: map[string]chan Call{}, scripted: map[string][]Reply{},
		newUpdate: make(chan struct{}), nextMsg: 100}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Server.Close)
	return f
}

// URL is the api_url to configure.
func (f *Fake) URL() string { return f.Server.URL }

// Script queues replies for method, used in order before normal answers.
func (f *Fake) Script(method string, replies ...Reply) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scripted[method] = append(f.scripted[method], replies...)
}

// Push queues updates for getUpdates (raw JSON objects with update_id).
func (f *Fake) Push(t testing.TB, updates ...string) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, u := range updates {
		var head struct {
			UpdateID int64 `json:"update_id"`
		}
		if err := json.Unmarshal([]byte(u), &head); err != nil {
			t.Fatalf("telegramtest: pushed update %q: %v", u, err)
		}
		f.updates = append(f.updates, json.RawMessage(u))
		f.ids = append(f.ids, head.UpdateID)
	}
	close(f.newUpdate)
	f.newUpdate = make(chan struct{})
}

// Calls returns every call so far, of method (all when method is "").
func (f *Fake) Calls(method string) []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Call
	for _, c := range f.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// MaxConcurrentPolls is the most getUpdates calls that ran at once.
func (f *Fake) MaxConcurrentPolls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.maxFlight
}

// BadPaths lists requests whose path did not carry the token.
func (f *Fake) BadPaths() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.badPaths...)
}

// Wait returns the next call of method not returned by Wait before,
// failing the test after timeout.
func (f *Fake) Wait(t testing.TB, method string, timeout time.Duration) Call {
	t.Helper()
	select {
	case c := <-f.waiter(method):
		return c
	case <-time.After(timeout):
		t.Fatalf("telegramtest: no %s call within %s; calls: %v", method, timeout, f.methods())
		return Call{}
	}
}

func (f *Fake) methods() []string {
	var out []string
	for _, c := range f.Calls("") {
		out = append(out, c.Method)
	}
	return out
}

func (f *Fake) waiter(method string) chan Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch, ok := f.waiters[method]
	if !ok {
		ch = make(chan Call, 1024)
		f.waiters[method] = ch
	}
	return ch
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	prefix := "/bot" + f.Token + "/"
	if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/file/bot") {
		f.serveFile(w, r)
		return
	}
	if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, prefix) {
		f.mu.Lock()
		f.badPaths = append(f.badPaths, r.Method+" "+r.URL.Path)
		f.mu.Unlock()
		reply(w, Refusal(404, "Not Found", 0))
		return
	}
	params, files, err := readParams(r)
	if err != nil {
		reply(w, Refusal(400, "Bad Request: "+err.Error(), 0))
		return
	}
	c := Call{Method: strings.TrimPrefix(r.URL.Path, prefix), Path: r.URL.Path, Params: params,
		Instance: r.Header.Get(InstanceHeader), Files: files}
	ch := f.waiter(c.Method)
	f.mu.Lock()
	f.calls = append(f.calls, c)
	var scripted *Reply
	if q := f.scripted[c.Method]; len(q) > 0 {
		scripted, f.scripted[c.Method] = &q[0], q[1:]
	}
	f.mu.Unlock()
	select {
	case ch <- c:
	default: // nobody waits for that many; the call is still recorded
	}
	if scripted != nil {
		reply(w, *scripted)
		return
	}
	switch c.Method {
	case "getMe":
		ok(w, map[string]any{"id": 4242424242, "is_bot": true, "first_name": "Switchboard", "username": "switchboard_test_bot"})
	case "setWebhook", "deleteWebhook", "answerCallbackQuery", "sendChatAction":
		ok(w, true)
	case "sendMessage":
		f.sendMessage(w, params)
	case "getUpdates":
		f.getUpdates(w, r, params)
	case "getFile":
		f.getFile(w, params)
	case "sendPhoto", "sendDocument", "sendVoice", "sendAudio", "sendVideo", "sendSticker":
		f.sendFile(w, c)
	default:
		reply(w, Refusal(404, "Not Found: method "+c.Method, 0))
	}
}

func (f *Fake) sendMessage(w http.ResponseWriter, p url.Values) {
	chat, err := strconv.ParseInt(p.Get("chat_id"), 10, 64)
	if err != nil || p.Get("text") == "" {
		reply(w, Refusal(400, "Bad Request: chat_id and text are required", 0))
		return
	}
	f.mu.Lock()
	f.nextMsg++
	id := f.nextMsg
	f.mu.Unlock()
	ok(w, map[string]any{"message_id": id, "date": time.Now().Unix(), "text": p.Get("text"),
		"chat": map[string]any{"id": chat, "type": "private"},
		"from": map[string]any{"id": 4242424242, "is_bot": true, "first_name": "Switchboard"}})
}

// getUpdates answers like Telegram: an offset confirms (forgets) every
// update before it; with nothing new it waits up to timeout seconds.
func (f *Fake) getUpdates(w http.ResponseWriter, r *http.Request, p url.Values) {
	offset, _ := strconv.ParseInt(p.Get("offset"), 10, 64)
	timeout, _ := strconv.Atoi(p.Get("timeout"))
	f.mu.Lock()
	f.inflight++
	f.maxFlight = max(f.maxFlight, f.inflight)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inflight--
		f.mu.Unlock()
	}()
	deadline := time.After(time.Duration(timeout) * time.Second)
	for {
		f.mu.Lock()
		if offset > f.confirmed {
			f.confirmed = offset
		}
		var out []json.RawMessage
		for i, id := range f.ids {
			if id >= f.confirmed {
				out = append(out, f.updates[i])
			}
		}
		wake := f.newUpdate
		f.mu.Unlock()
		if len(out) > 0 || timeout <= 0 {
			ok(w, out)
			return
		}
		select {
		case <-wake:
		case <-deadline:
			ok(w, []json.RawMessage{})
			return
		case <-r.Context().Done():
			return
		}
	}
}

func readParams(r *http.Request) (url.Values, map[string]File, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "multipart/form-data" {
		return readMultipart(r)
	}
	v, err := readForm(r, ct)
	return v, nil, err
}

func readForm(r *http.Request, ct string) (url.Values, error) {
	if ct == "application/json" {
		var m map[string]any
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, err
		}
		v := url.Values{}
		for k, x := range m {
			if s, ok := x.(string); ok {
				v.Set(k, s)
				continue
			}
			b, _ := json.Marshal(x)
			v.Set(k, string(b))
		}
		return v, nil
	}
	if err := r.ParseForm(); err != nil {
		return nil, err
	}
	return r.PostForm, nil
}

func ok(w http.ResponseWriter, result any) {
	b, err := json.Marshal(map[string]any{"ok": true, "result": result})
	if err != nil {
		panic(fmt.Sprintf("telegramtest: %v", err))
	}
	reply(w, Reply{Status: http.StatusOK, Body: string(b)})
}

func reply(w http.ResponseWriter, r Reply) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(r.Status)
	_, _ = io.WriteString(w, r.Body)
}
