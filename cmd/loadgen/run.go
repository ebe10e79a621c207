package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard-chat/switchboard/adapters/channels"
	"github.com/switchboard-chat/switchboard/adapters/meta"
	"github.com/switchboard-chat/switchboard/adapters/telegram"
	"github.com/switchboard-chat/switchboard/config"
)

// options are the flags of a run.
type options struct {
	configPath    string
	baseURL       string
	providerAddr  string
	rate          float64
	concurrency   int
	duration      time.Duration
	drain         time.Duration
	replyWait     time.Duration
	mix           map[string]int
	handoffShare  float64
	customers     int
	agents        int
	agentPrefix   string
	adminEmail    string
	adminPassword string
	agentPassword string
	acceptPolicy  string
	streams       int
	streamKind    string
	jsonOut       string
	verifyDB      string
	verifySample  int
	maxInflight   int
	timeout       time.Duration
	run           string
	// ceiling: measure the single-row commit ceiling before the load;
	// capacity: the closed-loop capacity an open-loop rate is set against.
	ceiling         bool
	ceilingConns    int
	ceilingDuration time.Duration
	capacity        float64
	// mediaShare of the provider-channel messages carry a file; the run
	// waits up to mediaWait after the sending for every attachment to be
	// ready.
	mediaShare float64
	mediaWait  time.Duration
	log        *slog.Logger
	out        io.Writer
}

// Message states kept per sequence number for the exactly-once check.
const (
	stSent   = 1 << 3
	stAcked  = 1 << 4
	stFailed = 1 << 5
	stMedia  = 1 << 6 // the message carries a file
	kindMask = 0x7
)

// ledger records, in one byte per message, its channel kind and whether the
// gateway acknowledged it: bounded memory for long runs.
type ledger struct {
	mu     sync.Mutex
	chunks [][]byte
}

const chunkSize = 1 << 16

func (l *ledger) set(seq int64, v byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := int(seq / chunkSize)
	for len(l.chunks) <= c {
		l.chunks = append(l.chunks, make([]byte, chunkSize))
	}
	l.chunks[c][seq%chunkSize] |= v
}

func (l *ledger) get(seq int64) byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := int(seq / chunkSize)
	if c >= len(l.chunks) {
		return 0
	}
	return l.chunks[c][seq%chunkSize]
}

// runner is one load run.
type runner struct {
	opt    options
	ids    ids
	tgt    target
	api    *api // REST and widget calls
	stream *api // event streams: no overall timeout
	agents []*agentAccount
	hooks  *http.Client
	log    *slog.Logger

	seq    atomic.Int64
	ledger ledger

	hIngest                 map[string]*Histogram // per kind
	hAll                    *Histogram
	hSession                *Histogram
	hStream                 *Histogram
	hAccept                 *Histogram
	hAcceptWon, hAcceptLost *Histogram // accepts answered 200, and 409 (lost)
	hReply                  *Histogram
	hStreamUp               *Histogram

	sentBy, ackedBy map[string]*atomic.Int64

	mu     sync.Mutex
	errors map[string]int64

	handoffs                                 sync.Map // seq → *handoff
	handoffsSent, handoffsAcked              atomic.Int64
	requestEvents, acceptWon, acceptLost     atomic.Int64
	doubleAccepts, replies, resolved         atomic.Int64
	botSends                                 atomic.Int64
	sessions                                 sync.Map // widget customer → *widgetSession
	wg                                       sync.WaitGroup
	streamsOpen, streamsOpened, streamsFails atomic.Int64
	kindTable                                []string // weighted
	media                                    *mediaSource
}

type widgetSession struct {
	once  sync.Once
	token string
	err   error
}

func newRunner(opt options, tgt target) (*runner, error) {
	x, err := newIDs(opt.run)
	if err != nil {
		return nil, err
	}
	conns := max(opt.maxInflight, opt.concurrency, 64)
	r := &runner{opt: opt, ids: x, tgt: tgt, log: opt.log,
		api:     &api{base: tgt.BaseURL, hc: &http.Client{Transport: newTransport(conns), Timeout: opt.timeout}},
		stream:  &api{base: tgt.BaseURL, hc: &http.Client{Transport: newTransport(conns)}},
		hooks:   &http.Client{Transport: newTransport(conns), Timeout: opt.timeout},
		hIngest: map[string]*Histogram{}, hAll: NewHistogram(), hSession: NewHistogram(), hStream: NewHistogram(),
		hAccept: NewHistogram(), hAcceptWon: NewHistogram(), hAcceptLost: NewHistogram(), hReply: NewHistogram(), hStreamUp: NewHistogram(),
		sentBy: map[string]*atomic.Int64{}, ackedBy: map[string]*atomic.Int64{}, errors: map[string]int64{}}
	for _, k := range kinds {
		r.hIngest[k] = NewHistogram()
		r.sentBy[k], r.ackedBy[k] = &atomic.Int64{}, &atomic.Int64{}
		for range opt.mix[k] {
			r.kindTable = append(r.kindTable, k)
		}
	}
	missing := map[string]bool{kindWhatsApp: tgt.WhatsApp == nil, kindMessenger: tgt.Messenger == nil,
		kindTelegram: tgt.Telegram == nil, kindWidget: tgt.Widget == nil}
	for _, k := range kinds {
		if opt.mix[k] > 0 && missing[k] {
			return nil, fmt.Errorf("the mix sends %s messages but the gateway config has no such channel", k)
		}
	}
	return r, nil
}

