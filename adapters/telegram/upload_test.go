package telegram

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/switchboard-chat/switchboard/adapters/telegram/telegramtest"
	"github.com/switchboard-chat/switchboard/core"
)

// fileOutbound is an agent's file to chat 77; opens counts its Open calls.
func fileOutbound(kind core.AttachmentKind, mimeType, name string, data []byte, caption string, opens *atomic.Int32) core.Outbound {
	m := outbound("77", caption)
	m.File = &core.OutboundFile{Kind: kind, MIME: mimeType, Name: name, Size: int64(len(data)),
		Open: func(context.Context) (io.ReadCloser, error) {
			if opens != nil {
				opens.Add(1)
			}
			return io.NopCloser(bytes.NewReader(data)), nil
		}}
	return m
}

func TestSendFile(t *testing.T) {
	jpeg := append([]byte{0xff, 0xd8, 0xff, 0xe0}, bytes.Repeat([]byte{5}, 4096)...)
	pdf := append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("page "), 9000)...)
	ogg := append([]byte("OggS"), bytes.Repeat([]byte{2}, 3000)...)
	mp3 := append([]byte("ID3\x03"), bytes.Repeat([]byte{4}, 3000)...)
	mp4 := append([]byte("\x00\x00\x00\x18ftypmp42"), bytes.Repeat([]byte{6}, 3000)...)
	gif := append([]byte("GIF89a"), bytes.Repeat([]byte{1}, 100)...)
	cases := []struct {
		name, method, field, caption string
		out                          core.Outbound
	}{
		{"photo", "sendPhoto", "photo", "the broken part", fileOutbound(core.AttachmentImage, "image/jpeg", "shot.jpg", jpeg, "the broken part", nil)},
		{"PDF", "sendDocument", "document", "your invoice", fileOutbound(core.AttachmentDocument, "application/pdf", "invoice.pdf", pdf, "your invoice", nil)},
		{"voice note", "sendVoice", "voice", "", fileOutbound(core.AttachmentVoice, "audio/ogg; codecs=opus", "note.ogg", ogg, "", nil)},
		{"an OGG/Opus recording judged audio goes as a voice message", "sendVoice", "voice", "", fileOutbound(core.AttachmentAudio, "audio/ogg", "memo.ogg", ogg, "", nil)},
		{"audio", "sendAudio", "audio", "the song", fileOutbound(core.AttachmentAudio, "audio/mpeg", "song.mp3", mp3, "the song", nil)},
		{"video", "sendVideo", "video", "how to", fileOutbound(core.AttachmentVideo, "video/mp4", "howto.mp4", mp4, "how to", nil)},
		{"a GIF goes as a document", "sendDocument", "document", "", fileOutbound(core.AttachmentImage, "image/gif", "a.gif", gif, "", nil)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fake := telegramtest.New(t)
			s := NewSender(NewClient(fake.URL(), fake.Token, nil), 0)
			pid, err := s.Send(context.Background(), c.out)
			if err != nil {
				t.Fatal(err)
			}
			calls := fake.Calls(c.method)
			if len(calls) != 1 || len(fake.Calls("sendMessage")) != 0 {
				t.Fatalf("calls %v", fake.Calls(""))
			}
			call := calls[0]
			f, ok := call.Files[c.field]
			if !ok || !bytes.Equal(f.Data, mustOpen(t, c.out.File)) || f.Name != c.out.File.Name {
				t.Errorf("%s: uploaded %v %q, %d bytes", c.method, ok, f.Name, len(f.Data))
			}
			if call.Params.Get("chat_id") != "77" || call.Params.Get("caption") != c.caption {
				t.Errorf("params %v", call.Params)
			}
			if !strings.HasPrefix(pid, "77:") {
				t.Errorf("provider id %q", pid)
			}
		})
	}
	if t.Failed() {
		return
	}

	t.Run("sticker: its text goes first", func(t *testing.T) {
		fake := telegramtest.New(t)
		s := NewSender(NewClient(fake.URL(), fake.Token, nil), 0)
		_, err := s.Send(context.Background(), fileOutbound(core.AttachmentSticker, "image/webp", "s.webp", []byte("RIFF\x00\x00\x00\x00WEBPVP8 "), "thanks!", nil))
		if err != nil {
			t.Fatal(err)
		}
		all := fake.Calls("")
		var methods []string
		for _, c := range all {
			methods = append(methods, c.Method)
		}
		if got := strings.Join(methods, ","); !strings.HasSuffix(got, "sendMessage,sendSticker") {
			t.Errorf("calls %s", got)
		}
	})

	t.Run("429: waited out, the file opened and uploaded again", func(t *testing.T) {
		fake := telegramtest.New(t)
		fake.Script("sendDocument", telegramtest.Refusal(429, "Too Many Requests: retry after 1", 1))
		s := NewSender(NewClient(fake.URL(), fake.Token, nil), 0)
		waits := noSleep(s)
		var opens atomic.Int32
		if _, err := s.Send(context.Background(), fileOutbound(core.AttachmentDocument, "application/pdf", "a.pdf", pdf, "", &opens)); err != nil {
			t.Fatal(err)
		}
		calls := fake.Calls("sendDocument")
		if len(calls) != 2 || len(*waits) != 1 || opens.Load() != 2 {
			t.Fatalf("%d calls, waits %v, %d opens", len(calls), *waits, opens.Load())
		}
		for i, c := range calls {
			if !bytes.Equal(c.Files["document"].Data, pdf) {
				t.Errorf("attempt %d uploaded %d bytes", i+1, len(c.Files["document"].Data))
			}
		}
	})

	t.Run("blocked by the user: permanent", func(t *testing.T) {
		fake := telegramtest.New(t)
		fake.Script("sendPhoto", telegramtest.Refusal(403, "Forbidden: bot was blocked by the user", 0))
		s := NewSender(NewClient(fake.URL(), fake.Token, nil), 0)
		_, err := s.Send(context.Background(), fileOutbound(core.AttachmentImage, "image/png", "a.png", []byte("\x89PNG\r\n\x1a\n"), "", nil))
		de, ok := errors.AsType[*core.DeliveryError](err)
		if !ok || !de.Permanent || de.Code != "403" {
			t.Fatalf("err %v, want a permanent 403", err)
		}
	})

	for _, c := range []struct {
		name, code, reason string
		out                core.Outbound
	}{
		{"photo over 10 MB", "payload_too_large", "Telegram accepts images up to 10 MB",
			fileOutbound(core.AttachmentImage, "image/jpeg", "big.jpg", make([]byte, 10*core.MB+1), "x", nil)},
		{"document over 50 MB", "payload_too_large", "Telegram accepts documents up to 50 MB",
			fileOutbound(core.AttachmentDocument, "application/zip", "big.zip", make([]byte, 50*core.MB+1), "", nil)},
	} {
		t.Run(c.name+": refused, nothing sent", func(t *testing.T) {
			fake := telegramtest.New(t)
			s := NewSender(NewClient(fake.URL(), fake.Token, nil), 0)
			_, err := s.Send(context.Background(), c.out)
			de, ok := errors.AsType[*core.DeliveryError](err)
			if !ok || !de.Permanent || de.Code != c.code || de.Reason != c.reason {
				t.Fatalf("err %v, want a permanent %s %q", err, c.code, c.reason)
			}
			if calls := fake.Calls(""); len(calls) != 0 {
				t.Errorf("calls %v", calls)
			}
		})
	}

	t.Run("the blob store fails: retried, nothing sent", func(t *testing.T) {
		fake := telegramtest.New(t)
		s := NewSender(NewClient(fake.URL(), fake.Token, nil), 0)
		out := fileOutbound(core.AttachmentDocument, "application/pdf", "a.pdf", pdf, "", nil)
		out.File.Open = func(context.Context) (io.ReadCloser, error) { return nil, errors.New("blob store down") }
		_, err := s.Send(context.Background(), out)
		if _, ok := errors.AsType[*core.DeliveryError](err); err == nil || ok {
			t.Fatalf("err %v, want a transient one", err)
		}
		if len(fake.Calls("sendDocument")) != 0 {
			t.Errorf("a document was sent")
		}
	})
}

func mustOpen(t *testing.T, f *core.OutboundFile) []byte {
	t.Helper()
	rc, err := f.Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	return b
}
