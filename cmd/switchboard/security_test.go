package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/adapters/httpapi"
	"github.com/switchboard-chat/switchboard/adapters/meta"
	"github.com/switchboard-chat/switchboard/adapters/telegram/telegramtest"
	"github.com/switchboard-chat/switchboard/adapters/widget"
)

// slowGateway is the real gateway's widget routes on the real Service, in
// an httpapi.Server with short timeouts, so slow clients are cut off in
// test time.
type slowGateway struct {
	base string
	addr string
}

const (
	slowHeaderTimeout = 1 * time.Second
	slowReadTimeout   = 2 * time.Second
)

func startSlowGateway(t *testing.T) slowGateway {
	t.Helper()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "switchboard.yaml")
	if err := os.WriteFile(cfgPath, []byte("data_dir: "+dir+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := open(context.Background(), globals{configPath: cfgPath}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httpapi.New(httpapi.Options{
		Logger:            slog.New(slog.NewTextHandler(io.Discard, nil)),
		ReadHeaderTimeout: slowHeaderTimeout,
		ReadTimeout:       slowReadTimeout,
		IdleTimeout:       slowReadTimeout,
	}, widget.New(a.svc, a.streams))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	t.Cleanup(func() {
		a.streams.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-errc; err != nil {
			t.Errorf("serve: %v", err)
		}
		a.close()
	})
	return slowGateway{base: "http://" + ln.Addr().String(), addr: ln.Addr().String()}
}

// trickle writes data one byte per interval to conn until it is all sent
// or a write fails; it returns how many bytes were written.
func trickle(conn net.Conn, data string, interval time.Duration) int {
	for i := range len(data) {
		if _, err := conn.Write([]byte{data[i]}); err != nil {
			return i
		}
		time.Sleep(interval)
	}
	return len(data)
}

// TestSlowClientsAreCutOff: a client sending its headers one byte at a
// time (slowloris) and one trickling a declared body are disconnected by
// the server's header and read timeouts, while other requests are served
// meanwhile; an event stream outlives both timeouts.
func TestSlowClientsAreCutOff(t *testing.T) {
	g := startSlowGateway(t)
	// Far more bytes than the timeouts let through at one per 100 ms.
	const interval = 100 * time.Millisecond
	headers := "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + strings.Repeat("a", 300) + "\r\n\r\n"
	body := `{"name":"` + strings.Repeat("b", 300) + `"}`
	bodyHead := "POST /v1/widget/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
		strconv.Itoa(len(body)) + "\r\n\r\n"

	tests := []struct {
		name     string
		first    string // sent at once
		slow     string // trickled
		deadline time.Duration
	}{
		{"slowloris headers", "", headers, slowHeaderTimeout},
		{"trickled body", bodyHead, body, slowReadTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", g.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := io.WriteString(conn, tt.first); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			sent := make(chan int, 1)
			go func() { sent <- trickle(conn, tt.slow, interval) }()
			// The server closes the connection (perhaps after an error answer).
			closed := make(chan string, 1)
			go func() {
				data, _ := io.ReadAll(conn)
				closed <- string(data)
			}()
			// Meanwhile the server answers others.
			for range 3 {
				resp, err := http.Get(g.base + "/healthz")
				if err != nil {
					t.Fatalf("healthz while a slow client is connected: %v", err)
				}
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Fatalf("healthz while a slow client is connected: %d", resp.StatusCode)
				}
				time.Sleep(tt.deadline / 4)
			}
			select {
			case answer := <-closed:
				took := time.Since(start)
				t.Logf("cut off after %s (timeout %s); answer %q", took.Round(time.Millisecond), tt.deadline, firstLine(answer))
				if strings.HasPrefix(answer, "HTTP/1.1 2") {
					t.Fatalf("the slow request was served: %q", answer)
				}
			case <-time.After(time.Duration(len(tt.slow)) * interval):
				t.Fatalf("still connected after trickling for %s with a %s timeout", time.Since(start), tt.deadline)
			}
			conn.Close()
			if n := <-sent; n == len(tt.slow) {
				t.Fatalf("the server read all %d trickled bytes", n)
			}
		})
	}

	t.Run("event stream outlives the timeouts", func(t *testing.T) {
		sess := postJSON(t, g.base+"/v1/widget/sessions", "", `{"name":"Patient"}`)
		tok := str(sess, "token")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", g.base+"/v1/widget/events?access_token="+url.QueryEscape(tok), nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("stream: %d", resp.StatusCode)
		}
		lines := make(chan string, 100)
		go func() {
			defer close(lines)
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				lines <- sc.Text()
			}
		}()
		// Longer than the header, read and idle timeouts together.
		time.Sleep(slowHeaderTimeout + slowReadTimeout + time.Second)
		postJSON(t, g.base+"/v1/widget/messages", tok, `{"text":"still there?"}`)
		timeout := time.After(10 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatal("the event stream was closed by the server's timeouts")
				}
				if strings.HasPrefix(l, "data: ") && strings.Contains(l, "still there?") {
					return
				}
			case <-timeout:
				t.Fatal("no message.created on the stream")
			}
		}
	})
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\r\n")
	return l
}

