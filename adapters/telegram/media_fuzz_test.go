package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/core"
)

// getFileTransport answers getMe like Telegram, getFile with the fuzzed
// status and body, and file downloads with a few bytes.
type getFileTransport struct {
	status int
	body   []byte
}

func (g getFileTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp := &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, Request: r}
	switch {
	case strings.HasSuffix(r.URL.Path, "/getMe"):
		resp.Body = io.NopCloser(strings.NewReader(`{"ok":true,"result":{"id":1,"is_bot":true,"first_name":"B","username":"b_bot"}}`))
	case strings.HasSuffix(r.URL.Path, "/getFile"):
		resp.StatusCode, resp.Body = g.status, io.NopCloser(bytes.NewReader(g.body))
	default:
		resp.Body, resp.ContentLength = io.NopCloser(strings.NewReader("file")), 4
	}
	return resp, nil
}

// FuzzGetFile feeds any getFile answer to the fetcher: it never panics,
// never shows the token (the file URL holds it), a permanent failure has
// one of the contract's reasons, and a file comes only from an answer
// that was ok and named a file_path.
func FuzzGetFile(f *testing.F) {
	for _, s := range []struct {
		status int
		body   string
	}{
		{200, `{"ok":true,"result":{"file_id":"AwACAgIAAxkBAAIB","file_unique_id":"AgAD","file_size":5000,"file_path":"voice/file_7.oga"}}`},
		{200, `{"ok":true,"result":{"file_id":"X","file_size":99999999,"file_path":"documents/big.zip"}}`},
		{200, `{"ok":true,"result":{"file_id":"X"}}`},
		{400, `{"ok":false,"error_code":400,"description":"Bad Request: file is too big"}`},
		{400, `{"ok":false,"error_code":400,"description":"Bad Request: invalid file_id"}`},
		{429, `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}`},
		{200, `{"ok":true,"result":{"file_path":"../../bot4242:AAFakeFuzz/getMe"}}`},
		{502, `<html>Bad Gateway</html>`},
	} {
		f.Add(s.status, []byte(s.body))
	}
	const tok = "4242:AAFakeFuzz_token-0123"
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 100 || status > 599 {
			return
		}
		fe := NewFetcher(NewClient("https://api.telegram.example", tok, &http.Client{Transport: getFileTransport{status, body}}))
		rf, err := fe.FetchMedia(context.Background(), core.InboundAttachment{Kind: core.AttachmentVoice, Ref: "X"})
		if err != nil {
			if strings.Contains(err.Error(), tok) {
				t.Fatalf("the error shows the token: %v", err)
			}
			if reason, ok := core.IsPermanentMedia(err); ok && !mediaReasonsTG[reason] {
				t.Fatalf("permanent failure with reason %q", reason)
			}
			return
		}
		defer rf.Body.Close()
		var answer struct {
			Result struct {
				FilePath string `json:"file_path"`
			} `json:"result"`
		}
		if json.Unmarshal(body, &answer) != nil || answer.Result.FilePath == "" {
			t.Fatalf("a file from getFile answering %d %q", status, body)
		}
	})
}

var mediaReasonsTG = map[string]bool{core.MediaExpired: true, core.MediaNotFound: true, core.MediaTooLarge: true, core.MediaRefused: true}
