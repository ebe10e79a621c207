package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// provider is the fake WhatsApp Cloud API, Messenger Send/User Profile API
// and Telegram Bot API the gateway sends to during a run. It answers like
// the real services do on success and hands every outbound text, with its
// arrival time, to onSend.
//
// Routes (graph_url and api_url of the generated configuration):
//
//	POST /graph/{channel}/{phone_number_id}/messages   WhatsApp send
//	POST /graph/{channel}/me/messages                  Messenger send
//	GET  /graph/{channel}/{user id}?fields=…           User Profile API
//	POST /tg/bot{token}/{method}                       Bot API (getMe, setWebhook, sendMessage, getFile, …)
//
// and, with media messages, the file routes of media.go.
type provider struct {
	onSend func(channel, text string, at time.Time)
	log    *slog.Logger
	// media serves the files of media messages (nil: no media routes).
	media *mediaSource

	sends, profiles, other, bad atomic.Int64
	nextID                      atomic.Int64
}

func (p *provider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	path := strings.Trim(r.URL.Path, "/")
	parts := strings.Split(path, "/")
	if p.serveMedia(w, r, parts) {
		return
	}
	switch {
	case len(parts) >= 3 && parts[0] == "graph":
		p.graph(w, r, parts[1], parts[2:], now)
	case len(parts) == 3 && parts[0] == "tg" && strings.HasPrefix(parts[1], "bot"):
		p.telegram(w, r, parts[1][len("bot"):], parts[2], now)
	default:
		p.bad.Add(1)
		http.Error(w, `{"error":{"message":"unknown path","code":100}}`, http.StatusNotFound)
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// graph answers the Graph API calls of a WhatsApp or Messenger channel.
func (p *provider) graph(w http.ResponseWriter, r *http.Request, channel string, rest []string, now time.Time) {
	if r.Method == http.MethodGet && len(rest) == 1 {
		p.profiles.Add(1)
		writeJSON(w, map[string]string{"id": rest[0], "first_name": "Load", "last_name": "Customer"})
		return
	}
	if r.Method != http.MethodPost || len(rest) != 2 || rest[1] != "messages" {
		p.other.Add(1)
		writeJSON(w, map[string]bool{"success": true})
		return
	}
	var body struct {
		To        string `json:"to"`
		Recipient struct {
			ID string `json:"id"`
		} `json:"recipient"`
		Text struct {
			Body string `json:"body"`
		} `json:"text"`
		Message struct {
			Text string `json:"text"`
		} `json:"message"`
		Status string `json:"status"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil {
		p.bad.Add(1)
		w.WriteHeader(http.StatusBadRequest)
		writeJSON(w, map[string]any{"error": map[string]any{"message": "bad JSON", "code": 100}})
		return
	}
	id := p.nextID.Add(1)
	if rest[0] == "me" { // Messenger Send API
		p.sends.Add(1)
		p.onSend(channel, body.Message.Text, now)
		writeJSON(w, map[string]string{"recipient_id": body.Recipient.ID, "message_id": "m_out" + strconv.FormatInt(id, 10)})
		return
	}
	if body.Status != "" { // WhatsApp mark-as-read
		p.other.Add(1)
		writeJSON(w, map[string]bool{"success": true})
		return
	}
	p.sends.Add(1)
	p.onSend(channel, body.Text.Body, now)
	writeJSON(w, map[string]any{"messaging_product": "whatsapp",
		"contacts": []map[string]string{{"input": body.To, "wa_id": body.To}},
		"messages": []map[string]string{{"id": "wamid.out" + strconv.FormatInt(id, 10)}}})
}

// telegram answers a Bot API method like Telegram does.
func (p *provider) telegram(w http.ResponseWriter, r *http.Request, token, method string, now time.Time) {
	params, err := botParams(r)
	if err != nil {
		p.bad.Add(1)
		writeJSON(w, map[string]any{"ok": false, "error_code": 400, "description": "Bad Request: " + err.Error()})
		return
	}
	ok := func(result any) { writeJSON(w, map[string]any{"ok": true, "result": result}) }
	switch method {
	case "getFile":
		if p.media == nil {
			p.bad.Add(1)
			writeJSON(w, map[string]any{"ok": false, "error_code": 400, "description": "Bad Request: invalid file_id"})
			return
		}
		p.media.tgGetFile(w, token, params["file_id"])
	case "getMe":
		p.other.Add(1)
		ok(map[string]any{"id": 4242424242, "is_bot": true, "first_name": "Loadgen", "username": "loadgen_bot"})
	case "sendMessage":
		chat, err := strconv.ParseInt(params["chat_id"], 10, 64)
		if err != nil || params["text"] == "" {
			p.bad.Add(1)
			w.WriteHeader(http.StatusBadRequest)
			writeJSON(w, map[string]any{"ok": false, "error_code": 400, "description": "Bad Request: chat_id and text are required"})
			return
		}
		p.sends.Add(1)
		p.onSend("tg", params["text"], now)
		ok(map[string]any{"message_id": p.nextID.Add(1), "date": now.Unix(), "text": params["text"],
			"chat": map[string]any{"id": chat, "type": "private"},
			"from": map[string]any{"id": 4242424242, "is_bot": true, "first_name": "Loadgen"}})
	default: // setWebhook, deleteWebhook, answerCallbackQuery, …
		p.other.Add(1)
		ok(true)
	}
}

// botParams reads a Bot API call's parameters: form-encoded, multipart or
// JSON.
func botParams(r *http.Request) (map[string]string, error) {
	out := map[string]string{}
	ct := r.Header.Get("Content-Type")
	switch {
	case strings.HasPrefix(ct, "application/json"):
		var m map[string]any
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&m); err != nil {
			return nil, fmt.Errorf("body is not JSON: %w", err)
		}
		for k, v := range m {
			if s, ok := v.(string); ok {
				out[k] = s
			} else {
				b, _ := json.Marshal(v)
				out[k] = string(b)
			}
		}
		return out, nil
	case strings.HasPrefix(ct, "multipart/form-data"):
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			return nil, fmt.Errorf("multipart body: %w", err)
		}
	default:
		if err := r.ParseForm(); err != nil {
			return nil, fmt.Errorf("form body: %w", err)
		}
	}
	for k, v := range r.Form {
		if len(v) > 0 {
			out[k] = v[0]
		}
	}
	return out, nil
}

// serveProvider listens on addr and serves p until ctx ends.
func serveProvider(ctx context.Context, addr string, p *provider) (string, func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("fake provider: listen on %s: %w", addr, err)
	}
	if p.media != nil {
		p.media.base = "http://" + ln.Addr().String()
	}
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			p.log.Error("fake provider stopped", "err", err)
		}
	}()
	stop := func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}
	return ln.Addr().String(), stop, nil
}