// postJSON posts body and returns the decoded 2xx answer.
func postJSON(t *testing.T, u, token, body string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest("POST", u, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode/100 != 2 {
		t.Fatalf("POST %s: %d %v", u, resp.StatusCode, err)
	}
	return out
}

// startLogged is startServerWith at log level debug (format text or json)
// with the given admin password and more settings of the server block
// (serverYAML, such as ", visitor_ttl: 2s"); every line the process writes, stdout
// and stderr, is kept in the returned buffer.
func startLogged(t *testing.T, b backend, dataDir, format, adminPass, serverYAML, extraYAML string) (*server, *lockedBuffer) {
	t.Helper()
	t.Setenv("SWITCHBOARD_ADMIN_EMAIL", adminEmail)
	t.Setenv("SWITCHBOARD_ADMIN_PASSWORD", adminPass)
	t.Setenv("SWITCHBOARD_BCRYPT_COST", "4")
	cfg := fmt.Sprintf("server: {addr: \"127.0.0.1:0\"%s}\ndata_dir: %q\ndatabase: {url: %q}\nredis: {url: %q, namespace: %q}\n",
		serverYAML, dataDir, b.dbURL, b.redisURL, b.ns) + extraYAML
	path := filepath.Join(dataDir, "switchboard.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	out := &lockedBuffer{}
	s := boot(t, []string{"--config", path, "--log-level", "debug", "--log-format", format}, out, out)
	s.dataDir = dataDir
	return s, out
}

// rawGet sends GET with no Authorization header, not following redirects,
// and returns the status (the body is not read: it may be a stream).
func rawGet(t *testing.T, u string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestNoSecretInLogs runs the gateway at log level debug with WhatsApp and
// Telegram channels whose secrets are random, walks every path where a
// secret or token passes through (logins right and wrong, tokens in
// headers and in ?access_token=, refused and accepted webhooks and
// handshakes, provider errors that echo the token, the Bot API
// unreachable with the token in its URL, the queue UI, reloads good and
// bad), and checks that none of them appears anywhere in the output.
func TestNoSecretInLogs(t *testing.T) {
	for _, b := range backends(t) {
		for _, format := range []string{"text", "json"} {
			if format == "json" && b.name != "embedded" {
				continue
			}
			t.Run(b.name+"/"+format, func(t *testing.T) { noSecretInLogs(t, b, format) })
		}
	}
}

func noSecretInLogs(t *testing.T, b backend, format string) {
	secret := func(label string) string { return label + randHex(12) }
	waToken, appSecret, verify := secret("EAAwatoken"), secret("appsecret"), secret("verifytok")
	tgSecretToken := secret("tgsecret")
	adminPass, agentPass, wrongPass := secret("adminpw-"), secret("agentpw-"), secret("wrongpw-")
	forged := secret("sba_forged")

	var graphCalls atomic.Int32
	graph := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		// First a transient failure, then Meta's invalid-token refusal; both
		// quote the token back, as Graph errors sometimes do.
		status, code := 500, 2
		if graphCalls.Add(1) > 1 {
			status, code = 401, 190
		}
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"error":{"message":"Invalid OAuth access token - Cannot parse access token %s","type":"OAuthException",`+
			`"code":%d,"error_data":{"details":"token %s was rejected"},"fbtrace_id":"AbCdEf123"}}`, waToken, code, waToken)
	}))
	t.Cleanup(graph.Close)
	fake := telegramtest.New(t)

	dir := t.TempDir()
	channels := fmt.Sprintf(`channels:
  - {id: web, type: widget}
  - {id: wa, type: whatsapp, phone_number_id: "1122334455", access_token: %q, app_secret: %q, verify_token: %q, graph_url: %q}
  - {id: tg, type: telegram, bot_token: %q, secret_token: %q, api_url: %q}
`, waToken, appSecret, verify, graph.URL+"/v21.0", fake.Token, tgSecretToken, fake.URL())
	s, out := startLogged(t, b, dir, format, adminPass, "", channels)
	fake.Wait(t, "setWebhook", 30*time.Second)

	// Logins, right and wrong; an agent made with a password.
	adminTok := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPass}), "token")
	s.wantError(401, "unauthorized", "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": wrongPass})
	s.must(201, "POST", "/v1/admin/agents", adminTok, map[string]any{"email": "leaky@example.com", "name": "Leaky", "password": agentPass})
	agentTok := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": "leaky@example.com", "password": agentPass}), "token")
	s.wantError(401, "unauthorized", "POST", "/v1/auth/login", "", map[string]any{"email": "leaky@example.com", "password": wrongPass})
	s.must(200, "PUT", "/v1/me/status", agentTok, map[string]any{"online": true})

	// Tokens in headers and in ?access_token= (event streams, queue UI);
	// a forged one too.
	s.must(200, "GET", "/v1/me", agentTok, nil)
	s.wantError(401, "unauthorized", "GET", "/v1/me", forged, nil)
	sess := s.must(201, "POST", "/v1/widget/sessions", "", map[string]any{"name": "Vera Visitor"})
	visitorTok := str(sess, "token")
	s.must(202, "POST", "/v1/widget/messages", visitorTok, map[string]any{"text": "hello"})
	s.must(200, "GET", "/v1/widget/messages", visitorTok, nil)
	agentStream := follow(t, s, "/v1/events", agentTok, "")
	visitorStream := follow(t, s, "/v1/widget/events", visitorTok, "")
	for _, u := range []string{"/v1/events?access_token=" + forged, "/v1/widget/events?access_token=" + forged,
		"/v1/me?access_token=" + agentTok} {
		if st := rawGet(t, s.base+u); st != 401 {
			t.Errorf("GET %s: %d, want 401", u, st)
		}
	}
	if st := rawGet(t, s.base+"/admin/queues?access_token="+url.QueryEscape(adminTok)); st != 303 {
		t.Errorf("queue UI with the admin token: %d, want 303", st)
	}

	// WhatsApp: handshakes wrong and right, webhooks unsigned and wrongly
	// signed, then a real message whose bot reply the Graph API refuses.
	if st := rawGet(t, s.base+"/webhooks/wa?hub.mode=subscribe&hub.verify_token="+verify+"x&hub.challenge=1"); st != 403 {
		t.Errorf("handshake with a wrong token: %d", st)
	}
	if st := rawGet(t, s.base+"/webhooks/wa?hub.mode=subscribe&hub.verify_token="+verify+"&hub.challenge=1"); st != 200 {
		t.Errorf("handshake: %d", st)
	}
	inbound := `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp",` +
		`"metadata":{"phone_number_id":"1122334455"},"contacts":[{"profile":{"name":"Walter"},"wa_id":"4915100000001"}],` +
		`"messages":[{"from":"4915100000001","id":"wamid.sec1","timestamp":"1700000000","type":"text","text":{"body":"where is my parcel"}}]}}]}]}`
	for _, sig := range []string{"", meta.Sign([]byte("wrong"), []byte(inbound)), "sha256=" + appSecret} {
		if st := postWebhook(t, s, "wa", inbound, meta.SignatureHeader, sig); st != 401 {
			t.Errorf("webhook signed %q: %d, want 401", sig, st)
		}
	}
	if st := postWebhook(t, s, "wa", inbound, meta.SignatureHeader, meta.Sign([]byte(appSecret), []byte(inbound))); st != 200 {
		t.Fatalf("signed webhook: %d", st)
	}

	// Telegram: a wrong secret; a refusal quoting the bot token; then the
	// Bot API unreachable (the error names a URL with the token in it).
	if st := tgPost(t, s, tgSecretToken+"x", tgText(1, 1, "hi")); st != 401 {
		t.Errorf("telegram webhook with a wrong secret: %d", st)
	}
	fake.Script("sendMessage", telegramtest.Refusal(401, "Unauthorized: invalid token "+fake.Token, 0))
	if st := tgPost(t, s, tgSecretToken, tgText(10, 1, "/start")); st != 200 {
		t.Fatalf("telegram webhook: %d", st)
	}
	fake.Wait(t, "sendMessage", 30*time.Second)
	eventually(t, "the Graph API refusals", func() bool { return graphCalls.Load() >= 2 })
	eventually(t, "the Bot API refusal in the log", func() bool { return strings.Contains(out.String(), "Unauthorized: invalid token") })
	fake.Server.Close()
	if st := tgPost(t, s, tgSecretToken, tgText(11, 2, "where is my order?")); st != 200 {
		t.Fatalf("telegram webhook: %d", st)
	}
	eventually(t, "the unreachable Bot API in the log", func() bool { return strings.Contains(out.String(), "connection refused") })

	// Reloads: the same file, then one with problems next to the secrets.
	s.must(200, "POST", "/v1/admin/reload", adminTok, nil)
	path := filepath.Join(dir, "switchboard.yaml")
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Secrets in fields of the wrong channel type, of the wrong shape, with
	// a character Telegram refuses.
	bad := string(good)
	for _, r := range [][2]string{
		{`phone_number_id: "1122334455"`, `phone_number_id: "1122334455", bot_token: ` + strconv.Quote(waToken)},
		{`verify_token: ` + strconv.Quote(verify), `verify_token: [` + strconv.Quote(verify) + `]`},
		{`secret_token: ` + strconv.Quote(tgSecretToken), `app_secret: ` + strconv.Quote(appSecret) + `, secret_token: "` + tgSecretToken + ` !"`},
	} {
		if !strings.Contains(bad, r[0]) {
			t.Fatalf("config has no %s", r[0])
		}
		bad = strings.Replace(bad, r[0], r[1], 1)
	}
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	r := s.call("POST", "/v1/admin/reload", adminTok, nil)
	if r.status != 400 {
		t.Fatalf("reload of a bad file: %d %s", r.status, r.raw)
	}
	for _, sec := range []string{waToken, appSecret, verify, tgSecretToken} {
		if strings.Contains(r.raw, sec) {
			t.Errorf("the reload refusal shows a secret: %s", r.raw)
		}
	}
	agentStream.cancel()
	visitorStream.cancel()
	s.stop()

	log := out.String()
	// The log is real: requests, refusals and the provider errors are in it.
	for _, want := range []string{"http request", "/v1/auth/login", "/webhooks/:channel_id", "401", "DEBUG",
		"Invalid OAuth access token", "[token]", "<token>", "config reload refused", "secret_token", "verify_token"} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q; it cannot show that secrets stay out", want)
		}
	}
	secrets := map[string]string{
		"WhatsApp access token": waToken, "WhatsApp app secret": appSecret, "WhatsApp verify token": verify,
		"Telegram bot token": fake.Token, "Telegram bot token's secret part": fake.Token[strings.Index(fake.Token, ":")+1:],
		"Telegram secret token": tgSecretToken, "admin password": adminPass, "agent password": agentPass,
		"wrong password": wrongPass, "admin token": adminTok, "agent token": agentTok, "visitor token": visitorTok,
		"forged token": forged,
	}
	for what, sec := range secrets {
		if sec == "" {
			t.Fatalf("%s is empty", what)
		}
		if i := strings.Index(log, sec); i >= 0 {
			start := max(0, strings.LastIndex(log[:i], "\n")+1)
			end := i + len(sec) + strings.Index(log[i+len(sec):]+"\n", "\n")
			t.Errorf("the %s appears in the output: %s", what, log[start:end])
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s", log)
	}
}

// postWebhook posts body to /webhooks/ch with one header set (if value is
// not empty) and returns the status.
func postWebhook(t *testing.T, s *server, ch, body, header, value string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", s.base+"/webhooks/"+ch, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if value != "" {
		req.Header.Set(header, value)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// rawStream opens an event stream with ?access_token= and hands over its
// lines as they come, unparsed.
func rawStream(t *testing.T, s *server, path, token string) (<-chan string, http.Header) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", s.base+path+"?access_token="+url.QueryEscape(token), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("open %s: %d", path, resp.StatusCode)
	}
	lines := make(chan string, 1000)
	go func() {
		defer resp.Body.Close()
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	return lines, resp.Header
}

// nextData returns the data line of the next event of typ on lines.
func nextData(t *testing.T, lines <-chan string, typ string) string {
	t.Helper()
	timeout := time.After(15 * time.Second)
	var current string
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("stream ended waiting for %s", typ)
			}
			switch {
			case strings.HasPrefix(l, "event: "):
				current = l[len("event: "):]
			case strings.HasPrefix(l, "data: ") && current == typ:
				return l[len("data: "):]
			}
		case <-timeout:
			t.Fatalf("no %s event", typ)
		}
	}
}