func (r *runner) count(what string) {
	r.mu.Lock()
	r.errors[what]++
	r.mu.Unlock()
}

func kindIndex(k string) byte {
	for i, kk := range kinds {
		if kk == k {
			return byte(i + 1)
		}
	}
	return 0
}

// one sends message number seq, scheduled at at; latency counts from at,
// so a stalled gateway cannot hide behind a slowed-down sender.
func (r *runner) one(ctx context.Context, at time.Time) {
	seq := r.seq.Add(1) - 1
	kind := r.kindTable[rand.IntN(len(r.kindTable))]
	handoff := r.opt.handoffShare > 0 && rand.Float64() < r.opt.handoffShare
	media := !handoff && r.media != nil && carriesMedia(kind) && rand.Float64() < r.opt.mediaShare
	r.send(ctx, seq, kind, handoff, media, at)
}

func (r *runner) send(ctx context.Context, seq int64, kind string, isHandoff, media bool, at time.Time) {
	cust := r.ids.customer(seq, r.opt.customers, isHandoff)
	text := r.ids.text(seq, isHandoff)
	var h *handoff
	if isHandoff {
		h = &handoff{seq: seq, kind: kind, sentAt: at, done: make(chan struct{})}
		r.handoffs.Store(seq, h)
		r.handoffsSent.Add(1)
	}
	r.sentBy[kind].Add(1)
	st := kindIndex(kind) | stSent
	if media {
		st |= stMedia
	}
	r.ledger.set(seq, st)
	var status int
	var err error
	switch kind {
	case kindWidget:
		status, err = r.sendWidget(ctx, cust, text, isHandoff)
	default:
		status, err = r.sendWebhook(ctx, seq, cust, kind, text, media, at)
	}
	lat := time.Since(at)
	if err == nil && (status == http.StatusOK || status == http.StatusAccepted) {
		r.ledger.set(seq, stAcked)
		r.ackedBy[kind].Add(1)
		r.hIngest[kind].Record(lat)
		r.hAll.Record(lat)
		if isHandoff {
			r.handoffsAcked.Add(1)
		}
		return
	}
	r.ledger.set(seq, stFailed)
	if err != nil {
		r.count(kind + ": " + errText(err))
	} else {
		r.count(kind + ": HTTP " + strconv.Itoa(status))
	}
}

