package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"image"
	_ "image/jpeg"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/adapters/messenger"
	"github.com/switchboard-chat/switchboard/adapters/meta"
	"github.com/switchboard-chat/switchboard/adapters/telegram"
	"github.com/switchboard-chat/switchboard/adapters/whatsapp"
	"github.com/switchboard-chat/switchboard/cmd/internal/samplemedia"
	"github.com/switchboard-chat/switchboard/core"
)

func testFiles(t *testing.T) mediaFiles {
	t.Helper()
	f, err := newMediaFiles()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// oggPages splits an Ogg stream into pages, checking each one's
// checksum; it fails the test on a malformed stream.
func oggPages(t *testing.T, b []byte) [][]byte {
	t.Helper()
	var pages [][]byte
	for len(b) > 0 {
		if len(b) < 27 || string(b[:4]) != "OggS" {
			t.Fatalf("page %d: no capture pattern", len(pages))
		}
		n := int(b[26])
		size := 27 + n
		for _, l := range b[27 : 27+n] {
			size += int(l)
		}
		page := bytes.Clone(b[:size])
		want := binary.LittleEndian.Uint32(page[22:])
		binary.LittleEndian.PutUint32(page[22:], 0)
		if got := samplemedia.OggCRC(page); got != want {
			t.Fatalf("page %d: checksum %08x, computed %08x", len(pages), want, got)
		}
		pages = append(pages, b[:size])
		b = b[size:]
	}
	return pages
}

// TestMediaFiles: the files are what they claim to be, by the gateway's
// own sniffing and by decoders, and every message's file is its own.
func TestMediaFiles(t *testing.T) {
	f := testFiles(t)
	for _, small := range []bool{false, true} {
		p3, p4 := f.photoFor(3, small), f.photoFor(4, small)
		img, format, err := image.Decode(bytes.NewReader(p3))
		if err != nil || format != "jpeg" {
			t.Fatalf("photo (small %v) does not decode: %v %s", small, err, format)
		}
		w, h := photoW, photoH
		if small {
			w, h = photoSmallW, photoSmallH
		}
		if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
			t.Errorf("photo (small %v) is %v, want %dx%d", small, b, w, h)
		}
		if core.SniffMedia(p3) != "image/jpeg" || bytes.Equal(p3, p4) || len(p3) != len(p4) {
			t.Errorf("photo (small %v): sniffed %s; two messages' photos equal %v, sizes %d %d", small, core.SniffMedia(p3), bytes.Equal(p3, p4), len(p3), len(p4))
		}
	}
	sum := sha256.Sum256(f.photoFor(42, false))
	if got := f.photoSHA(42); got != base64.StdEncoding.EncodeToString(sum[:]) {
		t.Errorf("photoSHA(42) = %s, not the SHA-256 of the photo", got)
	}
	if len(f.photo) < 50_000 {
		t.Errorf("the photo is %d bytes: want a real picture's size", len(f.photo))
	}

	v1, v2 := f.voiceFor(1), f.voiceFor(2)
	if core.SniffMedia(v1) != "audio/ogg" || bytes.Equal(v1, v2) {
		t.Errorf("voice: sniffed %s, two equal %v", core.SniffMedia(v1), bytes.Equal(v1, v2))
	}
	pages := oggPages(t, v1)
	oggPages(t, f.voice)
	if len(pages) < 3 || !bytes.Contains(pages[0], []byte("OpusHead")) || !bytes.Contains(pages[1], []byte("OpusTags")) ||
		!bytes.Contains(pages[1], []byte(seqText(1))) || pages[0][5] != 0x02 || pages[len(pages)-1][5] != 0x04 {
		t.Errorf("voice: %d pages, want OpusHead (BOS), OpusTags with the seq, audio to EOS", len(pages))
	}
	last := pages[len(pages)-1]
	if g := binary.LittleEndian.Uint64(last[6:]); g != 312+250*960 {
		t.Errorf("voice: last granule %d, want 5 s at 48 kHz after the pre-skip", g)
	}

	d1, d2 := f.pdfFor(1), f.pdfFor(2)
	if !bytes.HasPrefix(d1, []byte("%PDF-1.4")) || core.SniffMedia(d1) != "application/pdf" || bytes.Equal(d1, d2) || len(d1) != len(d2) {
		t.Errorf("pdf: sniffed %s, two equal %v", core.SniffMedia(d1), bytes.Equal(d1, d2))
	}
	// Every cross-reference offset points at its object.
	xref := regexp.MustCompile(`(\d{10}) 00000 n `).FindAllSubmatch(d1, -1)
	if len(xref) != 5 {
		t.Fatalf("pdf: %d xref entries, want 5", len(xref))
	}
	for i, m := range xref {
		off, _ := strconv.Atoi(string(m[1]))
		if !bytes.HasPrefix(d1[off:], []byte(strconv.Itoa(i+1)+" 0 obj")) {
			t.Errorf("pdf: xref entry %d points at %q", i+1, d1[off:min(off+10, len(d1))])
		}
	}
	m := regexp.MustCompile(`startxref\n(\d+)\n`).FindSubmatch(d1)
	if off, _ := strconv.Atoi(string(m[1])); m == nil || !bytes.HasPrefix(d1[off:], []byte("xref\n")) {
		t.Errorf("pdf: startxref does not point at the xref table")
	}
}