// TestMarkupIsInert: a visitor named with a script element writes an
// image element with an onerror handler. Every answer that carries them —
// the visitor's own, the request list, the accepted conversation, history
// search, an agent template that names the customer, both event streams —
// is JSON (or an event stream of JSON) in which no < or > appears as
// such, and decodes to exactly what was written. Error answers that
// repeat bad input escape it too, and the pages send a CSP that runs no
// inline script.
func TestMarkupIsInert(t *testing.T) {
	const name = `<script>alert(1)</script>`
	const text = `<img src=x onerror=alert(1)> parcel missing & "late"`
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			s := startServer(t, b, t.TempDir())
			admin := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}), "token")
			alice := agentOnline(t, s, admin, "Alice")
			agentLines, agentHeader := rawStream(t, s, "/v1/events", alice)

			inert := func(what string, r response, wantStatus int) {
				t.Helper()
				if r.status != wantStatus {
					t.Fatalf("%s: %d %s, want %d", what, r.status, r.raw, wantStatus)
				}
				if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
					t.Errorf("%s: Content-Type %q", what, ct)
				}
				if strings.ContainsAny(r.raw, "<>") {
					t.Errorf("%s: markup sent unescaped: %s", what, r.raw)
				}
			}
			equal := func(what, got, want string) {
				t.Helper()
				if got != want {
					t.Errorf("%s = %q, want %q", what, got, want)
				}
			}

			r := s.call("POST", "/v1/widget/sessions", "", map[string]any{"name": name})
			inert("new session", r, 201)
			vtok, convID := str(r.body, "token"), str(r.body, "conversation_id")
			visitorLines, visitorHeader := rawStream(t, s, "/v1/widget/events", vtok)
			for what, h := range map[string]http.Header{"agent stream": agentHeader, "visitor stream": visitorHeader} {
				if ct := h.Get("Content-Type"); ct != "text/event-stream" {
					t.Errorf("%s: Content-Type %q", what, ct)
				}
			}

			r = s.call("POST", "/v1/widget/messages", vtok, map[string]any{"text": text})
			inert("visitor message", r, 202)
			equal("visitor message text", str(r.body, "message", "text"), text)
			r = s.call("POST", "/v1/widget/handoff", vtok, nil)
			inert("handoff", r, 202)
			reqID := str(r.body, "request", "id")
			equal("handoff customer name", str(r.body, "request", "customer", "name"), name)

			var data map[string]any
			raw := nextData(t, agentLines, "request.created")
			if strings.ContainsAny(raw, "<>") || json.Unmarshal([]byte(raw), &data) != nil {
				t.Errorf("request.created data: %s", raw)
			}
			equal("request.created customer name", str(data, "customer", "name"), name)
			equal("request.created initial message", str(data, "initial_message"), text)

			r = s.call("GET", "/v1/requests", alice, nil)
			inert("request list", r, 200)
			if rs := list(r.body, "requests"); len(rs) != 1 || str(rs[0], "customer", "name") != name || str(rs[0], "initial_message") != text {
				t.Errorf("request list: %s", r.raw)
			}
			r = s.call("POST", "/v1/requests/"+reqID+"/accept", alice, nil)
			inert("accept", r, 200)
			equal("accepted conversation customer", str(r.body, "conversation", "customer", "name"), name)

			r = s.call("POST", "/v1/conversations/"+convID+"/messages", alice, map[string]any{"template": "opening"})
			inert("template reply", r, 202)
			wantGreeting := "Hi " + name + ", I'm Alice and I'm looking into this for you."
			equal("template reply text", str(r.body, "message", "text"), wantGreeting)
			for {
				raw := nextData(t, visitorLines, "message.created")
				data = nil
				if strings.ContainsAny(raw, "<>") || json.Unmarshal([]byte(raw), &data) != nil {
					t.Errorf("message.created data: %s", raw)
				}
				if str(data, "author") == "agent" {
					equal("message.created text", str(data, "text"), wantGreeting)
					break
				}
			}

			r = s.call("GET", "/v1/conversations/"+convID, alice, nil)
			inert("conversation", r, 200)
			texts := map[string]bool{}
			for _, m := range list(r.body, "messages") {
				texts[str(m, "text")] = true
			}
			if !texts[text] || !texts[wantGreeting] {
				t.Errorf("conversation messages: %s", r.raw)
			}
			r = s.call("GET", "/v1/widget/messages", vtok, nil)
			inert("visitor poll", r, 200)
			s.must(200, "POST", "/v1/conversations/"+convID+"/resolve", alice, nil)
			r = s.call("GET", "/v1/conversations?status=all&q=parcel", alice, nil)
			inert("history search", r, 200)
			if cs := list(r.body, "conversations"); len(cs) != 1 || str(cs[0], "customer", "name") != name {
				t.Errorf("history search: %s", r.raw)
			}

			// Bad input that holds markup: refused, and escaped if repeated.
			for _, c := range []struct {
				what, method, path, token string
				body                      any
				status                    int
			}{
				{"status filter", "GET", "/v1/requests?status=" + url.QueryEscape(name), alice, nil, 400},
				{"history status", "GET", "/v1/conversations?status=" + url.QueryEscape(name), alice, nil, 400},
				{"date", "GET", "/v1/conversations?from=" + url.QueryEscape(name), alice, nil, 400},
				{"limit", "GET", "/v1/conversations?limit=" + url.QueryEscape(text), alice, nil, 400},
				{"visitor id", "POST", "/v1/widget/sessions", "", map[string]any{"visitor_id": name}, 400},
				{"widget channel", "POST", "/v1/widget/sessions", "", map[string]any{"channel_id": name}, 404},
				{"page url", "PUT", "/v1/widget/page", vtok, map[string]any{"page_url": "javascript:" + name}, 400},
				{"malformed JSON", "POST", "/v1/widget/messages", vtok, `{"text":"a"` + name + `}`, 400},
				{"wrong type", "POST", "/v1/widget/messages", vtok, map[string]any{"text": []string{text}}, 400},
				{"agent e-mail", "POST", "/v1/admin/agents", admin, map[string]any{"email": name, "name": "X", "password": "secret-pass"}, 400},
				{"unknown request", "GET", "/v1/requests/" + url.PathEscape(name), alice, nil, 404},
				{"unknown route", "GET", "/v1/" + url.PathEscape(name), alice, nil, 404},
			} {
				r := s.call(c.method, c.path, c.token, c.body)
				inert(c.what, r, c.status)
				if msg := strings.ToLower(str(r.body, "error", "message")); strings.Contains(msg, "<script") || strings.Contains(msg, "<img") {
					t.Errorf("%s: the error repeats the markup: %q", c.what, msg)
				}
			}

			// The pages run no inline script, and nothing is sniffed.
			for _, page := range []string{"/inbox", "/widget/demo"} {
				resp, err := http.Get(s.base + page)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				h := resp.Header
				if resp.StatusCode != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") || h.Get("X-Content-Type-Options") != "nosniff" {
					t.Errorf("%s: %d, Content-Type %q, X-Content-Type-Options %q", page, resp.StatusCode, h.Get("Content-Type"), h.Get("X-Content-Type-Options"))
				}
				if src := scriptSources(h.Get("Content-Security-Policy")); src == nil || strings.Contains(strings.Join(src, " "), "'unsafe-") || slices.Contains(src, "*") {
					t.Errorf("%s: CSP %q lets inline or foreign scripts run", page, h.Get("Content-Security-Policy"))
				}
			}
		})
	}
}

