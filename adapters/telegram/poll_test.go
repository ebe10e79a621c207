package telegram

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchboard-chat/switchboard/adapters/inbound"
	"github.com/switchboard-chat/switchboard/adapters/telegram/telegramtest"
	"github.com/switchboard-chat/switchboard/core"
	"github.com/switchboard-chat/switchboard/queue"
)

// redisFor is one Redis the pollers share: the embedded one, and the real
// one when SWITCHBOARD_TEST_REDIS_URL is set.
type redisFor struct {
	name   string
	client redis.UniversalClient
	prefix string
}

func redises(t *testing.T) []redisFor {
	t.Helper()
	ctx := context.Background()
	emb, err := queue.Connect(ctx, "", queue.ConnectOptions{Logger: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emb.Close() })
	out := []redisFor{{name: "embedded", client: emb.Client()}}
	url := os.Getenv("SWITCHBOARD_TEST_REDIS_URL")
	if url == "" {
		t.Log("real Redis variant skipped: set SWITCHBOARD_TEST_REDIS_URL to run it")
		return out
	}
	real, err := queue.Connect(ctx, url, queue.ConnectOptions{Logger: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { real.Close() })
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return append(out, redisFor{name: "redis", client: real.Client(), prefix: "tgtest" + hex.EncodeToString(b) + ":"})
}

// notifyingStore is the fake store that also reports each new message.
type notifyingStore struct {
	*store
	added chan string
}

func (s notifyingStore) Ingest(ctx context.Context, in core.Inbound) (core.Message, error) {
	m, err := s.store.Ingest(ctx, in)
	if err == nil {
		s.added <- in.ProviderID
	}
	return m, err
}

// instance is one gateway's poller.
type instance struct {
	name   string
	poller *Poller
	cancel context.CancelFunc
	done   chan struct{}
}

// tagged adds the instance's name to every Bot API request.
type tagged struct{ name string }

func (t tagged) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set(telegramtest.InstanceHeader, t.name)
	return http.DefaultTransport.RoundTrip(r)
}

func startPoller(t *testing.T, name string, fake *telegramtest.Fake, rd redisFor, st inbound.Ingester, die bool) *instance {
	t.Helper()
	client := NewClient(fake.URL(), fake.Token, &http.Client{Transport: tagged{name}})
	p := NewPoller(PollerConfig{ChannelID: "tg", Client: client, Handler: NewHandler(st, "tg", client, quietLog()),
		Redis: rd.client, KeyPrefix: rd.prefix, LockTTL: 2 * time.Second, RetryEvery: 100 * time.Millisecond,
		PollTimeout: time.Second, Log: quietLog()})
	p.dieOnStop.Store(die)
	ctx, cancel := context.WithCancel(context.Background())
	in := &instance{name: name, poller: p, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(in.done)
		if err := p.Run(ctx); err != nil {
			t.Errorf("poller %s: %v", name, err)
		}
	}()
	t.Cleanup(in.stop)
	return in
}

func (in *instance) stop() {
	in.cancel()
	select {
	case <-in.done:
	case <-time.After(30 * time.Second):
		panic("poller " + in.name + " did not stop")
	}
}

func pollUpdate(id int) string {
	if id%4 == 3 { // every fourth one only the tolerant decoder reads
		return fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"date":1,"chat":{"id":77,"type":"private"},"from":{"id":77,"first_name":"Kim"},"sticker":{"emoji":"👍","is_animated":1}}}`, id, id)
	}
	return fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"date":1,"chat":{"id":77,"type":"private"},"from":{"id":77,"first_name":"Kim"},"text":"message %d"}}`, id, id, id)
}

func waitAdded(t *testing.T, st notifyingStore, n int) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for range n {
		select {
		case <-st.added:
		case <-timeout:
			t.Fatalf("timed out waiting for %d updates to be stored; have %d", n, len(st.stored()))
		}
	}
}

// pollers lists who called getUpdates, in call order, without repeats in a row.
func pollers(fake *telegramtest.Fake) []string {
	var out []string
	for _, c := range fake.Calls("getUpdates") {
		if len(out) == 0 || out[len(out)-1] != c.Instance {
			out = append(out, c.Instance)
		}
	}
	return out
}

