package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// ConnectOptions configure Connect.
type ConnectOptions struct {
	// Logger notes which Redis is used; default slog.Default().
	Logger *slog.Logger
	// FastForwardEvery is how often the embedded Redis advances its TTLs
	// by the time elapsed; default 100 ms. Ignored for a real Redis.
	FastForwardEvery time.Duration
}

// Conn is an open Redis connection pool, embedded or remote, shared by the
// Enqueuer, Server and Inspector built on it. Close it last.
type Conn struct {
	client   redis.UniversalClient
	embedded *miniredis.Miniredis
	desc     string
	gate     *idleGate // slows idle servers' polling (IdlePoll)

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// Connect opens Redis. rawURL is one of
//
//	""                                          embedded in-process Redis
//	redis://[user:pass@]host:port/db            one server (rediss:// for TLS)
//	redis-sentinel://[user:pass@]host:port/db?master_name=M[&addr=host2:port]…[&password=P]
//	host:port,host:port,…                       a Redis Cluster
//
// In a sentinel URL the user info authenticates to the sentinels and the
// password parameter to the master. A remote Redis is pinged before Connect
// returns. The embedded Redis is a
// miniredis served over in-memory pipes: no port is opened and its content
// is lost when the process ends.
func Connect(ctx context.Context, rawURL string, opts ConnectOptions) (*Conn, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	if rawURL == "" {
		log.Info("queue: embedded in-process Redis; queued tasks are lost on exit and the sweeper rebuilds them from the database")
		return connectEmbedded(opts), nil
	}
	client, desc, err := newClient(rawURL)
	if err != nil {
		return nil, err
	}
	if err := client.Ping(ctx).Err(); err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("ping %s: %w", desc, err)
	}
	log.Debug("queue: connected to Redis", "redis", desc)
	c := &Conn{client: client, desc: desc, gate: newIdleGate()}
	client.AddHook(c.gate.hook())
	return c, nil
}

// newClient builds the go-redis client for a URL and a description of it
// without credentials.
func newClient(rawURL string) (redis.UniversalClient, string, error) {
	if !strings.Contains(rawURL, "://") {
		var addrs []string
		for a := range strings.SplitSeq(rawURL, ",") {
			a = strings.TrimSpace(a)
			if _, _, err := net.SplitHostPort(a); err != nil {
				return nil, "", fmt.Errorf("redis cluster address %q: %w", a, err)
			}
			addrs = append(addrs, a)
		}
		return redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs}), "redis cluster " + strings.Join(addrs, ","), nil
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, "", errors.New("redis url: cannot parse") // the error text would repeat the password
	}
	desc := redact(u)
	switch u.Scheme {
	case "redis", "rediss", "unix":
		o, err := redis.ParseURL(rawURL)
		if err != nil {
			return nil, "", fmt.Errorf("redis url %s: %w", desc, err)
		}
		return redis.NewClient(o), desc, nil
	case "redis-sentinel", "rediss-sentinel":
		plain := *u
		plain.Scheme = strings.TrimSuffix(u.Scheme, "-sentinel")
		o, err := redis.ParseFailoverURL(plain.String())
		if err != nil {
			return nil, "", fmt.Errorf("redis url %s: %w", desc, err)
		}
		if o.MasterName == "" {
			return nil, "", fmt.Errorf("redis url %s: master_name is required", desc)
		}
		return redis.NewFailoverClient(o), desc, nil
	default:
		return nil, "", fmt.Errorf("redis url %s: unsupported scheme %q", desc, u.Scheme)
	}
}

// redact hides the password of the user info and of any query parameter
// whose name mentions one (sentinel URLs carry the master's that way).
func redact(u *url.URL) string {
	c := *u
	q := c.Query()
	changed := false
	for k := range q {
		if strings.Contains(strings.ToLower(k), "pass") {
			q.Set(k, "xxxxx")
			changed = true
		}
	}
	if changed {
		c.RawQuery = q.Encode()
	}
	return c.Redacted()
}

// connectEmbedded starts a miniredis without a listener; each pooled
// connection is one in-memory pipe from miniredis.Dial.
func connectEmbedded(opts ConnectOptions) *Conn {
	m := miniredis.NewMiniRedis()
	client := redis.NewClient(&redis.Options{
		Addr: "embedded",
		Dialer: func(context.Context, string, string) (net.Conn, error) {
			return m.Dial()
		},
		DisableIdentity: true, // miniredis has no CLIENT SETINFO
		PoolSize:        64,
	})
	c := &Conn{client: client, embedded: m, desc: "embedded (in-process, in-memory)", gate: newIdleGate(),
		stop: make(chan struct{}), done: make(chan struct{})}
	client.AddHook(c.gate.hook())
	every := opts.FastForwardEvery
	if every <= 0 {
		every = 100 * time.Millisecond
	}
	go c.fastForward(every)
	return c
}

// fastForward moves the embedded Redis's TTLs along with the wall clock.
func (c *Conn) fastForward(every time.Duration) {
	defer close(c.done)
	t := time.NewTicker(every)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-c.stop:
			return
		case now := <-t.C:
			c.embedded.FastForward(now.Sub(last))
			last = now
		}
	}
}

// Client returns the go-redis client, e.g. for the event bus.
func (c *Conn) Client() redis.UniversalClient { return c.client }

// Embedded reports whether this is the in-process Redis, which other
// processes cannot reach.
func (c *Conn) Embedded() bool { return c.embedded != nil }

// Describe names the Redis without credentials, for logs.
func (c *Conn) Describe() string { return c.desc }

// Ping checks that Redis answers (readiness).
func (c *Conn) Ping(ctx context.Context) error {
	if err := c.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis %s: %w", c.desc, err)
	}
	return nil
}

// Close closes the pool and, when embedded, stops the in-process Redis and
// drops its content. Shut the Servers on it down first.
func (c *Conn) Close() error {
	var err error
	c.once.Do(func() {
		err = c.client.Close()
		if c.embedded != nil {
			close(c.stop)
			<-c.done
			c.embedded.Close()
		}
	})
	return err
}

// ConnOpt lets tools that take an asynq.RedisConnOpt (the asynqmon web
// UI) use this connection, embedded or not. Such a tool must not be
// closed while the Conn is in use: closing it closes the shared client.
func (c *Conn) ConnOpt() asynq.RedisConnOpt { return sharedClient{c.client} }

type sharedClient struct{ c redis.UniversalClient }

func (s sharedClient) MakeRedisClient() any { return s.c }
