package meta_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/adapters/meta"
	"github.com/switchboard-chat/switchboard/core"
)

// cdn is a fake CDN: it serves body at /ok, and every other path answers
// with the status the path names (/status/404).
func cdn(t *testing.T, body []byte) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			t.Errorf("a signed CDN URL got an Authorization header")
		}
		switch r.URL.Path {
		case "/ok":
			if r.URL.Query().Get("oh") != "sig" {
				t.Errorf("the signed query was not kept: %q", r.URL.RawQuery)
			}
			w.Header().Set("Content-Type", "application/pdf")
			w.Header().Set("Content-Disposition", `attachment; filename="invoice.pdf"`)
			w.Write(body)
		case "/status/404":
			http.Error(w, "gone", http.StatusNotFound)
		case "/status/403":
			http.Error(w, "URL signature expired", http.StatusForbidden)
		case "/status/400":
			http.Error(w, "bad", http.StatusBadRequest)
		case "/status/429":
			http.Error(w, "slow down", http.StatusTooManyRequests)
		case "/status/503":
			http.Error(w, "down", http.StatusServiceUnavailable)
		default:
			t.Errorf("unexpected path %s", r.URL.Path)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestURLFetcher(t *testing.T) {
	pdf := []byte("%PDF-1.7 a customer's invoice")
	srv := cdn(t, pdf)
	f := meta.URLFetcher{HTTP: srv.Client()}
	rf, err := f.FetchMedia(context.Background(), core.InboundAttachment{Kind: core.AttachmentDocument, URL: srv.URL + "/ok?oh=sig&oe=1"})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rf.Body)
	rf.Body.Close()
	if !bytes.Equal(got, pdf) || rf.MIME != "application/pdf" || rf.Size != int64(len(pdf)) || rf.Name != "invoice.pdf" {
		t.Errorf("got %q %q size %d name %q", got, rf.MIME, rf.Size, rf.Name)
	}

	cases := []struct {
		name, url  string
		permanent  bool
		wantReason string
	}{
		{"not found", srv.URL + "/status/404?oh=secret", true, core.MediaNotFound},
		{"signature expired", srv.URL + "/status/403?oh=secret", true, core.MediaExpired},
		{"other refusal", srv.URL + "/status/400?oh=secret", true, core.MediaRefused},
		{"rate limited", srv.URL + "/status/429?oh=secret", false, ""},
		{"server down", srv.URL + "/status/503?oh=secret", false, ""},
		{"no URL", "", true, core.MediaNotFound},
		{"not http", "file:///etc/passwd", true, core.MediaNotFound},
		{"unreachable", "http://127.0.0.1:1/x?oh=secret", false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.FetchMedia(context.Background(), core.InboundAttachment{Kind: core.AttachmentImage, URL: c.url})
			if err == nil {
				t.Fatal("no error")
			}
			reason, permanent := core.IsPermanentMedia(err)
			if permanent != c.permanent || reason != c.wantReason {
				t.Errorf("%v: permanent %v reason %q, want %v %q", err, permanent, reason, c.permanent, c.wantReason)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("the error shows the signed query: %v", err)
			}
		})
	}
}

func TestClientDownloadScrubsToken(t *testing.T) {
	const tok = "eaasecret-token"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+tok {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		io.WriteString(w, "bytes")
	}))
	defer srv.Close()
	c := meta.NewClient(srv.URL, tok, srv.Client())
	rf, err := c.Download(context.Background(), srv.URL+"/media/1")
	if err != nil {
		t.Fatal(err)
	}
	rf.Body.Close()
	// A host whose name is the token: the error must not show it.
	_, err = c.Download(context.Background(), "http://"+tok+".invalid/x")
	if err == nil {
		t.Fatal("no error")
	}
	if strings.Contains(err.Error(), tok) {
		t.Errorf("the error shows the token: %v", err)
	}
	if _, permanent := core.IsPermanentMedia(err); permanent {
		t.Errorf("a DNS failure is permanent: %v", err)
	}
}

func TestPostFile(t *testing.T) {
	const tok = "EAA-token"
	file := bytes.Repeat([]byte("0123456789\r\n--"), 10000) // looks like boundaries, on purpose
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v21.0/PHONE/media" || r.Header.Get("Authorization") != "Bearer "+tok {
			t.Errorf("%s %s auth %q", r.Method, r.URL.Path, r.Header.Get("Authorization"))
		}
		if r.ContentLength <= int64(len(file)) || len(r.TransferEncoding) > 0 {
			t.Errorf("Content-Length %d, transfer encoding %v: want an exact length", r.ContentLength, r.TransferEncoding)
		}
		mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if mt != "multipart/form-data" {
			t.Fatalf("content type %q", mt)
		}
		// The short request below is cut off by the client mid-body; its
		// handler may still run. Only a body that arrived whole is judged.
		whole, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		mr := multipart.NewReader(bytes.NewReader(whole), params["boundary"])
		got := map[string]string{}
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(p)
			if p.FormName() == "file" {
				if p.FileName() != "a_b.pdf" || p.Header.Get("Content-Type") != "application/pdf" {
					t.Errorf("file part %q %q", p.FileName(), p.Header.Get("Content-Type"))
				}
				if !bytes.Equal(b, file) {
					t.Errorf("file bytes differ: %d bytes, want %d", len(b), len(file))
				}
			}
			got[p.FormName()] = string(b)
		}
		if got["messaging_product"] != "whatsapp" || got["type"] != "application/pdf" {
			t.Errorf("fields %v", got)
		}
		io.WriteString(w, `{"id":"MEDIA1"}`)
	}))
	defer srv.Close()
	c := meta.NewClient(srv.URL+"/v21.0", tok, srv.Client())
	var out struct{ ID string }
	err := c.PostFile(context.Background(), "PHONE/media",
		[]meta.Part{{"messaging_product", "whatsapp"}, {"type", "application/pdf"}},
		meta.FilePart{Field: "file", Name: "a/b.pdf", MIME: "application/pdf", Size: int64(len(file)), Body: bytes.NewReader(file)}, &out)
	if err != nil || out.ID != "MEDIA1" {
		t.Fatalf("PostFile = %v, id %q", err, out.ID)
	}

	// A reader shorter than the announced size fails the request.
	err = c.PostFile(context.Background(), "PHONE/media", nil,
		meta.FilePart{Field: "file", Name: "x", MIME: "application/pdf", Size: int64(len(file)) + 10, Body: bytes.NewReader(file)}, &out)
	if err == nil {
		t.Fatal("a short file was sent")
	}
	var ge *meta.GraphError
	if errors.As(err, &ge) {
		t.Fatalf("a short body reached the server: %v", err)
	}
}