// scriptSources is what a CSP allows for scripts: script-src, else
// default-src; nil when neither is set (anything runs).
func scriptSources(csp string) []string {
	var def []string
	for _, d := range strings.Split(csp, ";") {
		f := strings.Fields(d)
		if len(f) == 0 {
			continue
		}
		switch strings.ToLower(f[0]) {
		case "script-src":
			return append(f[1:], "")[:len(f)-1]
		case "default-src":
			def = append(f[1:], "")[:len(f)-1]
		}
	}
	return def
}

// TestVisitorsAreIsolated: a visitor's token reaches only that visitor's
// conversation — by poll, by event stream, and when it names another
// conversation in the body or the query — and neither a visitor's nor an
// agent's token works on the other side's routes.
func TestVisitorsAreIsolated(t *testing.T) {
	s := startServer(t, backend{name: "embedded"}, t.TempDir())
	admin := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}), "token")
	agentTok := agentOnline(t, s, admin, "Iris")
	a := s.must(201, "POST", "/v1/widget/sessions", "", map[string]any{"name": "Alice"})
	b := s.must(201, "POST", "/v1/widget/sessions", "", map[string]any{"name": "Bob"})
	aTok, aConv, bTok, bConv := str(a, "token"), str(a, "conversation_id"), str(b, "token"), str(b, "conversation_id")
	if aConv == bConv || aTok == bTok {
		t.Fatalf("two visitors share a session: %v %v", a, b)
	}
	bLines, _ := rawStream(t, s, "/v1/widget/events", bTok)

	const private = "my card number is 4111-private"
	s.must(202, "POST", "/v1/widget/messages", aTok, map[string]any{"text": private})
	// Bob names Alice's conversation every way a client could.
	s.must(202, "POST", "/v1/widget/messages?conversation_id="+aConv, bTok, map[string]any{"text": "bob one", "conversation_id": aConv})
	s.must(202, "POST", "/v1/widget/handoff?conversation_id="+aConv, bTok, map[string]any{"text": "bob two", "conversation_id": aConv})

	texts := func(tok, query string) []string {
		var out []string
		for _, m := range list(s.must(200, "GET", "/v1/widget/messages"+query, tok, nil), "messages") {
			out = append(out, str(m, "text"))
		}
		return out
	}
	for _, q := range []string{"", "?conversation_id=" + aConv, "?after=" + aConv} {
		for _, txt := range texts(bTok, q) {
			if strings.Contains(txt, "private") {
				t.Fatalf("Bob read Alice's message with query %q", q)
			}
		}
	}
	if got := texts(aTok, ""); !slices.Contains(got, private) || slices.Contains(got, "bob one") || slices.Contains(got, "bob two") {
		t.Fatalf("Alice's conversation: %q", got)
	}
	// Bob's messages are in Bob's conversation (the agent's view).
	bobs := map[string]bool{}
	for _, m := range list(s.must(200, "GET", "/v1/conversations/"+bConv, admin, nil), "messages") {
		bobs[str(m, "text")] = true
	}
	if !bobs["bob one"] || !bobs["bob two"] || bobs[private] {
		t.Fatalf("Bob's conversation: %v", bobs)
	}
	// Bob's stream carried Bob's events only.
	s.must(202, "POST", "/v1/widget/messages", bTok, map[string]any{"text": "bob last"})
	for {
		data := nextData(t, bLines, "message.created")
		if strings.Contains(data, "private") {
			t.Fatalf("Alice's message on Bob's stream: %s", data)
		}
		if strings.Contains(data, "bob last") {
			break
		}
	}

	// Tokens of one side are refused on the other (contract format).
	for _, c := range []struct{ what, method, path, token string }{
		{"visitor reads a conversation", "GET", "/v1/conversations/" + aConv, bTok},
		{"visitor lists requests", "GET", "/v1/requests", aTok},
		{"visitor writes as an agent", "POST", "/v1/conversations/" + aConv + "/messages", aTok},
		{"agent posts as a visitor", "POST", "/v1/widget/messages", agentTok},
		{"agent polls as a visitor", "GET", "/v1/widget/messages", agentTok},
	} {
		t.Run(c.what, func(t *testing.T) {
			s.t = t
			defer func() { s.t = nil }()
			s.wantError(401, "unauthorized", c.method, c.path, c.token, map[string]any{"text": "x"})
		})
	}
	s.t = t
	for _, c := range []struct{ what, path, token string }{
		{"visitor on the agent stream", "/v1/events", aTok},
		{"agent on the visitor stream", "/v1/widget/events", agentTok},
	} {
		if st := rawGet(t, s.base+c.path+"?access_token="+url.QueryEscape(c.token)); st != 401 {
			t.Errorf("%s: %d, want 401", c.what, st)
		}
	}
}

