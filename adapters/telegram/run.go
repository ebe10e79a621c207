package telegram

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/redis/go-redis/v9"
)

// AllowedUpdates are the update kinds the gateway asks Telegram for.
var AllowedUpdates = []string{"message", "edited_message", "callback_query"}

func allowedUpdatesParam() string {
	b, _ := json.Marshal(AllowedUpdates)
	return string(b)
}

// RegisterWebhook calls setWebhook (url, secret_token, allowed_updates)
// until Telegram accepts it or ctx ends; failures are logged and retried
// with backoff, so a gateway starts while Telegram is unreachable. A
// refusal no retry can fix (400 such as "HTTPS url must be provided", 401
// or 404 for a wrong token) is returned at once. v5's WebhookConfig has no
// secret_token, hence the generic call.
func RegisterWebhook(ctx context.Context, c *Client, url, secretToken string, log *slog.Logger) error {
	params := tgbotapi.Params{"url": url, "secret_token": secretToken, "allowed_updates": allowedUpdatesParam()}
	var refused error
	err := retry(ctx, log, "setWebhook", func(ctx context.Context) error {
		_, err := c.Call(ctx, "setWebhook", params)
		if te, ok := errors.AsType[*tgbotapi.Error](err); ok && (te.Code == 400 || te.Code == 401 || te.Code == 404) {
			refused = err
			return nil
		}
		return err
	})
	if refused != nil {
		return fmt.Errorf("telegram webhook %s not registered: %w", url, refused)
	}
	return err
}

// retry runs f until it succeeds or ctx ends, with backoff from 1 s to 1 min.
func retry(ctx context.Context, log *slog.Logger, what string, f func(context.Context) error) error {
	wait := time.Second
	for {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := f(cctx)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return nil
		}
		log.WarnContext(ctx, "telegram "+what+" failed; retrying", "in", wait, "err", err)
		if sleepCtx(ctx, wait) != nil {
			return nil
		}
		wait = min(2*wait, time.Minute)
	}
}

// PollerConfig configures a Poller; zero durations take the defaults.
type PollerConfig struct {
	ChannelID string
	Client    *Client
	Handler   *Handler
	Redis     redis.UniversalClient
	// KeyPrefix prefixes the Redis keys (the deployment's namespace + ":").
	KeyPrefix string
	// LockTTL is how long the poller lock outlives a holder that stops
	// renewing it (it dies); default 30 s. It is renewed every LockTTL/3.
	LockTTL time.Duration
	// RetryEvery is how often a waiting instance tries to take the lock;
	// default LockTTL/3.
	RetryEvery time.Duration
	// PollTimeout is getUpdates' long-poll timeout; default 25 s.
	PollTimeout time.Duration
	Log         *slog.Logger
}

// Poller long-polls getUpdates for a bot that has no webhook. Exactly one
// poller per bot runs across every instance sharing the Redis: they
// compete for a lock (SET NX with expiry, renewed by the holder); the
// others wait and take over when the holder stops or dies. The holder
// deletes the webhook first, reads the offset from Redis, hands every
// update to the Handler (the webhook's path), and moves the stored offset
// past an update only once it is handled, and only while it still holds
// the lock. An update a dying holder handled but could not confirm comes
// again and is recognised by its provider id.
type Poller struct {
	cfg       PollerConfig
	lockKey   string
	offsetKey string
	// dieOnStop leaves the lock to expire instead of releasing it (tests
	// simulate a holder that dies).
	dieOnStop atomic.Bool
}

