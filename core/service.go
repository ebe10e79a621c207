package core

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// Service is Switchboard's use cases. It is safe for concurrent use.
type Service struct {
	store   Store
	jobs    Jobs
	events  Events
	medians medianCache
	// timersSwept is set once a sweep rescheduled every pending timer.
	timersSwept atomic.Bool
	log         *slog.Logger
	now         func() time.Time
	settings    atomic.Pointer[Settings]
	kb          atomic.Pointer[Knowledge]

	mu      sync.RWMutex
	senders map[string]Sender
	media   map[string]ChannelMedia // media_io.go

	// bcryptCost is the password hashing cost (lowered in tests).
	bcryptCost int
	// lanes group concurrent Ingest calls into shared transactions.
	lanes []ingestLane
	// accepts line up concurrent accepts of one request (accept_gate.go).
	accepts acceptGates
	// auth and visitors remember recent agent and visitor token checks
	// (auth_cache.go).
	auth     authCache[Agent]
	visitors authCache[Visitor]
	// blobs, scanner and maxBytes take in files (media_fetch.go).
	blobs    BlobStore
	scanner  Scanner
	maxBytes int64
	// thumbs bounds the thumbnails made at once (thumbnail.go).
	thumbs chan struct{}
	// typing holds the channels' Typers and throttles their calls (typing.go).
	typing typingState
}

// Deps are the Service's collaborators. Now, Logger and Events are optional.
type Deps struct {
	Store  Store
	Jobs   Jobs
	Logger *slog.Logger
	Now    func() time.Time
	// BcryptCost overrides the password hashing cost (tests use the minimum).
	BcryptCost int
	// Events publishes to the live event streams; nil: none.
	Events Events
	// IngestLanes is how many groups of inbound messages may be in
	// flight at once (group commit, see ingest_group.go); 0: one per
	// core (GOMAXPROCS), from 2 to 8; a negative number: no grouping,
	// one transaction per message.
	IngestLanes int
	// Blobs keeps the bytes of attachments; nil: no files are taken
	// (fetches wait, uploads are refused as unavailable).
	Blobs BlobStore
	// Scanner checks every file before it is stored; nil: no scan.
	Scanner Scanner
	// MediaMaxBytes is the largest file taken (media.max_bytes); 0:
	// DefaultMediaMaxBytes.
	MediaMaxBytes int64
}

// NewService builds the Service with its first settings.
func NewService(d Deps, set Settings) *Service {
	s := &Service{store: d.Store, jobs: d.Jobs, log: d.Logger, now: d.Now,
		senders: map[string]Sender{}, media: map[string]ChannelMedia{}, bcryptCost: d.BcryptCost, events: d.Events}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.blobs, s.scanner, s.maxBytes = d.Blobs, d.Scanner, cmp.Or(d.MediaMaxBytes, DefaultMediaMaxBytes)
	s.thumbs = make(chan struct{}, thumbSlots())
	if s.bcryptCost == 0 {
		s.bcryptCost = 11
	}
	if n := cmp.Or(d.IngestLanes, defaultIngestLanes()); n > 0 {
		s.lanes = make([]ingestLane, n)
	}
	s.SetSettings(set)
	return s
}

// SetSettings swaps the settings atomically (config reload).
func (s *Service) SetSettings(set Settings) {
	s.kb.Store(NewKnowledge(set.Bot.Knowledge, set.Bot.MinConfidence))
	s.settings.Store(&set)
}

// Settings returns the settings in force.
func (s *Service) Settings() Settings { return *s.settings.Load() }

func (s *Service) set() *Settings { return s.settings.Load() }

// RegisterSender sets the Sender of a channel.
func (s *Service) RegisterSender(channelID string, snd Sender) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.senders[channelID] = snd
}

func (s *Service) sender(channelID string) (Sender, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	snd, ok := s.senders[channelID]
	return snd, ok
}

// Ready checks the store (the queue is checked by its adapter).
func (s *Service) Ready(ctx context.Context) error { return s.store.Ping(ctx) }

// clock returns the current time in UTC, truncated to microseconds so it
// survives a round trip through either database unchanged.
func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// NewID makes a UUIDv7: unique, and sortable by creation time.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

// channelOf returns the configured channel, or one of unknown type for an
// id no longer in the config (old history stays readable).
func (s *Service) channelOf(id string) Channel {
	if c, ok := s.set().channel(id); ok {
		return c
	}
	return Channel{ID: id}
}

// newToken returns a random bearer token and its storage hash.
func newToken(prefix string) (token, hash string) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // never fails on supported platforms
	}
	token = prefix + base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// HashToken is how tokens are stored: hex SHA-256.
func HashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// isNotFound reports ErrNotFound.
func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
