package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// newTransport is an HTTP transport that keeps up to conns idle
// connections to the gateway, so a run does not spend itself on TCP
// handshakes (or run out of ephemeral ports).
func newTransport(conns int) *http.Transport {
	return &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
}

// apiError is a non-2xx answer of the gateway.
type apiError struct {
	Status int
	Code   string
	Msg    string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("HTTP %d %s: %s", e.Status, e.Code, e.Msg)
}

// api is a JSON client of the gateway's REST routes.
type api struct {
	base string
	hc   *http.Client
}

// call sends body (nil: none) as JSON with token (may be empty) and
// decodes a 2xx answer into out (may be nil). A non-2xx answer is an
// *apiError with the contract's error code.
func (a *api) call(ctx context.Context, method, path, token string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, fmt.Errorf("%s %s: encode: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		var eb struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		json.Unmarshal(data, &eb)
		return resp.StatusCode, &apiError{Status: resp.StatusCode, Code: eb.Error.Code, Msg: eb.Error.Message}
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: decode answer: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

// sseEvent is one Server-Sent Event.
type sseEvent struct {
	Type string
	Data []byte
}

// openStream opens a text/event-stream at path with token. The returned
// function reads events until the stream ends or ctx is cancelled,
// calling fn for each.
func (a *api) openStream(ctx context.Context, path, token string) (func(fn func(sseEvent)) error, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.base+path, nil)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := a.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		resp.Body.Close()
		return nil, fmt.Errorf("open %s: HTTP %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	read := func(fn func(sseEvent)) error {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 0, 4096), 4<<20)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Bytes()
			switch {
			case len(line) == 0:
				if ev.Type != "" && fn != nil {
					fn(ev)
				}
				ev = sseEvent{}
			case bytes.HasPrefix(line, []byte("event:")):
				ev.Type = strings.TrimSpace(string(line[6:]))
			case bytes.HasPrefix(line, []byte("data:")):
				d := bytes.TrimPrefix(line[5:], []byte(" "))
				if ev.Data != nil {
					ev.Data = append(ev.Data, '\n')
				}
				ev.Data = append(ev.Data, d...)
			}
		}
		if err := sc.Err(); err != nil && ctx.Err() == nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
		return nil
	}
	return read, nil
}
