package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
)

// TestQueueUIIsForAdmins: the asynqmon UI answers only admins, takes the
// token once and keeps it in an HttpOnly cookie, and shows our queues.
func TestQueueUIIsForAdmins(t *testing.T) {
	s := startServer(t, backend{name: "embedded"}, t.TempDir())
	admin := str(s.must(200, "POST", "/v1/auth/login", "", map[string]any{"email": adminEmail, "password": adminPassword}), "token")
	plain := agentOnline(t, s, admin, "Plain")

	s.wantError(401, "unauthorized", "GET", "/admin/queues", "", nil)
	s.wantError(401, "unauthorized", "GET", "/admin/queues/api/queues", "", nil)
	s.wantError(403, "forbidden", "GET", "/admin/queues?access_token="+url.QueryEscape(plain), "", nil)

	jar, _ := cookiejar.New(nil)
	var redirects []string
	client := &http.Client{Jar: jar, CheckRedirect: func(r *http.Request, _ []*http.Request) error {
		redirects = append(redirects, r.URL.String())
		return nil
	}}
	resp, err := client.Get(s.base + "/admin/queues?access_token=" + url.QueryEscape(admin))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(strings.ToLower(string(page)), "<html") {
		t.Fatalf("UI page: %d %.200s", resp.StatusCode, page)
	}
	if len(redirects) != 1 || strings.Contains(redirects[0], "access_token") {
		t.Fatalf("the token was not moved out of the address: %v", redirects)
	}
	u, _ := url.Parse(s.base + "/admin/queues")
	cookies := jar.Cookies(u)
	if len(cookies) != 1 || cookies[0].Value != admin {
		t.Fatalf("cookie: %v", cookies)
	}
	resp, err = client.Get(s.base + "/admin/queues/api/queues")
	if err != nil {
		t.Fatal(err)
	}
	api, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(api), "queues") {
		t.Fatalf("UI API with the cookie: %d %.300s", resp.StatusCode, api)
	}
	// The cookie is not sent to the rest of the API.
	if u2, _ := url.Parse(s.base + "/v1/me"); len(jar.Cookies(u2)) != 0 {
		t.Fatal("the queue UI cookie leaks to other paths")
	}
}