// TestReplayedWebhookWithAlteredBody: a correctly signed WhatsApp body
// replayed with one byte changed (or its message id swapped) under the same
// signature is refused and stores nothing; replayed unchanged it is
// answered 200 and stores nothing new.
func TestReplayedWebhookWithAlteredBody(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			const secret = "replay-app-secret"
			_, gsrv := newFakeGraph(t, "replay-token")
			s := startServerWith(t, b, t.TempDir(), fmt.Sprintf(`channels:
  - {id: web, type: widget}
  - {id: wa, type: whatsapp, phone_number_id: "1122334455", access_token: "replay-token", app_secret: %q, verify_token: "v", graph_url: %q}
`, secret, gsrv.URL+"/v21.0"))
			admin := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}), "token")
			customerTexts := func() []string {
				var out []string
				for _, c := range list(s.must(200, "GET", "/v1/conversations?status=all&channel=wa", admin, nil), "conversations") {
					for _, m := range list(s.must(200, "GET", "/v1/conversations/"+str(c, "id"), admin, nil), "messages") {
						if str(m, "author") == "customer" {
							out = append(out, str(m, "text"))
						}
					}
				}
				slices.Sort(out)
				return out
			}
			body := `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp",` +
				`"metadata":{"phone_number_id":"1122334455"},"contacts":[{"profile":{"name":"Rita"},"wa_id":"4915100000002"}],` +
				`"messages":[{"from":"4915100000002","id":"wamid.replay1","timestamp":"1700000000","type":"text","text":{"body":"pay 10 EUR"}}]}}]}]}`
			sig := meta.Sign([]byte(secret), []byte(body))
			if st := postWebhook(t, s, "wa", body, meta.SignatureHeader, sig); st != 200 {
				t.Fatalf("signed webhook: %d", st)
			}
			before := customerTexts()
			if !slices.Equal(before, []string{"pay 10 EUR"}) {
				t.Fatalf("stored customer messages %q, want the one sent", before)
			}
			for _, alt := range []struct{ what, from, to string }{
				{"one byte of the text", "pay 10 EUR", "pay 90 EUR"},
				{"the message id", "wamid.replay1", "wamid.replay2"},
				{"the sender", `"from":"4915100000002"`, `"from":"4915100000003"`},
				{"trailing white space", "]}", "]} "},
			} {
				altered := strings.Replace(body, alt.from, alt.to, 1)
				if altered == body {
					t.Fatalf("%s: nothing changed", alt.what)
				}
				if st := postWebhook(t, s, "wa", altered, meta.SignatureHeader, sig); st != 401 {
					t.Errorf("replay with %s altered: %d, want 401", alt.what, st)
				}
			}
			if st := postWebhook(t, s, "wa", body, meta.SignatureHeader, sig); st != 200 {
				t.Fatalf("unchanged replay: %d, want 200", st)
			}
			if after := customerTexts(); !slices.Equal(after, before) {
				t.Fatalf("replays stored messages: %q, want %q", after, before)
			}
		})
	}
}

