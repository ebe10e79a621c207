package whatsapp_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/adapters/whatsapp"
	"github.com/switchboard-chat/switchboard/core"
)

// mediaGraph is a fake Cloud API for media: GET /v21.0/{id} answers the
// lookup the case gives, GET /lookaside/... serves the bytes (or fails).
// Both check the access token.
type mediaGraph struct {
	lookupStatus int
	lookup       string // body; "URL" is replaced by the server's file URL
	fileStatus   int
	file         []byte
	hang         bool
	lookups      int
	downloads    int
}

func (g *mediaGraph) serve(t *testing.T) *httptest.Server {
	t.Helper()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			t.Errorf("%s %s without the access token", r.Method, r.URL.Path)
			http.Error(w, `{"error":{"code":190,"message":"bad token"}}`, http.StatusUnauthorized)
			return
		}
		if r.Method != http.MethodGet {
			t.Errorf("method %s", r.Method)
		}
		switch {
		case r.URL.Path == "/v21.0/1234567890987654321":
			g.lookups++
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(g.lookupStatus)
			io.WriteString(w, strings.ReplaceAll(g.lookup, "URL", srv.URL+`/lookaside/whatsapp_business/attachments/?mid=1234567890987654321&ext=1&hash=sig`))
		case r.URL.Path == "/lookaside/whatsapp_business/attachments/":
			g.downloads++
			if g.hang {
				<-r.Context().Done()
				return
			}
			if r.URL.Query().Get("hash") != "sig" {
				t.Errorf("download query %q", r.URL.RawQuery)
			}
			if g.fileStatus != 0 && g.fileStatus != http.StatusOK {
				w.WriteHeader(g.fileStatus)
				return
			}
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Write(g.file)
		default:
			t.Errorf("unexpected %s", r.URL.Path)
			w.WriteHeader(http.StatusTeapot)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestFetcher(t *testing.T) {
	ogg := append([]byte("OggS\x00\x02"), bytes.Repeat([]byte{7}, 3000)...)
	voice := core.InboundAttachment{Kind: core.AttachmentVoice, Ref: "1234567890987654321", MIME: "audio/ogg; codecs=opus"}
	found := `{"url":"URL","mime_type":"audio/ogg; codecs=opus","sha256":"x","file_size":3006,"id":"1234567890987654321","messaging_product":"whatsapp"}`

	t.Run("two steps with the token", func(t *testing.T) {
		g := &mediaGraph{lookupStatus: 200, lookup: found, file: ogg}
		srv := g.serve(t)
		rf, err := whatsapp.NewFetcher(srv.URL+"/v21.0", token, srv.Client()).FetchMedia(context.Background(), voice)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(rf.Body)
		rf.Body.Close()
		if !bytes.Equal(got, ogg) || rf.MIME != "audio/ogg; codecs=opus" || rf.Size != int64(len(ogg)) {
			t.Errorf("got %d bytes, %q, size %d", len(got), rf.MIME, rf.Size)
		}
		if g.lookups != 1 || g.downloads != 1 {
			t.Errorf("%d lookups, %d downloads", g.lookups, g.downloads)
		}
	})

	graphErr := func(code int) string {
		return `{"error":{"message":"Unsupported get request. Object with ID '1234567890987654321' does not exist","type":"GraphMethodException","code":` +
			itoa(code) + `,"error_subcode":33,"fbtrace_id":"A"}}`
	}
	cases := []struct {
		name       string
		g          mediaGraph
		permanent  bool
		wantReason string
	}{
		{"lookup 404: expired", mediaGraph{lookupStatus: 404, lookup: graphErr(100)}, true, core.MediaExpired},
		{"lookup 400 code 100: expired", mediaGraph{lookupStatus: 400, lookup: graphErr(100)}, true, core.MediaExpired},
		{"lookup other 400: refused", mediaGraph{lookupStatus: 400, lookup: graphErr(131051)}, true, core.MediaRefused},
		{"lookup 500: retried", mediaGraph{lookupStatus: 500, lookup: graphErr(1)}, false, ""},
		{"lookup 429: retried", mediaGraph{lookupStatus: 429, lookup: graphErr(4)}, false, ""},
		{"lookup refuses the token: retried", mediaGraph{lookupStatus: 401, lookup: graphErr(190)}, false, ""},
		{"lookup without url", mediaGraph{lookupStatus: 200, lookup: `{"id":"1"}`}, true, core.MediaNotFound},
		{"download 404", mediaGraph{lookupStatus: 200, lookup: found, fileStatus: 404}, true, core.MediaNotFound},
		{"download 503: retried", mediaGraph{lookupStatus: 200, lookup: found, fileStatus: 503}, false, ""},
		{"download times out: retried", mediaGraph{lookupStatus: 200, lookup: found, hang: true}, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := c.g
			srv := g.serve(t)
			ctx := context.Background()
			if g.hang {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, 100*time.Millisecond)
				defer cancel()
			}
			_, err := whatsapp.NewFetcher(srv.URL+"/v21.0", token, srv.Client()).FetchMedia(ctx, voice)
			if err == nil {
				t.Fatal("no error")
			}
			reason, permanent := core.IsPermanentMedia(err)
			if permanent != c.permanent || reason != c.wantReason {
				t.Errorf("%v: permanent %v %q, want %v %q", err, permanent, reason, c.permanent, c.wantReason)
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("the error shows the token: %v", err)
			}
		})
	}

	t.Run("no media id", func(t *testing.T) {
		_, err := whatsapp.NewFetcher("http://127.0.0.1:1", token, nil).FetchMedia(context.Background(), core.InboundAttachment{Kind: core.AttachmentImage})
		if reason, ok := core.IsPermanentMedia(err); !ok || reason != core.MediaNotFound {
			t.Errorf("err %v", err)
		}
	})
}