// mediaServer runs the fake provider with media routes for a config.
func mediaServer(t *testing.T) (*mediaSource, *httptest.Server, target) {
	t.Helper()
	o := genOptions{Addr: "127.0.0.1:1", ProviderAddr: "127.0.0.1:2", DataDir: t.TempDir()}
	text, err := renderConfig(o, newSecrets())
	if err != nil {
		t.Fatal(err)
	}
	path := t.TempDir() + "/lg.yaml"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	tgt, err := readTarget(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := newMediaSource(tgt)
	if err != nil {
		t.Fatal(err)
	}
	p := &provider{onSend: func(string, string, time.Time) {}, log: slog.New(slog.NewTextHandler(io.Discard, nil)), media: m}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	m.base = srv.URL
	return m, srv, tgt
}

// TestMediaRoundTrip: each media body normalises, with the gateway's own
// parser, to a message with one attachment, and the gateway's own
// fetcher for that channel downloads exactly that message's file from
// the fake provider; with a wrong token (or a tampered URL) the provider
// refuses and the fetcher fails.
func TestMediaRoundTrip(t *testing.T) {
	m, srv, _ := mediaServer(t)
	x := testIDs(t)
	at := time.Unix(1_700_000_000, 0)
	ctx := context.Background()
	waToken := m.waToken
	for _, tc := range []struct {
		name    string
		seq     int64
		body    func() []core.InboundEvent
		fetcher func(token string) core.MediaFetcher
		kind    core.AttachmentKind
		want    []byte
	}{
		{"whatsapp image", 10, func() []core.InboundEvent {
			evs, err := whatsapp.Normalize(x.whatsAppImageBody(m, "1122334455", 10, 3, x.text(10, false), at))
			if err != nil {
				t.Fatal(err)
			}
			return evs
		}, func(tok string) core.MediaFetcher {
			return whatsapp.NewFetcher(srv.URL+"/graph/"+m.waChannel, tok, srv.Client())
		},
			core.AttachmentImage, m.files.photoFor(10, false)},
		{"telegram photo", 12, func() []core.InboundEvent {
			return []core.InboundEvent{tgEvent(t, x.telegramMediaBody(m, 12, 3, x.text(12, false), at))}
		},
			func(tok string) core.MediaFetcher {
				return telegram.NewFetcher(telegram.NewClient(srv.URL+"/tg", tok, srv.Client()))
			},
			core.AttachmentImage, m.files.photoFor(12, false)},
		{"telegram voice", 13, func() []core.InboundEvent {
			return []core.InboundEvent{tgEvent(t, x.telegramMediaBody(m, 13, 3, x.text(13, false), at))}
		},
			func(tok string) core.MediaFetcher {
				return telegram.NewFetcher(telegram.NewClient(srv.URL+"/tg", tok, srv.Client()))
			},
			core.AttachmentVoice, m.files.voiceFor(13)},
		{"messenger file", 14, func() []core.InboundEvent {
			evs, err := messenger.Normalize(x.messengerFileBody(m, "PAGE", 14, 3, at))
			if err != nil {
				t.Fatal(err)
			}
			return evs
		}, func(string) core.MediaFetcher { return meta.URLFetcher{HTTP: srv.Client()} },
			core.AttachmentDocument, m.files.pdfFor(14)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evs := tc.body()
			if len(evs) != 1 || evs[0].Kind != core.InboundMessage || len(evs[0].Attachments) != 1 {
				t.Fatalf("events %+v: want one message with one attachment", evs)
			}
			ev, a := evs[0], evs[0].Attachments[0]
			if a.Kind != tc.kind {
				t.Errorf("attachment kind %s, want %s", a.Kind, tc.kind)
			}
			// The exactly-once check finds the message by its text, or
			// (Messenger: no text) by the attachment's URL.
			k, seq, ok := x.parseToken(ev.Text)
			if !ok {
				k, seq, ok = x.parseToken(a.URL)
			}
			if !ok || k != 'n' || seq != tc.seq {
				t.Errorf("token: %c %d %v in text %q, url %q", k, seq, ok, ev.Text, a.URL)
			}
			tok := waToken
			if strings.HasPrefix(tc.name, "telegram") {
				tok = m.tgToken
			}
			rf, err := tc.fetcher(tok).FetchMedia(ctx, a)
			if err != nil {
				t.Fatalf("fetch: %v", err)
			}
			got, _ := io.ReadAll(rf.Body)
			rf.Body.Close()
			if !bytes.Equal(got, tc.want) {
				t.Errorf("fetched %d bytes, not the message's file (%d bytes)", len(got), len(tc.want))
			}
			before := m.refused.Load()
			bad := a
			if tc.kind == core.AttachmentDocument {
				bad.URL = strings.Replace(a.URL, "oh=00_", "oh=00_0", 1) // a tampered signature
			}
			if _, err := tc.fetcher(tok+"x").FetchMedia(ctx, bad); err == nil {
				t.Errorf("fetched with a wrong token or a tampered URL")
			}
			if m.refused.Load() == before {
				t.Errorf("the provider did not count the refusal")
			}
		})
	}
}