// TestPollingOnePoller runs two instances on one Redis and one fake Bot
// API: one polls, the other waits; each update is handled once; when the
// holder stops the other takes over where it left off; when that one dies
// (its lock is not released) a third takes over once the lock expires.
func TestPollingOnePoller(t *testing.T) {
	for _, rd := range redises(t) {
		t.Run(rd.name, func(t *testing.T) {
			fake := telegramtest.New(t)
			st := notifyingStore{newStore(), make(chan string, 100)}
			a := startPoller(t, "A", fake, rd, st, false)
			b := startPoller(t, "B", fake, rd, st, false)

			fake.Push(t, pollUpdate(1), pollUpdate(2), pollUpdate(3), pollUpdate(4), pollUpdate(5))
			waitAdded(t, st, 5)
			first := pollers(fake)
			if len(first) != 1 {
				t.Fatalf("getUpdates callers %v, want exactly one instance", first)
			}
			holder, other := a, b
			if first[0] == "B" {
				holder, other = b, a
			}
			holder.stop()

			fake.Push(t, pollUpdate(6), pollUpdate(7), pollUpdate(8), pollUpdate(9), pollUpdate(10))
			waitAdded(t, st, 5)
			if got := pollers(fake); !slices.Equal(got, []string{holder.name, other.name}) {
				t.Fatalf("getUpdates callers in order %v, want %s then %s", got, holder.name, other.name)
			}

			// The last instance dies without releasing the lock; a newcomer
			// takes over after the lock expires.
			c := startPoller(t, "C", fake, rd, st, false)
			other.poller.dieOnStop.Store(true)
			other.stop()
			fake.Push(t, pollUpdate(11), pollUpdate(12))
			waitAdded(t, st, 2)
			if got := pollers(fake); !slices.Equal(got, []string{holder.name, other.name, "C"}) {
				t.Fatalf("getUpdates callers in order %v, want %s, %s, C", got, holder.name, other.name)
			}
			c.stop()

			// No update was handled twice, none was lost, the tolerant ones too.
			for i := 1; i <= 12; i++ {
				if n := st.calls["77:"+strconv.Itoa(i)]; n != 1 {
					t.Errorf("update %d handled %d times", i, n)
				}
			}
			if got := st.stored(); len(got) != 12 || got[2].Text != "[sticker] 👍" || got[0].Text != "message 1" {
				t.Errorf("stored %d: %+v", len(got), got)
			}
			if m := fake.MaxConcurrentPolls(); m != 1 {
				t.Errorf("%d getUpdates ran at once", m)
			}
			// Every holder deleted the webhook before its first poll.
			for _, name := range []string{holder.name, other.name, "C"} {
				var seq []string
				for _, call := range fake.Calls("") {
					if call.Instance == name && (call.Method == "deleteWebhook" || call.Method == "getUpdates") {
						seq = append(seq, call.Method)
					}
				}
				if len(seq) < 2 || seq[0] != "deleteWebhook" {
					t.Errorf("%s: calls %v, want deleteWebhook first", name, seq)
				}
			}
			for _, call := range fake.Calls("getUpdates") {
				if call.Params.Get("allowed_updates") != `["message","edited_message","callback_query"]` || call.Params.Get("timeout") != "1" {
					t.Errorf("getUpdates params %v", call.Params)
					break
				}
			}
			// The offset is stored past the last update.
			if off, err := rd.client.Get(context.Background(), c.poller.OffsetKey()).Int(); err != nil || off != 13 {
				t.Errorf("stored offset %d, %v; want 13", off, err)
			}
			if rd.prefix != "" {
				rd.client.Del(context.Background(), c.poller.OffsetKey(), c.poller.LockKey())
			}
		})
	}
}

// TestPollingStorageDown: an update that cannot be stored is not
// confirmed; it is handled again once storage is back.
func TestPollingStorageDown(t *testing.T) {
	rd := redises(t)[0]
	fake := telegramtest.New(t)
	st := notifyingStore{newStore(), make(chan string, 10)}
	st.down = true
	startPoller(t, "A", fake, rd, st, false)
	fake.Push(t, pollUpdate(1))
	// Wait for the failed attempt, then bring storage back.
	fake.Wait(t, "getUpdates", 10*time.Second)
	for {
		st.mu.Lock()
		n := st.calls["77:1"]
		if n > 0 {
			st.down = false
		}
		st.mu.Unlock()
		if n > 0 {
			break
		}
		fake.Wait(t, "getUpdates", 10*time.Second)
	}
	waitAdded(t, st, 1)
	if got := st.stored(); len(got) != 1 || got[0].ProviderID != "77:1" {
		t.Errorf("stored %+v", got)
	}
}
