package httpapi

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
)

func TestServeAsset(t *testing.T) {
	e := echo.New()
	e.GET("/page", ServeAsset(Asset{ContentType: "text/html; charset=utf-8", Body: []byte("<p>hi</p>"), CSP: "default-src 'none'"}))
	e.GET("/lib.js", ServeAsset(Asset{ContentType: "text/javascript", Body: []byte("x()"), CrossOrigin: true}))

	get := func(t *testing.T, path, etag string) *httptest.ResponseRecorder {
		t.Helper()
		req := httptest.NewRequest(http.MethodGet, path, nil)
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		return rec
	}

	page := get(t, "/page", "")
	if page.Code != 200 || page.Body.String() != "<p>hi</p>" {
		t.Fatalf("page: %d %q", page.Code, page.Body.String())
	}
	for k, want := range map[string]string{
		"Content-Type":            "text/html; charset=utf-8",
		"Content-Security-Policy": "default-src 'none'",
		"X-Content-Type-Options":  "nosniff",
		"Cache-Control":           "no-cache",
	} {
		if got := page.Header().Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if page.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Error("a page must not be readable cross-origin")
	}
	etag := page.Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	if rec := get(t, "/page", etag); rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
		t.Errorf("revalidation: %d with %d bytes, want 304 and no body", rec.Code, rec.Body.Len())
	}
	if rec := get(t, "/page", `"stale"`); rec.Code != 200 {
		t.Errorf("stale ETag: %d, want 200", rec.Code)
	}

	js := get(t, "/lib.js", "")
	if js.Header().Get("Access-Control-Allow-Origin") != "*" || js.Header().Get("Content-Security-Policy") != "" {
		t.Errorf("script headers: %v", js.Header())
	}
	if js.Header().Get("ETag") == etag {
		t.Error("two different files share an ETag")
	}
}
