package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/switchboard-chat/switchboard/adapters/channels"
	"github.com/switchboard-chat/switchboard/config"
)

// Media messages: with -media-share, that share of the WhatsApp,
// Messenger and Telegram messages (never a handoff, never a widget
// message) carries a file instead of plain text, in each provider's own
// webhook shape, and the fake provider serves the files the way each
// provider does:
//
//	WhatsApp   image {id, mime_type, sha256, caption}; GET {graph_url}/{media-id} with the
//	           access token answers {url, mime_type, file_size, sha256}; GET url with the token
//	           answers the JPEG
//	Telegram   photo[] (two sizes) or voice, with a caption; getFile answers file_path, and
//	           GET {api_url}/file/bot<token>/<file_path> the JPEG or the Ogg Opus voice note
//	Messenger  attachments[{type: file, payload: {url}}] with no text; the URL is a signed
//	           CDN address (no token) answering the PDF
//
// Every call is checked as the provider would: a wrong token is 401, a
// tampered or unknown URL 403 or 404.
const (
	mediaWAImage = "whatsapp image"
	mediaTGPhoto = "telegram photo"
	mediaTGVoice = "telegram voice"
	mediaFBFile  = "messenger file"
)

var mediaKinds = []string{mediaWAImage, mediaTGPhoto, mediaTGVoice, mediaFBFile}

// mediaKindOf is the kind of file message seq of the channel kind carries.
func mediaKindOf(kind string, seq int64) string {
	switch kind {
	case kindWhatsApp:
		return mediaWAImage
	case kindMessenger:
		return mediaFBFile
	case kindTelegram:
		if seq%2 == 0 {
			return mediaTGPhoto
		}
		return mediaTGVoice
	}
	return ""
}

// carriesMedia tells whether a message of kind may carry a file.
func carriesMedia(kind string) bool { return mediaKindOf(kind, 0) != "" }

// mediaSource is what the bodies and the fake provider share: the files,
// the key that signs the provider's file URLs, the provider's address
// and the tokens the provider insists on.
type mediaSource struct {
	files     mediaFiles
	key       []byte
	base      string // http://host:port of the fake provider
	waToken   string // WhatsApp access token ("" when the config has no WhatsApp channel)
	waChannel string // graph_url's last path segment of the WhatsApp channel
	tgToken   string

	lookups, refused, bytes atomic.Int64
	downloads               [4]atomic.Int64 // by mediaKinds index
}

func newMediaSource(tgt target) (*mediaSource, error) {
	files, err := newMediaFiles()
	if err != nil {
		return nil, err
	}
	m := &mediaSource{files: files, key: []byte(randomHex(16))}
	if tgt.WhatsApp != nil {
		s := config.SettingsOf[channels.WhatsAppSettings](*tgt.WhatsApp)
		m.waToken = s.AccessToken.Value()
		m.waChannel = s.GraphURL[strings.LastIndex(strings.TrimRight(s.GraphURL, "/"), "/")+1:]
	}
	if tgt.Telegram != nil {
		m.tgToken = config.SettingsOf[channels.TelegramSettings](*tgt.Telegram).BotToken.Value()
	}
	return m, nil
}

