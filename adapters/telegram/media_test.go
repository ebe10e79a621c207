package telegram

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/adapters/telegram/telegramtest"
	"github.com/switchboard-chat/switchboard/core"
)

func TestFetcher(t *testing.T) {
	fake := telegramtest.New(t)
	voice := append([]byte("OggS"), bytes.Repeat([]byte{1}, 5000)...)
	fake.AddFile("VOICE", "voice/file_7.oga", voice)
	fake.AddFileSized("HUGE", "documents/file_8.zip", []byte("x"), 25<<20)
	fake.AddFile("GONE", "photos/file_9.jpg", nil)
	f := NewFetcher(NewClient(fake.URL(), fake.Token, nil))
	ctx := context.Background()

	rf, err := f.FetchMedia(ctx, core.InboundAttachment{Kind: core.AttachmentVoice, Ref: "VOICE", MIME: "audio/ogg", Size: 5004})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rf.Body)
	rf.Body.Close()
	if !bytes.Equal(got, voice) || rf.MIME != "audio/ogg" || rf.Size != int64(len(voice)) {
		t.Errorf("got %d bytes, %q, size %d", len(got), rf.MIME, rf.Size)
	}
	if d := fake.Downloads(); len(d) != 1 || d[0] != "voice/file_7.oga" {
		t.Errorf("downloads %v", d)
	}

	cases := []struct {
		name       string
		a          core.InboundAttachment
		script     *telegramtest.Reply // the download's answer
		getFile    *telegramtest.Reply
		permanent  bool
		wantReason string
	}{
		{"over 20 MB by the update: no call", core.InboundAttachment{Kind: core.AttachmentVideo, Ref: "VOICE", Size: 21 << 20}, nil, nil, true, core.MediaTooLarge},
		{"over 20 MB by getFile", core.InboundAttachment{Kind: core.AttachmentDocument, Ref: "HUGE"}, nil, nil, true, core.MediaTooLarge},
		{"unknown file_id", core.InboundAttachment{Kind: core.AttachmentImage, Ref: "NOPE"}, nil, nil, true, core.MediaNotFound},
		{"file gone from the servers", core.InboundAttachment{Kind: core.AttachmentImage, Ref: "GONE"}, &telegramtest.Reply{Status: 404, Body: "{}"}, nil, true, core.MediaNotFound},
		{"download 502: retried", core.InboundAttachment{Kind: core.AttachmentVoice, Ref: "VOICE"}, &telegramtest.Reply{Status: 502, Body: "bad gateway"}, nil, false, ""},
		{"getFile 429: retried", core.InboundAttachment{Kind: core.AttachmentVoice, Ref: "VOICE"}, nil, ptr(telegramtest.Refusal(429, "Too Many Requests: retry after 3", 3)), false, ""},
		{"getFile 500: retried", core.InboundAttachment{Kind: core.AttachmentVoice, Ref: "VOICE"}, nil, ptr(telegramtest.Refusal(500, "Internal Server Error", 0)), false, ""},
		{"token refused: retried", core.InboundAttachment{Kind: core.AttachmentVoice, Ref: "VOICE"}, nil, ptr(telegramtest.Refusal(401, "Unauthorized", 0)), false, ""},
		{"no file_id", core.InboundAttachment{Kind: core.AttachmentVoice}, nil, nil, true, core.MediaNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := len(fake.Calls("getFile"))
			if c.script != nil {
				fake.Script("download", *c.script)
			}
			if c.getFile != nil {
				fake.Script("getFile", *c.getFile)
			}
			_, err := f.FetchMedia(ctx, c.a)
			if err == nil {
				t.Fatal("no error")
			}
			reason, permanent := core.IsPermanentMedia(err)
			if permanent != c.permanent || reason != c.wantReason {
				t.Errorf("%v: permanent %v %q, want %v %q", err, permanent, reason, c.permanent, c.wantReason)
			}
			if strings.Contains(err.Error(), fake.Token) {
				t.Errorf("the error shows the token: %v", err)
			}
			if c.a.Size > MaxDownload && len(fake.Calls("getFile")) != before {
				t.Errorf("getFile was called for a file the update said is too large")
			}
		})
	}
	if bad := fake.BadPaths(); len(bad) > 0 {
		t.Errorf("requests without the token: %v", bad)
	}
}

// TestFetcherNeverShowsToken: a download that fails in the transport (the
// connection refused) names the URL in Go's error, and so the token.
func TestFetcherNeverShowsToken(t *testing.T) {
	fake := telegramtest.New(t)
	fake.AddFile("F", "photos/file_1.jpg", []byte("jpeg"))
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	// getFile answers, then the file server is gone.
	hc := &http.Client{Transport: dropDownloads{http.DefaultTransport}}
	f := NewFetcher(NewClient(fake.URL(), fake.Token, hc))
	_, err := f.FetchMedia(context.Background(), core.InboundAttachment{Kind: core.AttachmentImage, Ref: "F"})
	if err == nil {
		t.Fatal("no error")
	}
	log.Error("fetch failed", "err", err)
	if strings.Contains(err.Error(), fake.Token) || strings.Contains(logs.String(), fake.Token) {
		t.Errorf("the token shows: %v / %s", err, logs.String())
	}
	if !strings.Contains(err.Error(), "photos/file_1.jpg") {
		t.Errorf("the error does not name the file: %v", err)
	}
	if _, permanent := core.IsPermanentMedia(err); permanent {
		t.Errorf("a transport failure is permanent: %v", err)
	}
}

// dropDownloads fails every /file/ request in the transport, with an
// error quoting the URL like a real dial error does.
type dropDownloads struct{ next http.RoundTripper }

func (d dropDownloads) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasPrefix(r.URL.Path, "/file/") {
		return nil, &netErr{"dial " + r.URL.String() + ": connection refused"}
	}
	return d.next.RoundTrip(r)
}

type netErr struct{ s string }

func (e *netErr) Error() string { return e.s }

func ptr[T any](v T) *T { return &v }