func tgEvent(t *testing.T, body []byte) core.InboundEvent {
	t.Helper()
	d, err := telegram.Decode(body)
	if err != nil || d.Tolerant() {
		t.Fatalf("decode: %v (library: %v)", err, d.LibraryErr)
	}
	return telegram.Normalize(d.Update)
}

// TestMediaRoutesRefuse: the provider's media routes answer as the
// providers do to a missing token, an unknown file and a bad signature.
func TestMediaRoutesRefuse(t *testing.T) {
	m, srv, _ := mediaServer(t)
	get := func(path, auth string) int {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	post := func(path string) int {
		resp, err := srv.Client().Post(srv.URL+path, "application/x-www-form-urlencoded", strings.NewReader("file_id=nonsense"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, tc := range []struct {
		name string
		got  func() int
		want int
	}{
		{"whatsapp lookup without token", func() int { return get("/graph/"+m.waChannel+"/9123450000000001", "") }, http.StatusUnauthorized},
		{"whatsapp lookup with token", func() int { return get("/graph/"+m.waChannel+"/9123450000000001", "Bearer "+m.waToken) }, http.StatusOK},
		{"whatsapp download unsigned", func() int {
			return get("/lookaside/whatsapp_business/attachments/?mid=9123450000000001&ext=1&hash=00", "Bearer "+m.waToken)
		}, http.StatusNotFound},
		{"telegram download, wrong token", func() int { return get("/tg/file/botWRONG/photos/file_1.jpg", "") }, http.StatusUnauthorized},
		{"telegram download, unknown path", func() int { return get("/tg/file/bot"+m.tgToken+"/documents/file_1.zip", "") }, http.StatusNotFound},
		{"telegram download", func() int { return get("/tg/file/bot"+m.tgToken+"/voice/file_1.oga", "") }, http.StatusOK},
		{"telegram getFile, bad file_id", func() int { return post("/tg/bot" + m.tgToken + "/getFile") }, http.StatusBadRequest},
		{"telegram getFile, wrong token", func() int { return post("/tg/botWRONG/getFile") }, http.StatusUnauthorized},
		{"cdn unsigned", func() int { return get("/cdn/v/t59.2708-21/lg0a1b2c3dn1_n.pdf?oh=00_00&oe=1", "") }, http.StatusForbidden},
	} {
		if got := tc.got(); got != tc.want {
			t.Errorf("%s: HTTP %d, want %d", tc.name, got, tc.want)
		}
	}
}

// TestJudgeMedia: an acknowledged media message without an attachment
// is missing; pending and failed attachments fail the check; an
// attachment on a text message is unexpected; a clean run is OK.
func TestJudgeMedia(t *testing.T) {
	r := &runner{opt: options{mediaShare: 0.2}}
	wa, tg := kindIndex(kindWhatsApp), kindIndex(kindTelegram)
	r.ledger.set(0, wa|stSent|stAcked|stMedia)
	r.ledger.set(1, tg|stSent|stAcked|stMedia)  // odd: a voice note
	r.ledger.set(2, tg|stSent|stAcked|stMedia)  // even: a photo, missing
	r.ledger.set(3, wa|stSent|stAcked)          // text
	r.ledger.set(4, wa|stSent|stFailed|stMedia) // not acknowledged, not stored: fine
	rows := []mediaRow{{seq: 0, status: "ready", thumb: true}, {seq: 1, status: "ready"}}
	ok := r.judgeMedia(rows, 2)
	if !ok.OK || ok.Ready != 2 || ok.Thumbnails != 1 || ok.Acked != 2 || ok.ByKind[mediaWAImage] != 1 || ok.ByKind[mediaTGVoice] != 1 {
		t.Errorf("clean run judged %+v", ok)
	}
	for _, tc := range []struct {
		name  string
		rows  []mediaRow
		check func(MediaReport) bool
	}{
		{"missing", rows, func(m MediaReport) bool { return m.Missing == 1 && m.MissingSeq[0] == 2 }},
		{"pending", append(rows, mediaRow{seq: 2, status: "pending"}), func(m MediaReport) bool { return m.Pending == 1 && m.Missing == 0 }},
		{"failed", append(rows, mediaRow{seq: 2, status: "failed", error: "not_found"}), func(m MediaReport) bool { return m.Failed == 1 && m.FailReasons["not_found"] == 1 }},
		{"on a text message", append(rows, mediaRow{seq: 2, status: "ready"}, mediaRow{seq: 3, status: "ready"}), func(m MediaReport) bool { return m.Unexpected == 1 }},
	} {
		got := r.judgeMedia(tc.rows, 5)
		if got.OK || !tc.check(got) {
			t.Errorf("%s: judged %+v", tc.name, got)
		}
	}
}

// TestMediaFlags: bad -media-share and -media-wait values, and media
// with nothing to carry it or check it, are usage errors (exit 2) that
// name the flag; nothing is sent.
func TestMediaFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-media-share", "-0.1"}, "-media-share must be in [0, 1]"},
		{[]string{"-media-share", "1.5"}, "-media-share must be in [0, 1]"},
		{[]string{"-media-share", "NaN"}, "-media-share must be in [0, 1]"},
		{[]string{"-media-share", "lots"}, "invalid value"},
		{[]string{"-media-share", "0.2", "-media-wait", "-1s"}, "-media-wait ≥ 0"},
		{[]string{"-media-share", "0.2", "-mix", "widget=100"}, "needs WhatsApp, Messenger or Telegram"},
		{[]string{"-media-share", "0.2", "-verify-db", "none"}, "it needs -verify-db"},
	} {
		var out, errOut bytes.Buffer
		args := append([]string{"-config", "/nonexistent/lg.yaml", "-rate", "10"}, tc.args...)
		if code := run(context.Background(), args, &out, &errOut); code != exitUsage || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d naming %q", tc.args, code, errOut.String(), exitUsage, tc.want)
		}
	}
}
