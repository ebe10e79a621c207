package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// access says who may call a route.
type access int

const (
	public  access = iota // anyone (probes, login, new widget sessions, provider webhooks)
	visitor               // a visitor token only
	agent                 // an agent token only
	admin                 // an admin's agent token only
	either                // a visitor's or an agent's token (the files of a conversation)
)

// routeAccess classifies every route the gateway serves. A route missing
// here fails TestEveryRouteIsGuarded: a new route must be classified.
var routeAccess = map[string]access{
	"GET /healthz":                           public,
	"GET /readyz":                            public,
	"GET /metrics":                           public,
	"GET /openapi.yaml":                      public,
	"GET /widget.js":                         public,
	"GET /widget/demo":                       public,
	"GET /inbox":                             public, // the page; its data needs a token
	"GET /inbox/app.js":                      public,
	"GET /inbox/attachments.js":              public,
	"GET /inbox/app.css":                     public,
	"GET /webhooks/:channel_id":              public, // verified per channel (verify token)
	"POST /webhooks/:channel_id":             public, // verified per channel (signature, secret)
	"POST /v1/auth/login":                    public,
	"POST /v1/widget/sessions":               public,
	"GET /v1/widget/events":                  visitor,
	"POST /v1/widget/messages":               visitor,
	"GET /v1/widget/messages":                visitor,
	"POST /v1/widget/handoff":                visitor,
	"POST /v1/widget/attachments":            visitor,
	"GET /v1/attachments/:id":                either,
	"GET /v1/attachments/:id/thumbnail":      either,
	"PUT /v1/widget/page":                    visitor,
	"GET /v1/events":                         agent,
	"POST /v1/auth/logout":                   agent,
	"GET /v1/me":                             agent,
	"PUT /v1/me/status":                      agent,
	"GET /v1/requests":                       agent,
	"GET /v1/requests/:id":                   agent,
	"POST /v1/requests/:id/accept":           agent,
	"POST /v1/requests/:id/decline":          agent,
	"GET /v1/conversations":                  agent,
	"GET /v1/conversations/:id":              agent,
	"POST /v1/conversations/:id/messages":    agent,
	"POST /v1/conversations/:id/attachments": agent,
	"POST /v1/conversations/:id/resolve":     agent,
	"POST /v1/conversations/:id/reassign":    agent,
	"GET /v1/templates":                      agent,
	"GET /v1/stats":                          agent,
	"GET /v1/reports/shift":                  agent,
	"POST /v1/reports/shift/follow-up":       admin,
	"POST /v1/admin/agents":                  admin,
	"GET /v1/admin/agents":                   admin,
	"PATCH /v1/admin/agents/:id":             admin,
	"POST /v1/admin/reload":                  admin,
	"GET /admin/queues":                      admin,
	"GET /admin/queues/*":                    admin,
	"GET /inbox/ring.js":                     public,
	"GET /inbox/ring.wav":                    public,
	"GET /favicon.ico":                       public,
	"PUT /v1/widget/typing":                  visitor,
	"POST /v1/widget/read":                   visitor,
	"PATCH /v1/me":                           agent,
	"GET /v1/requests/:id/messages":          agent,
	"POST /v1/conversations/:id/notes":       agent,
	"PUT /v1/conversations/:id/typing":       agent,
	"POST /v1/conversations/:id/read":        agent,
}

// TestEveryRouteIsGuarded calls every route of the real gateway with no
// token, a visitor token, a plain agent's token and an admin's, and checks
// that each is let through exactly where routeAccess says.
func TestEveryRouteIsGuarded(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "switchboard.yaml")
	os.WriteFile(cfgPath, []byte("data_dir: "+dir+"\nserver: {metrics: public}\n"), 0o600)
	a, err := open(context.Background(), globals{configPath: cfgPath}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	routes := a.gateway().Echo.Routes()

	s := startServer(t, backend{name: "embedded"}, t.TempDir())
	adminTok := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}), "token")
	agentTok := agentOnline(t, s, adminTok, "Plain")
	visitorTok := str(s.must(201, "POST", "/v1/widget/sessions", "", nil), "token")
	param := regexp.MustCompile(`:[a-z_]+`)

	seen := map[string]bool{}
	for _, r := range routes {
		if r.Method == echo.RouteNotFound {
			continue
		}
		if strings.HasSuffix(r.Path, "/*") && r.Method != http.MethodGet {
			continue // an Any subtree: GET stands for it
		}
		key := r.Method + " " + r.Path
		seen[key] = true
		want, ok := routeAccess[key]
		if !ok {
			t.Errorf("route %s is not classified in routeAccess", key)
			continue
		}
		path := strings.Replace(param.ReplaceAllString(r.Path, "x"), "*", "api/queues", 1)
		if strings.Contains(r.Path, ":channel_id") {
			path = strings.Replace(r.Path, ":channel_id", "web", 1)
		}
		agentAs, adminAs := agentTok, adminTok
		if key == "POST /v1/auth/logout" { // it revokes the token it is called with
			agentAs = str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": "plain@example.com", "password": "secret-pass"}), "token")
			adminAs = str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}), "token")
		}
		for _, who := range []struct {
			name  string
			token string
			level access
		}{{"no token", "", public}, {"visitor", visitorTok, visitor}, {"agent", agentAs, agent}, {"admin", adminAs, admin}} {
			status := statusOf(t, s.base, r.Method, path, who.token)
			allowed := want == public || want == who.level || (want == agent && who.level == admin) ||
				(want == either && who.level != public)
			denied := status == 401 || status == 403
			if allowed && denied && !(want == public && status == 403) {
				t.Errorf("%s with %s: %d, want it let through", key, who.name, status)
			}
			if !allowed && !denied {
				t.Errorf("%s with %s: %d, want 401 or 403", key, who.name, status)
			}
			if !allowed && who.token == "" && status != 401 {
				t.Errorf("%s with no token: %d, want 401", key, status)
			}
		}
	}
	for key := range routeAccess {
		if !seen[key] {
			t.Errorf("routeAccess lists %s, which is not served", key)
		}
	}
}

// statusOf answers the status of a request without reading the body (an
// event stream would never end).
func statusOf(t *testing.T, base, method, path, token string) int {
	t.Helper()
	req, _ := http.NewRequest(method, base+path, strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