// NewPoller returns the poller of one channel.
func NewPoller(cfg PollerConfig) *Poller {
	if cfg.LockTTL <= 0 {
		cfg.LockTTL = 30 * time.Second
	}
	if cfg.RetryEvery <= 0 {
		cfg.RetryEvery = cfg.LockTTL / 3
	}
	if cfg.PollTimeout <= 0 {
		cfg.PollTimeout = 25 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	// One hash slot for both keys (the scripts use both on a Cluster).
	tag := cfg.KeyPrefix + "{telegram:" + botKey(cfg.Client.token) + "}"
	return &Poller{cfg: cfg, lockKey: tag + ":poller", offsetKey: tag + ":offset:" + cfg.ChannelID}
}

// botKey names the bot in Redis keys without its secret: the numeric bot
// id before the token's colon, else a hash.
func botKey(token string) string {
	if id, _, ok := strings.Cut(token, ":"); ok && id != "" {
		if _, err := strconv.ParseUint(id, 10, 64); err == nil {
			return id
		}
	}
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:8])
}

// LockKey and OffsetKey are the poller's Redis keys.
func (p *Poller) LockKey() string   { return p.lockKey }
func (p *Poller) OffsetKey() string { return p.offsetKey }

var (
	renewScript = redis.NewScript(`if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) end return 0`)
	// A holder-only offset write: a poller that lost the lock cannot move it.
	commitScript  = redis.NewScript(`if redis.call("get", KEYS[1]) == ARGV[1] then redis.call("set", KEYS[2], ARGV[2]) return 1 end return 0`)
	releaseScript = redis.NewScript(`if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) end return 0`)
)

// Run competes for the lock and polls while holding it, until ctx ends;
// then it releases the lock so another instance takes over at once.
func (p *Poller) Run(ctx context.Context) error {
	owner := randomOwner()
	log := p.cfg.Log.With("channel", p.cfg.ChannelID)
	for ctx.Err() == nil {
		ok, err := p.cfg.Redis.SetNX(ctx, p.lockKey, owner, p.cfg.LockTTL).Result()
		switch {
		case err != nil && ctx.Err() == nil:
			log.WarnContext(ctx, "telegram poller: cannot reach Redis for the lock", "err", err)
		case ok:
			log.InfoContext(ctx, "telegram poller: holding the lock; polling")
			p.lead(ctx, owner, log)
			if p.dieOnStop.Load() && ctx.Err() != nil {
				return nil
			}
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			if err := releaseScript.Run(rctx, p.cfg.Redis, []string{p.lockKey}, owner).Err(); err != nil {
				log.WarnContext(ctx, "telegram poller: release lock failed; it expires by itself", "err", err)
			}
			cancel()
			continue
		}
		if sleepCtx(ctx, p.cfg.RetryEvery) != nil {
			break
		}
	}
	return nil
}

func randomOwner() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// lead polls while the lock is held; it returns when ctx ends or the lock
// is lost.
func (p *Poller) lead(ctx context.Context, owner string, log *slog.Logger) {
	lctx, lost := context.WithCancel(ctx)
	defer lost()
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		p.renew(lctx, owner, lost, log)
	}()
	defer func() { lost(); <-renewed }()

	if err := retry(lctx, log, "deleteWebhook", func(ctx context.Context) error {
		_, err := p.cfg.Client.Call(ctx, "deleteWebhook", tgbotapi.Params{"drop_pending_updates": "false"})
		return err
	}); err != nil || lctx.Err() != nil {
		return
	}
	var offset int64
	if err := retry(lctx, log, "read poll offset", func(ctx context.Context) error {
		v, err := p.cfg.Redis.Get(ctx, p.offsetKey).Int64()
		if errors.Is(err, redis.Nil) {
			v, err = 0, nil
		}
		offset = v
		return err
	}); err != nil || lctx.Err() != nil {
		return
	}
	wait := time.Second
	backoff := func(err error, what string) bool {
		if lctx.Err() != nil {
			return false
		}
		log.WarnContext(lctx, "telegram poller: "+what+"; retrying", "in", wait, "err", err)
		if sleepCtx(lctx, wait) != nil {
			return false
		}
		wait = min(2*wait, 30*time.Second)
		return true
	}
	for lctx.Err() == nil {
		raws, err := p.fetch(lctx, offset)
		if err != nil {
			if !backoff(err, "getUpdates failed") {
				return
			}
			continue
		}
		for _, raw := range raws {
			id, next, err := p.handle(ctx, raw, offset)
			if err != nil {
				if !backoff(err, fmt.Sprintf("update %d not handled", id)) {
					return
				}
				break // fetch again from the stored offset
			}
			if next == offset {
				continue
			}
			done, err := p.commit(ctx, owner, next)
			if err != nil {
				if !backoff(err, "storing the offset failed") {
					return
				}
				break
			}
			if done != 1 {
				log.WarnContext(ctx, "telegram poller: lock lost; another instance polls")
				return
			}
			offset = next
			wait = time.Second
		}
	}
}

