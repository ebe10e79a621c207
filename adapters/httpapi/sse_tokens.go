package httpapi

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// TokenChecker tells which bearer tokens, by hash, still authenticate
// (core.Service.LiveTokens).
type TokenChecker interface {
	LiveTokens(ctx context.Context, hashes []string) (map[string]bool, error)
}

// tokenCheckBatch is how many tokens one read of the periodic check
// covers: 10,000 open streams cost 20 reads a Heartbeat, not 10,000.
const tokenCheckBatch = 500

// tokenCheckTimeout bounds one read of a token check.
const tokenCheckTimeout = 5 * time.Second

// tokenWatch is the token of one stream of ServeToken; gone is closed
// when the token was found revoked or expired.
type tokenWatch struct {
	hash string
	gone chan struct{}
	once sync.Once
}

func (w *tokenWatch) end() { w.once.Do(func() { close(w.gone) }) }

// watch adds a pump's token to the periodic check, which starts with the
// first one.
func (s *EventStreams) watch(w *tokenWatch) {
	s.checker.Do(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.closed {
			return
		}
		s.pumps.Add(1)
		go func() {
			defer s.pumps.Done()
			s.checkTokens()
		}()
	})
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	if s.watches == nil {
		s.watches = map[string]map[*tokenWatch]struct{}{}
	}
	if s.watches[w.hash] == nil {
		s.watches[w.hash] = map[*tokenWatch]struct{}{}
	}
	s.watches[w.hash][w] = struct{}{}
}

func (s *EventStreams) unwatch(w *tokenWatch) {
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	delete(s.watches[w.hash], w)
	if len(s.watches[w.hash]) == 0 {
		delete(s.watches, w.hash)
	}
}

// Watched is how many distinct tokens the open streams of this process
// hold (what a periodic check reads).
func (s *EventStreams) Watched() int {
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	return len(s.watches)
}

// checkTokens checks every watched token each Heartbeat until Close.
func (s *EventStreams) checkTokens() {
	tick := time.NewTicker(s.Heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-tick.C:
			s.CheckTokens()
		}
	}
}

// CheckTokens checks the tokens of every open stream now, tokenCheckBatch
// per read, and ends the streams of those that are gone. A failed read
// ends nothing: a database outage must not close every stream; the next
// round checks again.
func (s *EventStreams) CheckTokens() {
	s.watchMu.Lock()
	hashes := make([]string, 0, len(s.watches))
	for h := range s.watches {
		hashes = append(hashes, h)
	}
	s.watchMu.Unlock()
	for len(hashes) > 0 && s.ctx.Err() == nil {
		batch := hashes[:min(len(hashes), tokenCheckBatch)]
		hashes = hashes[len(batch):]
		live, err := s.liveTokens(batch)
		if err != nil {
			s.logger().Warn("event streams: token check failed; streams stay open until the next check",
				"tokens", len(batch), "err", err)
			continue
		}
		s.watchMu.Lock()
		for _, h := range batch {
			if !live[h] {
				for w := range s.watches[h] {
					w.end()
				}
			}
		}
		s.watchMu.Unlock()
	}
}

// live checks one stream's token now (after a revocation event); nil
// (Serve's streams) and a failed check count as live.
func (s *EventStreams) live(w *tokenWatch) bool {
	if w == nil {
		return true
	}
	live, err := s.liveTokens([]string{w.hash})
	if err != nil {
		s.logger().Warn("event streams: token check failed; the stream stays open until the next check", "err", err)
		return true
	}
	return live[w.hash]
}

func (s *EventStreams) liveTokens(hashes []string) (map[string]bool, error) {
	ctx, cancel := context.WithTimeout(s.ctx, tokenCheckTimeout)
	defer cancel()
	return s.Tokens.LiveTokens(ctx, hashes)
}

func (s *EventStreams) logger() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}