// sendWebhook posts the signed webhook of message seq.
// With media, the message carries a file (see media.go) and the text is
// its caption (Messenger: no text).
func (r *runner) sendWebhook(ctx context.Context, seq, cust int64, kind, text string, media bool, at time.Time) (int, error) {
	var body []byte
	var ch string
	hdr := http.Header{"Content-Type": {"application/json"}}
	switch kind {
	case kindWhatsApp:
		c := config.SettingsOf[channels.WhatsAppSettings](*r.tgt.WhatsApp)
		ch = r.tgt.WhatsApp.ID
		if media {
			body = r.ids.whatsAppImageBody(r.media, c.PhoneNumberID, seq, cust, text, at)
		} else {
			body = r.ids.whatsAppBody(c.PhoneNumberID, seq, cust, text, at)
		}
		hdr.Set(meta.SignatureHeader, meta.Sign([]byte(c.AppSecret.Value()), body))
	case kindMessenger:
		c := config.SettingsOf[channels.MessengerSettings](*r.tgt.Messenger)
		ch = r.tgt.Messenger.ID
		if media {
			body = r.ids.messengerFileBody(r.media, c.PageID, seq, cust, at)
		} else {
			body = r.ids.messengerBody(c.PageID, seq, cust, text, at)
		}
		hdr.Set(meta.SignatureHeader, meta.Sign([]byte(c.AppSecret.Value()), body))
	case kindTelegram:
		c := r.tgt.Telegram
		ch = c.ID
		if media {
			body = r.ids.telegramMediaBody(r.media, seq, cust, text, at)
		} else {
			body = r.ids.telegramBody(seq, cust, text, at)
		}
		hdr.Set(telegram.SecretHeader, config.SettingsOf[channels.TelegramSettings](*c).SecretToken.Value())
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.tgt.BaseURL+"/webhooks/"+ch, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("build webhook request: %w", err)
	}
	req.Header = hdr
	resp, err := r.hooks.Do(req)
	if err != nil {
		return 0, fmt.Errorf("webhook %s: %w", ch, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// session returns the visitor token of widget customer cust, creating the
// session on first use (timed as "widget session").
func (r *runner) session(ctx context.Context, cust int64) (string, error) {
	v, _ := r.sessions.LoadOrStore(cust, &widgetSession{})
	s := v.(*widgetSession)
	s.once.Do(func() { s.token, s.err = r.newSession(ctx, cust) })
	return s.token, s.err
}

func (r *runner) newSession(ctx context.Context, cust int64) (string, error) {
	var out struct {
		Token string `json:"token"`
	}
	start := time.Now()
	_, err := r.api.call(ctx, http.MethodPost, "/v1/widget/sessions", "",
		map[string]string{"channel_id": r.tgt.Widget.ID, "name": customerName(cust), "page_url": "https://shop.example/loadgen"}, &out)
	if err != nil {
		return "", fmt.Errorf("widget session: %w", err)
	}
	r.hSession.Record(time.Since(start))
	return out.Token, nil
}

// sendWidget posts a visitor message (a handoff comes from a new visitor).
func (r *runner) sendWidget(ctx context.Context, cust int64, text string, isHandoff bool) (int, error) {
	var tok string
	var err error
	if isHandoff {
		tok, err = r.newSession(ctx, cust)
	} else {
		tok, err = r.session(ctx, cust)
	}
	if err != nil {
		return 0, err
	}
	return r.api.call(ctx, http.MethodPost, "/v1/widget/messages", tok, map[string]string{"text": text}, nil)
}

// drive sends for the run's duration: open loop at opt.rate (each message
// has a scheduled time), or closed loop with opt.concurrency senders.
func (r *runner) drive(ctx context.Context) time.Duration {
	start := time.Now()
	end := start.Add(r.opt.duration)
	var wg sync.WaitGroup
	if r.opt.rate > 0 {
		sem := make(chan struct{}, r.opt.maxInflight)
		for i := 0; ; i++ {
			at := start.Add(time.Duration(float64(i) * float64(time.Second) / r.opt.rate))
			if !at.Before(end) || ctx.Err() != nil {
				break
			}
			if d := time.Until(at); d > 0 {
				time.Sleep(d)
			}
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				r.one(ctx, at)
			}()
		}
	} else if r.opt.concurrency > 0 {
		for range r.opt.concurrency {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil && time.Now().Before(end) {
					r.one(ctx, time.Now())
				}
			}()
		}
	} else { // streams only: hold them for the duration
		select {
		case <-time.After(r.opt.duration):
		case <-ctx.Done():
		}
	}
	wg.Wait()
	return time.Since(start)
}

// drainHandoffs waits until every acknowledged handoff was delivered (or
// accepted, for widget ones) and resolved, or until the drain time is up.
func (r *runner) drainHandoffs(ctx context.Context) {
	deadline := time.Now().Add(r.opt.drain)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		pending := 0
		r.handoffs.Range(func(_, v any) bool {
			h := v.(*handoff)
			if st := r.ledger.get(h.seq); st&stAcked != 0 && (!h.seen.Load() || h.winner.Load() == 0 || (h.kind != kindWidget && !h.sent.Load())) {
				pending++
			}
			return true
		})
		if pending == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Until(deadline) + r.opt.replyWait):
	}
}

// openIdleStreams opens n event streams that only listen: visitor streams
// (each a new widget session), agent streams of an idle agent, or half
// and half.
func (r *runner) openIdleStreams(ctx context.Context, n int, idleAgentToken string) {
	sem := make(chan struct{}, 100)
	var wg sync.WaitGroup
	for i := range n {
		visitor := r.opt.streamKind == "visitor" || (r.opt.streamKind == "mixed" && i%2 == 0)
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			start := time.Now()
			path, tok := "/v1/events", idleAgentToken
			if visitor {
				var err error
				if tok, err = r.newSession(ctx, handoffBase*2+int64(i)); err != nil {
					r.streamsFails.Add(1)
					r.count("idle stream: " + errText(err))
					return
				}
				path = "/v1/widget/events"
			}
			read, err := r.stream.openStream(ctx, path, tok)
			if err != nil {
				r.streamsFails.Add(1)
				r.count("idle stream: " + trimErr(err))
				return
			}
			r.hStreamUp.Record(time.Since(start))
			r.streamsOpened.Add(1)
			r.streamsOpen.Add(1)
			go func() {
				defer r.streamsOpen.Add(-1)
				read(nil)
			}()
		}()
	}
	wg.Wait()
}

// trimErr keeps an error's last part (no URL noise) for the error table.
func trimErr(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 && len(s)-i < 80 {
		return s[i+2:]
	}
	return s
}

// errorsSorted lists the error counters, largest first.
func (r *runner) errorsSorted() []kv {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]kv, 0, len(r.errors))
	for k, v := range r.errors {
		out = append(out, kv{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].V > out[j].V || (out[i].V == out[j].V && out[i].K < out[j].K) })
	return out
}

type kv struct {
	K string `json:"what"`
	V int64  `json:"count"`
}

var errNoAdmin = errors.New("agents, idle agent streams and the API check need -admin-email and -admin-password")