// commit stores the offset after a handled update, if the lock is still
// ours. It runs even when ctx has just ended (shutdown): the update is
// stored, so the offset must move past it or the next holder handles it
// again.
func (p *Poller) commit(ctx context.Context, owner string, next int64) (int, error) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	return commitScript.Run(cctx, p.cfg.Redis, []string{p.lockKey, p.offsetKey}, owner, next).Int()
}

// fetch long-polls getUpdates and returns the updates undecoded, so that
// one the library cannot read goes through the tolerant decoder instead
// of failing the whole batch.
func (p *Poller) fetch(ctx context.Context, offset int64) ([]json.RawMessage, error) {
	cctx, cancel := context.WithTimeout(ctx, p.cfg.PollTimeout+15*time.Second)
	defer cancel()
	params := tgbotapi.Params{"timeout": strconv.Itoa(int(p.cfg.PollTimeout / time.Second)),
		"allowed_updates": allowedUpdatesParam()}
	if offset > 0 {
		params["offset"] = strconv.FormatInt(offset, 10)
	}
	resp, err := p.cfg.Client.Call(cctx, "getUpdates", params)
	if err != nil {
		return nil, err
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(resp.Result, &raws); err != nil {
		return nil, fmt.Errorf("telegram getUpdates: result is not a list: %w", err)
	}
	return raws, nil
}

// handle applies one update and returns its id and the offset after it.
// An update at or before the offset (Telegram resent it) is skipped.
func (p *Poller) handle(ctx context.Context, raw json.RawMessage, offset int64) (int64, int64, error) {
	d, err := Decode(raw)
	if err != nil {
		p.cfg.Log.WarnContext(ctx, "telegram poller: update is not a JSON object; skipped", "channel", p.cfg.ChannelID, "err", err)
		return 0, offset, nil
	}
	id := int64(d.Update.UpdateID)
	if id <= 0 {
		p.cfg.Log.WarnContext(ctx, "telegram poller: update without update_id; skipped", "channel", p.cfg.ChannelID)
		return 0, offset, nil
	}
	if id < offset {
		return id, offset, nil
	}
	if err := p.cfg.Handler.Handle(ctx, d); err != nil {
		return id, offset, err
	}
	return id, id + 1, nil
}

// renew keeps the lock alive every LockTTL/3; it calls lost when the lock
// is someone else's, or when it could not be renewed for a whole TTL.
func (p *Poller) renew(ctx context.Context, owner string, lost context.CancelFunc, log *slog.Logger) {
	t := time.NewTicker(p.cfg.LockTTL / 3)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := renewScript.Run(ctx, p.cfg.Redis, []string{p.lockKey}, owner, p.cfg.LockTTL.Milliseconds()).Int()
		switch {
		case err == nil && n == 1:
			last = time.Now()
		case err == nil:
			log.WarnContext(ctx, "telegram poller: lock taken over; stopping")
			lost()
			return
		case time.Since(last) >= p.cfg.LockTTL:
			log.WarnContext(ctx, "telegram poller: lock not renewed for a whole TTL; stopping", "err", err)
			lost()
			return
		}
	}
}