func (m *mediaSource) sign(what, expiry string) string {
	h := hmac.New(sha256.New, m.key)
	h.Write([]byte(what + "|" + expiry))
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// waMediaID is the WhatsApp media id of seq: digits, as the Cloud API's.
func (x ids) waMediaID(seq int64) string { return fmt.Sprintf("9%05d%010d", x.runNum%100000, seq) }

// tgFileID is the Telegram file_id of seq's photo ('p'), its small size
// ('s') or voice note ('v'); the prefixes are those of real photo and
// voice file_ids.
func (x ids) tgFileID(seq int64, what byte) string {
	prefix := "AgACAgIAAxkBAAI"
	if what == 'v' {
		prefix = "AwACAgIAAxkBAAI"
	}
	return prefix + "LG" + x.run + string(what) + strconv.FormatInt(seq, 10)
}

// cdnPath is the path of seq's file on the fake Messenger CDN; it holds
// the message token, so the exactly-once check finds a message whose
// text is only "[file]" by its attachment's URL.
func (x ids) cdnPath(seq int64) string { return "/cdn/v/t59.2708-21/" + x.msgToken(seq) + "_n.pdf" }

// Body shapes of media messages.
type waMedia struct {
	Caption  string `json:"caption,omitempty"`
	MimeType string `json:"mime_type"`
	SHA256   string `json:"sha256"`
	ID       string `json:"id"`
}
type fbAttachment struct {
	Type    string `json:"type"`
	Payload struct {
		URL string `json:"url"`
	} `json:"payload"`
}
type tgPhotoSize struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	FileSize     int    `json:"file_size"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
}
type tgVoice struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	Duration     int    `json:"duration"`
	MimeType     string `json:"mime_type"`
	FileSize     int    `json:"file_size"`
}

// whatsAppImageBody is message seq as a photo with the text as caption.
func (x ids) whatsAppImageBody(m *mediaSource, phoneID string, seq, c int64, caption string, at time.Time) []byte {
	contact := waContact{WaID: x.waID(c)}
	contact.Profile.Name = customerName(c)
	msg := waMessage{From: x.waID(c), ID: x.wamid(seq), Timestamp: strconv.FormatInt(at.Unix(), 10), Type: "image",
		Image: &waMedia{Caption: caption, MimeType: "image/jpeg", SHA256: m.files.photoSHA(seq), ID: x.waMediaID(seq)}}
	b := waBody{Object: "whatsapp_business_account", Entry: []waEntry{{ID: "102290129340398", Changes: []waChange{{
		Field: "messages", Value: waValue{MessagingProduct: "whatsapp",
			Metadata: waMetadata{DisplayPhoneNumber: "15550000000", PhoneNumberID: phoneID},
			Contacts: []waContact{contact}, Messages: []waMessage{msg}}}}}}}
	return mustJSON(b)
}

// messengerFileBody is message seq as a file on a signed CDN URL, without
// text (Messenger sends a file as a message of its own).
func (x ids) messengerFileBody(m *mediaSource, page string, seq, c int64, at time.Time) []byte {
	ms := at.UnixMilli()
	oe := strconv.FormatInt(at.Add(7*24*time.Hour).Unix(), 16)
	path := x.cdnPath(seq)
	var a fbAttachment
	a.Type = "file"
	a.Payload.URL = m.base + path + "?_nc_cat=104&ccb=1-7&oh=00_" + m.sign(path, oe) + "&oe=" + oe
	b := fbBody{Object: "page", Entry: []fbEntry{{ID: page, Time: ms, Messaging: []fbMessaging{{
		Sender: fbID{x.psid(c)}, Recipient: fbID{page}, Timestamp: ms,
		Message: fbMessage{Mid: x.mid(seq), Attachments: []fbAttachment{a}}}}}}}
	return mustJSON(b)
}

// telegramMediaBody is update seq as a photo (even seq) or a voice note
// (odd), with the text as caption.
func (x ids) telegramMediaBody(m *mediaSource, seq, c int64, caption string, at time.Time) []byte {
	chat := x.chatID(c)
	last := "Customer " + strconv.FormatInt(c, 10)
	msg := tgMessage{MessageID: seq + 1, From: tgUser{ID: chat, FirstName: "Load", LastName: last},
		Chat: tgChat{ID: chat, FirstName: "Load", LastName: last, Type: "private"}, Date: at.Unix(), Caption: caption}
	uniq := "AQAD" + x.run + strconv.FormatInt(seq, 10)
	if mediaKindOf(kindTelegram, seq) == mediaTGPhoto {
		msg.Photo = []tgPhotoSize{
			{FileID: x.tgFileID(seq, 's'), FileUniqueID: uniq + "s", FileSize: len(m.files.photoSmall) + photoCOM, Width: photoSmallW, Height: photoSmallH},
			{FileID: x.tgFileID(seq, 'p'), FileUniqueID: uniq, FileSize: len(m.files.photo) + photoCOM, Width: photoW, Height: photoH},
		}
	} else {
		msg.Voice = &tgVoice{FileID: x.tgFileID(seq, 'v'), FileUniqueID: uniq, Duration: 1, MimeType: "audio/ogg", FileSize: len(m.files.voice)}
	}
	return mustJSON(tgUpdate{UpdateID: x.updateID(seq), Message: msg})
}

// serveMedia answers the media routes; false when r is none of them.
func (p *provider) serveMedia(w http.ResponseWriter, r *http.Request, parts []string) bool {
	m := p.media
	if m == nil || r.Method != http.MethodGet {
		return false
	}
	switch {
	case len(parts) == 3 && parts[0] == "graph" && parts[1] == m.waChannel && m.waToken != "" && isDigits(parts[2]):
		m.waLookup(w, r, parts[2])
	case len(parts) == 3 && parts[0] == "lookaside" && parts[1] == "whatsapp_business" && parts[2] == "attachments":
		m.waDownload(w, r)
	case len(parts) == 5 && parts[0] == "tg" && parts[1] == "file" && strings.HasPrefix(parts[2], "bot"):
		m.tgDownload(w, parts[2][3:], parts[3]+"/"+parts[4])
	case len(parts) == 4 && parts[0] == "cdn":
		m.cdnDownload(w, r)
	default:
		return false
	}
	return true
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

func graphError(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	writeJSON(w, map[string]any{"error": map[string]any{"message": msg, "type": "OAuthException", "code": code, "fbtrace_id": "LOADGEN"}})
}

func (m *mediaSource) bearerOK(r *http.Request) bool {
	return hmac.Equal([]byte(r.Header.Get("Authorization")), []byte("Bearer "+m.waToken))
}

// waLookup is GET /{media-id}: the file's short-lived URL.
func (m *mediaSource) waLookup(w http.ResponseWriter, r *http.Request, id string) {
	if !m.bearerOK(r) {
		m.refused.Add(1)
		graphError(w, http.StatusUnauthorized, 190, "Invalid OAuth access token - Cannot parse access token")
		return
	}
	m.lookups.Add(1)
	seq, _ := strconv.ParseInt(id[max(0, len(id)-10):], 10, 64)
	ext := strconv.FormatInt(time.Now().Add(5*time.Minute).Unix(), 10)
	writeJSON(w, map[string]any{"messaging_product": "whatsapp", "id": id, "mime_type": "image/jpeg", "sha256": m.files.photoSHA(seq),
		"file_size": len(m.files.photo) + photoCOM,
		"url":       m.base + "/lookaside/whatsapp_business/attachments/?mid=" + id + "&ext=" + ext + "&hash=" + m.sign("wa:"+id, ext)})
}

// waDownload is GET of the lookup's URL: the bytes, with the token.
func (m *mediaSource) waDownload(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if !m.bearerOK(r) {
		m.refused.Add(1)
		graphError(w, http.StatusUnauthorized, 190, "Invalid OAuth access token")
		return
	}
	if !hmac.Equal([]byte(q.Get("hash")), []byte(m.sign("wa:"+q.Get("mid"), q.Get("ext")))) {
		m.refused.Add(1)
		graphError(w, http.StatusNotFound, 100, "Unsupported get request")
		return
	}
	id := q.Get("mid")
	seq, _ := strconv.ParseInt(id[max(0, len(id)-10):], 10, 64)
	m.serveFile(w, mediaWAImage, "image/jpeg", m.files.photoFor(seq, false))
}

// tgTokenOK checks the bot token of a Bot API call or download; a wrong
// one is answered 401 as Telegram does.
func (m *mediaSource) tgTokenOK(w http.ResponseWriter, token string) bool {
	if hmac.Equal([]byte(token), []byte(m.tgToken)) {
		return true
	}
	m.refused.Add(1)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusUnauthorized)
	writeJSON(w, map[string]any{"ok": false, "error_code": 401, "description": "Unauthorized"})
	return false
}

// tgGetFile is the getFile method: file_path of a file_id.
func (m *mediaSource) tgGetFile(w http.ResponseWriter, token, fileID string) {
	if !m.tgTokenOK(w, token) {
		return
	}
	i := strings.Index(fileID, "LG")
	if i < 0 || len(fileID) < i+12 || !isDigits(fileID[i+11:]) {
		m.refused.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		writeJSON(w, map[string]any{"ok": false, "error_code": 400, "description": "Bad Request: invalid file_id"})
		return
	}
	m.lookups.Add(1)
	seq := fileID[i+11:]
	var path string
	var size int
	switch fileID[i+10] {
	case 'p':
		path, size = "photos/file_"+seq+".jpg", len(m.files.photo)+photoCOM
	case 's':
		path, size = "photos/file_"+seq+"_s.jpg", len(m.files.photoSmall)+photoCOM
	default:
		path, size = "voice/file_"+seq+".oga", len(m.files.voice)
	}
	writeJSON(w, map[string]any{"ok": true, "result": map[string]any{"file_id": fileID, "file_unique_id": "AQAD" + seq,
		"file_size": size, "file_path": path}})
}

// tgDownload is GET {api_url}/file/bot<token>/<file_path>.
func (m *mediaSource) tgDownload(w http.ResponseWriter, token, path string) {
	if !m.tgTokenOK(w, token) {
		return
	}
	dir, name, _ := strings.Cut(path, "/")
	digits, _ := strings.CutPrefix(strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, ".jpg"), ".oga"), "_s"), "file_")
	seq, err := strconv.ParseInt(digits, 10, 64)
	switch {
	case err == nil && dir == "photos" && strings.HasSuffix(name, "_s.jpg"):
		m.serveFile(w, mediaTGPhoto, "image/jpeg", m.files.photoFor(seq, true))
	case err == nil && dir == "photos" && strings.HasSuffix(name, ".jpg"):
		m.serveFile(w, mediaTGPhoto, "image/jpeg", m.files.photoFor(seq, false))
	case err == nil && dir == "voice" && strings.HasSuffix(name, ".oga"):
		m.serveFile(w, mediaTGVoice, "audio/ogg", m.files.voiceFor(seq))
	default:
		m.refused.Add(1)
		w.WriteHeader(http.StatusNotFound)
		writeJSON(w, map[string]any{"ok": false, "error_code": 404, "description": "Not Found"})
	}
}

// cdnDownload is GET of a Messenger attachment URL: signed, no token.
func (m *mediaSource) cdnDownload(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	oh, _ := strings.CutPrefix(q.Get("oh"), "00_")
	if !hmac.Equal([]byte(oh), []byte(m.sign(r.URL.Path, q.Get("oe")))) {
		m.refused.Add(1)
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintln(w, "URL signature mismatch")
		return
	}
	var seq int64
	if t := tokenRE.FindStringSubmatch(r.URL.Path); t != nil {
		seq, _ = strconv.ParseInt(t[3], 10, 64)
	}
	m.serveFile(w, mediaFBFile, "application/pdf", m.files.pdfFor(seq))
}

func (m *mediaSource) serveFile(w http.ResponseWriter, kind, contentType string, data []byte) {
	for i, k := range mediaKinds {
		if k == kind {
			m.downloads[i].Add(1)
		}
	}
	m.bytes.Add(int64(len(data)))
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Write(data)
}

// MediaReport is the media messages of a run and what became of their
// attachments.
type MediaReport struct {
	Share float64 `json:"share"`
	// Sent and Acked are media messages; ByKind the acknowledged ones by
	// kind of file.
	Sent   int64            `json:"sent"`
	Acked  int64            `json:"acked"`
	ByKind map[string]int64 `json:"by_kind"`
	// Attachments found in the database for the run's media messages,
	// by status; Thumbnails are ready ones with a thumbnail.
	Attachments int64            `json:"attachments"`
	Ready       int64            `json:"ready"`
	Thumbnails  int64            `json:"thumbnails"`
	Pending     int64            `json:"pending"`
	Failed      int64            `json:"failed"`
	FailReasons map[string]int64 `json:"fail_reasons,omitempty"`
	// Missing: acknowledged media messages with no attachment; Unexpected:
	// attachments on text messages.
	Missing    int64   `json:"missing"`
	MissingSeq []int64 `json:"missing_examples,omitempty"`
	Unexpected int64   `json:"unexpected"`
	// WaitS is how long after the sending (and handoff drain) the last
	// attachment became ready (or the wait gave up).
	WaitS float64 `json:"wait_s"`
	// ReadyPerS is ready attachments ÷ (sending + wait): the fetch rate
	// the workers kept up.
	ReadyPerS float64 `json:"ready_per_s"`
	// Provider is what the fake provider served.
	Lookups    int64            `json:"provider_lookups"`
	Downloads  map[string]int64 `json:"provider_downloads"`
	BytesMB    float64          `json:"provider_mb"`
	Refused    int64            `json:"provider_refused"`
	OK         bool             `json:"ok"`
	Note       string           `json:"note,omitempty"`
	seqsByRows map[int64]int    // seq → attachments found
	viaURL     map[int64]int    // seq → messages found by their attachment's URL only
}

// mediaRow is one attachment of the run.
type mediaRow struct {
	seq           int64
	viaURL        bool // the token is in the source URL, not the text
	status, error string
	thumb         bool
}

// mediaRows reads the run's attachments: those of messages whose text or
// source URL holds one of the run's tokens.
func (r *runner) mediaRows(ctx context.Context, db *sql.DB) ([]mediaRow, error) {
	rows, err := db.QueryContext(ctx, `SELECT m.text, a.source_url, a.status, a.error, a.thumbnail_key
		FROM attachments a JOIN messages m ON m.id = a.message_id
		WHERE m.author = 'customer' AND (m.text LIKE $1 OR a.source_url LIKE $1)`, "%lg"+r.ids.run+"n%")
	if err != nil {
		return nil, fmt.Errorf("query attachments: %w", err)
	}
	defer rows.Close()
	var out []mediaRow
	for rows.Next() {
		var text, url, status, errText, thumb string
		if err := rows.Scan(&text, &url, &status, &errText, &thumb); err != nil {
			return nil, fmt.Errorf("scan attachment: %w", err)
		}
		row := mediaRow{status: status, error: errText, thumb: thumb != ""}
		k, seq, ok := r.ids.parseToken(text)
		if !ok || k != 'n' {
			if k, seq, ok = r.ids.parseToken(url); !ok || k != 'n' {
				continue
			}
			row.viaURL = true
		}
		row.seq = seq
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read attachments: %w", err)
	}
	return out, nil
}

// judgeMedia sets the run's media messages against their attachments.
func (r *runner) judgeMedia(rows []mediaRow, n int64) MediaReport {
	rep := MediaReport{Share: r.opt.mediaShare, ByKind: map[string]int64{}, FailReasons: map[string]int64{}, seqsByRows: map[int64]int{}}
	for _, row := range rows {
		rep.seqsByRows[row.seq]++
		if r.ledger.get(row.seq)&stMedia == 0 {
			rep.Unexpected++
			continue
		}
		rep.Attachments++
		switch row.status {
		case "ready":
			rep.Ready++
			if row.thumb {
				rep.Thumbnails++
			}
		case "pending":
			rep.Pending++
		default:
			rep.Failed++
			rep.FailReasons[row.error]++
		}
	}
	for seq := range n {
		st := r.ledger.get(seq)
		if st&stMedia == 0 || st&stSent == 0 {
			continue
		}
		rep.Sent++
		if st&stAcked == 0 {
			continue
		}
		rep.Acked++
		rep.ByKind[mediaKindOf(kinds[int(st&kindMask)-1], seq)]++
		if rep.seqsByRows[seq] == 0 {
			rep.Missing++
			if len(rep.MissingSeq) < 10 {
				rep.MissingSeq = append(rep.MissingSeq, seq)
			}
		}
	}
	if len(rep.FailReasons) == 0 {
		rep.FailReasons = nil
	}
	rep.OK = rep.Missing == 0 && rep.Pending == 0 && rep.Failed == 0 && rep.Unexpected == 0
	return rep
}

// waitMedia polls the database until every acknowledged media message
// has its attachment and none is pending, or wait is up; it returns the
// last look and the rows (for the exactly-once check).
func (r *runner) waitMedia(ctx context.Context, db *sql.DB, wait time.Duration) (MediaReport, []mediaRow, error) {
	start := time.Now()
	deadline := start.Add(wait)
	n := r.seq.Load()
	for {
		rows, err := r.mediaRows(ctx, db)
		if err != nil {
			return MediaReport{}, nil, err
		}
		rep := r.judgeMedia(rows, n)
		rep.WaitS = time.Since(start).Seconds()
		if rep.Pending == 0 && rep.Missing == 0 || !time.Now().Before(deadline) || ctx.Err() != nil {
			if rep.Pending > 0 {
				rep.Note = fmt.Sprintf("%d attachments still pending after %s: are workers running (serve or worker role)?", rep.Pending, wait)
			}
			return rep, rows, nil
		}
		select {
		case <-ctx.Done():
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// checkMedia waits for the run's attachments (-media-wait) and judges
// them.
func (r *runner) checkMedia(ctx context.Context, raw string) (MediaReport, error) {
	db, dialect, err := openVerifyDB(raw)
	if err != nil {
		return MediaReport{}, err
	}
	defer db.Close()
	rep, rows, err := r.waitMedia(ctx, db, r.opt.mediaWait)
	if err != nil {
		return MediaReport{}, fmt.Errorf("%s: %w", dialect, err)
	}
	rep.viaURL = map[int64]int{}
	for _, row := range rows {
		if row.viaURL {
			rep.viaURL[row.seq]++
		}
	}
	return rep, nil
}

// fillProvider copies the provider's media counters into rep.
func (m *mediaSource) fillProvider(rep *MediaReport) {
	rep.Lookups, rep.Refused = m.lookups.Load(), m.refused.Load()
	rep.BytesMB = mb(float64(m.bytes.Load()))
	rep.Downloads = map[string]int64{}
	for i, k := range mediaKinds {
		if n := m.downloads[i].Load(); n > 0 {
			rep.Downloads[k] = n
		}
	}
}

// printMedia writes the media lines of the table.
func printMedia(w io.Writer, m *MediaReport) {
	verdict := "OK"
	if !m.OK {
		verdict = "FAILED"
	}
	var kinds []string
	for k, n := range m.ByKind {
		kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
	}
	sort.Strings(kinds)
	fmt.Fprintf(w, "\nmedia (share %.2f): %s — %d media messages sent, %d acknowledged (%s)\n", m.Share, verdict, m.Sent, m.Acked, strings.Join(kinds, ", "))
	fmt.Fprintf(w, "  attachments %d: ready %d (%d with a thumbnail), pending %d, failed %d, missing %d, on text messages %d; last ready %.1fs after the sending, %.0f ready/s\n",
		m.Attachments, m.Ready, m.Thumbnails, m.Pending, m.Failed, m.Missing, m.Unexpected, m.WaitS, m.ReadyPerS)
	var dl []string
	for k, n := range m.Downloads {
		dl = append(dl, fmt.Sprintf("%s %d", k, n))
	}
	sort.Strings(dl)
	fmt.Fprintf(w, "  provider: %d look-ups, downloads %s (%.1f MB), %d refused\n", m.Lookups, strings.Join(dl, ", "), m.BytesMB, m.Refused)
	for reason, n := range m.FailReasons {
		fmt.Fprintf(w, "  failed %d: %s\n", n, reason)
	}
	if m.Note != "" {
		fmt.Fprintf(w, "  %s\n", m.Note)
	}
}
