package whatsapp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/adapters/whatsapp"
	"github.com/switchboard-chat/switchboard/core"
)

// lookupTransport answers the media id lookup with the fuzzed status and
// body, and any other URL (the file) with a few bytes.
type lookupTransport struct {
	status int
	body   []byte
}

func (l lookupTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path == "/v21.0/MEDIA1" {
		return &http.Response{StatusCode: l.status, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(bytes.NewReader(l.body)), Request: r}, nil
	}
	return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader("file")), ContentLength: 4, Request: r}, nil
}

var mediaReasons = map[string]bool{core.MediaExpired: true, core.MediaNotFound: true, core.MediaTooLarge: true, core.MediaRefused: true}

// FuzzMediaLookup feeds the Graph API's answer to GET /{media-id}, any
// status and body, to the fetcher: it never panics, a file comes only
// with an answer that named its URL, a permanent failure has one of the
// contract's reasons, and no error shows the token.
func FuzzMediaLookup(f *testing.F) {
	for _, s := range []struct {
		status int
		body   string
	}{
		{200, `{"url":"https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1&hash=x","mime_type":"image/jpeg","sha256":"a","file_size":303833,"id":"MEDIA1","messaging_product":"whatsapp"}`},
		{200, `{"url":"http://127.0.0.1/x","file_size":"12"}`},
		{200, `{"url":"file:///etc/passwd"}`},
		{200, `{"id":"MEDIA1"}`},
		{404, `{"error":{"message":"Unsupported get request. Object with ID 'MEDIA1' does not exist","code":100,"error_subcode":33}}`},
		{400, `{"error":{"message":"(#100) Invalid parameter","code":100}}`},
		{401, `{"error":{"message":"Invalid OAuth access token - Cannot parse access token EAAfuzz-token","code":190}}`},
		{500, `not json`},
	} {
		f.Add(s.status, []byte(s.body))
	}
	const tok = "EAAfuzz-token"
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 100 || status > 599 {
			return
		}
		fe := whatsapp.NewFetcher("https://graph.example/v21.0", tok, &http.Client{Transport: lookupTransport{status, body}})
		rf, err := fe.FetchMedia(context.Background(), core.InboundAttachment{Kind: core.AttachmentImage, Ref: "MEDIA1"})
		if err != nil {
			if strings.Contains(err.Error(), tok) {
				t.Fatalf("the error shows the token: %v", err)
			}
			if reason, ok := core.IsPermanentMedia(err); ok && !mediaReasons[reason] {
				t.Fatalf("permanent failure with reason %q", reason)
			}
			return
		}
		defer rf.Body.Close()
		var answer struct {
			URL string `json:"url"`
		}
		if status/100 != 2 || json.Unmarshal(body, &answer) != nil || answer.URL == "" {
			t.Fatalf("a file from a lookup answering %d %q", status, body)
		}
	})
}
