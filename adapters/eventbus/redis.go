package eventbus

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/switchboard-chat/switchboard/core"
)

// publishScript appends the event to the stream's capped Redis stream,
// refreshes its expiry and announces it on the bus channel, atomically, so
// every process sees a stream's events in id order.
var publishScript = redis.NewScript(`
local id = redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[1], '*', 't', ARGV[2], 'd', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PUBLISH', ARGV[5], ARGV[6] .. '\n' .. id .. '\n' .. ARGV[2] .. '\n' .. ARGV[3])
return id`)

// Redis is the bus shared by every gateway on one Redis.
type Redis struct {
	opts    Options
	client  redis.UniversalClient
	prefix  string
	channel string
	hub     *hub
	ps      *redis.PubSub
	log     *slog.Logger
	wg      sync.WaitGroup
}

// NewRedis subscribes this process to the bus (one subscription, whatever
// the number of followers). prefix namespaces keys and the channel.
func NewRedis(ctx context.Context, client redis.UniversalClient, prefix string, o Options, log *slog.Logger) (*Redis, error) {
	if log == nil {
		log = slog.Default()
	}
	o = o.withDefaults()
	r := &Redis{opts: o, client: client, prefix: prefix + "sb:ev:", channel: prefix + "sb:events",
		hub: newHub(o.Buffer), log: log}
	r.ps = client.Subscribe(ctx, r.channel)
	if _, err := r.ps.Receive(ctx); err != nil { // the subscription confirmation
		r.ps.Close()
		return nil, fmt.Errorf("eventbus: subscribe to %s: %w", r.channel, err)
	}
	r.wg.Add(1)
	go r.receive()
	return r, nil
}

func (r *Redis) receive() {
	defer r.wg.Done()
	for msg := range r.ps.Channel() {
		parts := strings.SplitN(msg.Payload, "\n", 4)
		if len(parts) != 4 {
			r.log.Warn("eventbus: malformed message ignored", "bytes", len(msg.Payload))
			continue
		}
		r.hub.dispatch(parts[0], Event{ID: parts[1], Type: parts[2], Data: json.RawMessage(parts[3])})
	}
}

// Publish implements Bus.
func (r *Redis) Publish(ctx context.Context, stream, typ string, data any) error {
	keys, args, err := r.scriptArgs(stream, typ, data)
	if err != nil {
		return err
	}
	if err := publishScript.Run(ctx, r.client, keys, args...).Err(); err != nil {
		return fmt.Errorf("eventbus: publish %s to %s: %w", typ, stream, err)
	}
	return nil
}

// scriptArgs encodes an event as the publish script's keys and arguments.
func (r *Redis) scriptArgs(stream, typ string, data any) ([]string, []any, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, nil, fmt.Errorf("eventbus: encode %s event: %w", typ, err)
	}
	return []string{r.prefix + stream}, []any{r.opts.Keep, typ, string(raw), r.opts.TTL.Milliseconds(), r.channel, stream}, nil
}

// PublishBatch publishes events in order in one round trip (core.Events):
// the publish script is pipelined. Should Redis have lost the script (a
// restart), the events it refused are published again one by one, which
// loads it; none of them ran, so none is published twice.
func (r *Redis) PublishBatch(ctx context.Context, events []core.Published) error {
	type call struct {
		keys []string
		args []any
	}
	calls := make([]call, len(events))
	for i, e := range events {
		keys, args, err := r.scriptArgs(e.Stream, e.Type, e.Data)
		if err != nil {
			return err
		}
		calls[i] = call{keys, args}
	}
	cmds := make([]*redis.Cmd, len(events))
	_, err := r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, c := range calls {
			cmds[i] = publishScript.EvalSha(ctx, p, c.keys, c.args...)
		}
		return nil
	})
	if err == nil {
		return nil
	}
	for i, c := range cmds {
		err := c.Err()
		if redis.HasErrorPrefix(err, "NOSCRIPT") {
			err = publishScript.Run(ctx, r.client, calls[i].keys, calls[i].args...).Err()
		}
		if err != nil {
			return fmt.Errorf("eventbus: publish %s to %s: %w", events[i].Type, events[i].Stream, err)
		}
	}
	return nil
}

// Subscribe implements Bus. The follower is registered before the kept
// events are read, so nothing falls between replay and live events, and
// the hub drops live events the replay already holds.
func (r *Redis) Subscribe(ctx context.Context, stream, lastEventID string) (*Subscription, error) {
	f, ok := r.hub.add(ctx, stream)
	if !ok {
		return nil, ErrClosed
	}
	var msgs []redis.XMessage
	var err error
	if lastEventID == "" { // live only: start after the stream's last event
		msgs, err = r.client.XRevRangeN(ctx, r.prefix+stream, "+", "-", 1).Result()
	} else {
		msgs, err = r.client.XRange(ctx, r.prefix+stream, lastEventID, "+").Result()
	}
	if err != nil {
		r.hub.remove(stream, f)
		return nil, fmt.Errorf("eventbus: replay %s: %w", stream, err)
	}
	kept := make([]Event, 0, len(msgs))
	for _, m := range msgs {
		t, _ := m.Values["t"].(string)
		d, _ := m.Values["d"].(string)
		kept = append(kept, Event{ID: m.ID, Type: t, Data: json.RawMessage(d)})
	}
	start := lastEventID
	if len(kept) > 0 {
		start = kept[len(kept)-1].ID
	}
	r.hub.begin(stream, f, start)
	return &Subscription{Replay: after(kept, lastEventID), C: f.ch}, nil
}

// Close ends the subscription and every follower.
func (r *Redis) Close() error {
	err := r.ps.Close()
	r.wg.Wait()
	r.hub.close()
	return err
}