// TestExpiredTokensAreRefused: with short agents.token_ttl and
// server.visitor_ttl, agent and visitor tokens work until they expire and
// are then refused with 401 unauthorized, on plain routes and event
// streams; logging in again gives a working token.
func TestExpiredTokensAreRefused(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			s, _ := startLogged(t, b, t.TempDir(), "text", adminPassword, ", visitor_ttl: 3s", "agents: {token_ttl: 3s}\n")
			login := func() string {
				return str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}), "token")
			}
			agentTok := login()
			visitorTok := str(s.must(201, "POST", "/v1/widget/sessions", "", nil), "token")
			s.must(200, "GET", "/v1/me", agentTok, nil)
			s.must(200, "GET", "/v1/widget/messages", visitorTok, nil)
			eventually(t, "the tokens to expire", func() bool {
				return s.call("GET", "/v1/me", agentTok, nil).status == 401 && s.call("GET", "/v1/widget/messages", visitorTok, nil).status == 401
			})
			s.wantError(401, "unauthorized", "GET", "/v1/me", agentTok, nil)
			s.wantError(401, "unauthorized", "GET", "/v1/requests", agentTok, nil)
			s.wantError(401, "unauthorized", "GET", "/v1/widget/messages", visitorTok, nil)
			s.wantError(401, "unauthorized", "POST", "/v1/widget/messages", visitorTok, map[string]any{"text": "still here?"})
			for _, u := range []string{"/v1/events?access_token=" + url.QueryEscape(agentTok), "/v1/widget/events?access_token=" + url.QueryEscape(visitorTok),
				"/admin/queues?access_token=" + url.QueryEscape(agentTok)} {
				if st := rawGet(t, s.base+u); st != 401 {
					t.Errorf("%s with an expired token: %d, want 401", strings.SplitN(u, "?", 2)[0], st)
				}
			}
			s.must(200, "GET", "/v1/me", login(), nil)
		})
	}
}
