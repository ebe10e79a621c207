package core_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/switchboard-chat/switchboard/adapters/blobstore"
	"github.com/switchboard-chat/switchboard/core"
)

// fileEnv is an env whose Service keeps files in a local blob store (dir)
// and takes files up to maxBytes; the widget channel "web" gets test
// limits named "Webchat": images (PNG, JPEG) up to 2 KB, documents up to
// 64 KB, no stickers.
func newFileEnv(t *testing.T, maxBytes int64) (*env, string) {
	t.Helper()
	e := newEnv(t)
	dir := t.TempDir()
	blobs, err := blobstore.NewLocal(dir)
	ok(t, err)
	e.svc = core.NewService(core.Deps{Store: e.store, Jobs: e.jobs, Events: e.events, Now: e.clock.Now, BcryptCost: 4,
		Blobs: blobs, MediaMaxBytes: maxBytes}, testSettings())
	e.svc.RegisterSender("web", e.sender)
	e.svc.RegisterSender("wa", e.sender)
	e.svc.RegisterMedia("web", core.ChannelMedia{Limits: core.MediaLimits{Channel: "Webchat",
		MaxBytes: map[core.AttachmentKind]int64{core.AttachmentImage: 2 * core.KB, core.AttachmentDocument: 64 * core.KB},
		Types:    map[core.AttachmentKind][]string{core.AttachmentImage: {"image/png", "image/jpeg"}}}})
	return e, dir
}

// storedFiles counts the files in the blob store's directory.
func storedFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	ok(t, filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return err
	}))
	return n
}

func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = byte(rng.Uint32()) // noise: no compression to speak of
	}
	var b bytes.Buffer
	ok(t, png.Encode(&b, img))
	return b.Bytes()
}

func gifOf(t *testing.T) []byte {
	t.Helper()
	img := image.NewPaletted(image.Rect(0, 0, 4, 4), color.Palette{color.White, color.Black})
	var b bytes.Buffer
	ok(t, gif.Encode(&b, img, nil))
	return b.Bytes()
}

func upload(name string, data []byte) core.Upload {
	return core.Upload{Name: name, Body: bytes.NewReader(data)}
}

func TestSendAgentFile(t *testing.T) {
	e, dir := newFileEnv(t, 100*core.KB)
	alice := e.online("Alice")
	conv := e.active("Ada", alice)
	pdf := append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("invoice line\n"), 2000)...)

	m, err := e.svc.SendAgentFile(e.ctx, alice, conv.ID, upload(`C:\Users\alice\invoice-117.pdf`, pdf), "  Your invoice  ")
	ok(t, err)
	mustEqual(t, "text (the caption)", m.Text, "Your invoice")
	mustEqual(t, "delivery", m.Delivery, core.DeliveryQueued)
	mustEqual(t, "attachments", len(m.Attachments), 1)
	a := m.Attachments[0]
	if a.Kind != core.AttachmentDocument || a.ContentType != "application/pdf" || a.Size != int64(len(pdf)) ||
		a.Name != "invoice-117.pdf" || a.Status != core.AttachmentReady || a.BlobKey == "" {
		t.Fatalf("attachment %+v", a)
	}
	if got := e.msg(m.ID); len(got.Attachments) != 1 || got.Attachments[0].ID != a.ID {
		t.Fatalf("stored message %+v", got)
	}
	if d := e.jobs.Delivers(); d[len(d)-1] != m.ID {
		t.Fatalf("deliveries %v: the file's message is not queued", d)
	}

	// msg:deliver hands the file to the channel's Sender, which reads it
	// from the blob store.
	rs := &readingSender{}
	e.svc.RegisterSender("web", rs)
	ok(t, e.svc.Deliver(e.ctx, m.ID))
	out, data := rs.last()
	if out.File == nil || out.File.Kind != core.AttachmentDocument || out.File.MIME != "application/pdf" ||
		out.File.Name != "invoice-117.pdf" || out.File.Size != int64(len(pdf)) || out.Text != "Your invoice" {
		t.Fatalf("outbound %+v file %+v", out, out.File)
	}
	if !bytes.Equal(data, pdf) {
		t.Fatalf("the sender read %d bytes, want the %d of the PDF", len(data), len(pdf))
	}
	mustEqual(t, "delivered", e.msg(m.ID).Delivery, core.DeliverySent)

	// The same file again is stored once (content-addressed).
	before := storedFiles(t, dir)
	_, err = e.svc.SendAgentFile(e.ctx, alice, conv.ID, upload("again.pdf", pdf), "")
	ok(t, err)
	mustEqual(t, "blobs after the same file twice", storedFiles(t, dir), before)
}

func TestSendAgentFileRefused(t *testing.T) {
	e, dir := newFileEnv(t, 100*core.KB)
	alice := e.online("Alice")
	bob := e.online("Bob")
	conv := e.active("Ada", alice)
	cases := []struct {
		name    string
		actor   core.Agent
		file    core.Upload
		caption string
		want    error
		message string // the *MediaLimitError's, for people
	}{
		{"not the assigned agent", bob, upload("a.pdf", []byte("%PDF-1.4 x")), "", core.ErrForbidden, ""},
		{"over media.max_bytes", alice, upload("big.pdf", append([]byte("%PDF-1.4\n"), make([]byte, 100*core.KB)...)), "",
			core.ErrPayloadTooLarge, "Files may be up to 100 KB."},
		{"over the channel's limit", alice, upload("shot.png", pngOf(t, 64, 64)), "", core.ErrPayloadTooLarge,
			"Webchat accepts images up to 2 KB"},
		{"a type the channel refuses", alice, upload("a.gif", gifOf(t)), "", core.ErrUnsupportedMediaType,
			"Webchat does not take image/gif as images (it takes image/png, image/jpeg)"},
		{"HTML named .png", alice, upload("cat.png", []byte("<!DOCTYPE html><html><script>alert(1)</script></html>")), "",
			core.ErrUnsupportedMediaType, "Files of type text/html are not accepted."},
		{"empty", alice, upload("empty.pdf", nil), "", core.ErrUnsupportedMediaType, "The file is empty."},
		{"caption too long", alice, upload("a.pdf", []byte("%PDF-1.4 x")), strings.Repeat("x", core.MaxTextLen), core.ErrInvalid, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			msgs, delivers := len(e.messages(conv.ID)), len(e.jobs.Delivers())
			_, err := e.svc.SendAgentFile(e.ctx, c.actor, conv.ID, c.file, c.caption)
			wantErr(t, err, c.want)
			if c.message != "" {
				me, isLimit := errors.AsType[*core.MediaLimitError](err)
				if !isLimit || me.Message != c.message {
					t.Fatalf("error %v, want the message %q", err, c.message)
				}
			}
			mustEqual(t, "messages", len(e.messages(conv.ID)), msgs)
			mustEqual(t, "stored files", storedFiles(t, dir), 0)
			mustEqual(t, "deliveries", len(e.jobs.Delivers()), delivers)
		})
	}

	t.Run("a resolved conversation", func(t *testing.T) {
		_, err := e.svc.Resolve(e.ctx, alice, conv.ID)
		ok(t, err)
		_, err = e.svc.SendAgentFile(e.ctx, alice, conv.ID, upload("a.pdf", []byte("%PDF-1.4 x")), "")
		wantErr(t, err, core.ErrInvalidTransition)
		mustEqual(t, "stored files", storedFiles(t, dir), 0)
	})
}

// TestDeliverFileBlobGone: the file cannot be read at send time (the blob
// store lost it, or is down): the delivery is retried, not sent without
// its file, and the message stays queued.
func TestDeliverFileBlobGone(t *testing.T) {
	e, dir := newFileEnv(t, 100*core.KB)
	alice := e.online("Alice")
	conv := e.active("Ada", alice)
	m, err := e.svc.SendAgentFile(e.ctx, alice, conv.ID, upload("a.pdf", []byte("%PDF-1.4 lost")), "")
	ok(t, err)
	ok(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			return osRemove(p)
		}
		return err
	}))
	rs := &readingSender{}
	e.svc.RegisterSender("web", rs)
	if err := e.svc.Deliver(e.ctx, m.ID); err == nil {
		t.Fatal("a file that cannot be opened must be retried")
	}
	mustEqual(t, "still queued", e.msg(m.ID).Delivery, core.DeliveryQueued)
}

// readingSender reads the file of every outbound message, as a channel's
// upload does.
type readingSender struct {
	mu   sync.Mutex
	sent []core.Outbound
	data [][]byte
}

func (s *readingSender) Send(ctx context.Context, m core.Outbound) (string, error) {
	var data []byte
	if m.File != nil {
		rc, err := m.File.Open(ctx)
		if err != nil {
			return "", err
		}
		defer rc.Close()
		if data, err = io.ReadAll(rc); err != nil {
			return "", err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, m)
	s.data = append(s.data, data)
	return "provider-file-1", nil
}

func (s *readingSender) last() (core.Outbound, []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sent[len(s.sent)-1], s.data[len(s.data)-1]
}

func osRemove(p string) error { return os.Remove(p) }
