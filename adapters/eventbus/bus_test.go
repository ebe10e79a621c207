package eventbus_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/adapters/eventbus"
	"github.com/switchboard-chat/switchboard/core"
	"github.com/switchboard-chat/switchboard/queue"
)

const wait = 5 * time.Second

// buses opens, for one test, two handles on one bus: two gateway
// instances sharing it (the in-process hub has one instance, so both are
// the same there).
type factory struct {
	name string
	open func(t *testing.T, o eventbus.Options) (a, b eventbus.Bus)
}

func factories(t *testing.T) []factory {
	t.Helper()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	redisBus := func(url string) func(t *testing.T, o eventbus.Options) (eventbus.Bus, eventbus.Bus) {
		return func(t *testing.T, o eventbus.Options) (eventbus.Bus, eventbus.Bus) {
			t.Helper()
			ctx := context.Background()
			conn, err := queue.Connect(ctx, url, queue.ConnectOptions{Logger: quiet})
			if err != nil {
				t.Fatalf("connect redis: %v", err)
			}
			b := make([]byte, 4)
			rand.Read(b)
			prefix := "evtest" + hex.EncodeToString(b) + ":"
			var buses [2]eventbus.Bus
			for i := range buses {
				rb, err := eventbus.NewRedis(ctx, conn.Client(), prefix, o, quiet)
				if err != nil {
					t.Fatalf("redis bus: %v", err)
				}
				buses[i] = rb
			}
			t.Cleanup(func() {
				for _, bus := range buses {
					bus.Close()
				}
				keys, _ := conn.Client().Keys(ctx, prefix+"*").Result()
				if len(keys) > 0 {
					conn.Client().Del(ctx, keys...)
				}
				conn.Close()
			})
			return buses[0], buses[1]
		}
	}
	fs := []factory{
		{"memory", func(t *testing.T, o eventbus.Options) (eventbus.Bus, eventbus.Bus) {
			m := eventbus.NewMemory(o)
			t.Cleanup(func() { m.Close() })
			return m, m
		}},
		{"redis-embedded", redisBus("")},
	}
	if url := os.Getenv("SWITCHBOARD_TEST_REDIS_URL"); url != "" {
		fs = append(fs, factory{"redis", redisBus(url)})
	} else {
		t.Log("real-Redis variant skipped: set SWITCHBOARD_TEST_REDIS_URL to run it")
	}
	return fs
}

func TestBus(t *testing.T) {
	cases := []struct {
		name string
		opts eventbus.Options
		run  func(t *testing.T, pub, sub eventbus.Bus)
	}{
		{"live events arrive in order, fresh clients get no replay", eventbus.Options{}, func(t *testing.T, pub, sub eventbus.Bus) {
			publish(t, pub, "agent:a", 1, 2)
			s := subscribe(t, sub, "agent:a", "")
			if len(s.Replay) != 0 {
				t.Fatalf("fresh subscription replayed %v", s.Replay)
			}
			publish(t, pub, "agent:a", 3, 4, 5)
			if got := receive(t, s, 3); fmt.Sprint(got) != "[3 4 5]" {
				t.Fatalf("live events %v, want [3 4 5]", got)
			}
		}},
		{"reconnect with Last-Event-ID replays what was missed", eventbus.Options{}, func(t *testing.T, pub, sub eventbus.Bus) {
			s := subscribe(t, sub, "visitor:v", "")
			publish(t, pub, "visitor:v", 1, 2)
			first := receiveEvents(t, s, 2)
			publish(t, pub, "visitor:v", 3, 4) // while disconnected
			s2 := subscribe(t, sub, "visitor:v", first[0].ID)
			if got := values(t, s2.Replay); fmt.Sprint(got) != "[2 3 4]" {
				t.Fatalf("replay after event 1: %v, want [2 3 4]", got)
			}
			publish(t, pub, "visitor:v", 5)
			if got := receiveAfter(t, s2, s2.Replay[len(s2.Replay)-1].ID, 1); fmt.Sprint(got) != "[5]" {
				t.Fatalf("live after replay: %v, want [5]", got)
			}
		}},
		{"streams are separate", eventbus.Options{}, func(t *testing.T, pub, sub eventbus.Bus) {
			a := subscribe(t, sub, "agent:a", "")
			b := subscribe(t, sub, "agent:b", "")
			publish(t, pub, "agent:b", 7)
			publish(t, pub, "agent:a", 8)
			if got := receive(t, a, 1); fmt.Sprint(got) != "[8]" {
				t.Fatalf("agent a got %v", got)
			}
			if got := receive(t, b, 1); fmt.Sprint(got) != "[7]" {
				t.Fatalf("agent b got %v", got)
			}
		}},
		{"only the last Keep events are kept", eventbus.Options{Keep: 3}, func(t *testing.T, pub, sub eventbus.Bus) {
			s := subscribe(t, sub, "agent:k", "")
			publish(t, pub, "agent:k", 1)
			first := receiveEvents(t, s, 1)
			publish(t, pub, "agent:k", 2, 3, 4, 5, 6)
			s2 := subscribe(t, sub, "agent:k", first[0].ID)
			if got := values(t, s2.Replay); fmt.Sprint(got) != "[4 5 6]" {
				t.Fatalf("replay %v, want the last three [4 5 6]", got)
			}
		}},
		{"a follower that falls behind is dropped", eventbus.Options{Buffer: 2}, func(t *testing.T, pub, sub eventbus.Bus) {
			s := subscribe(t, sub, "agent:slow", "")
			marker := subscribe(t, sub, "agent:marker", "")
			publish(t, pub, "agent:slow", 1, 2, 3, 4)
			// Events are dispatched in publish order: once the marker is in,
			// all four were offered to the follower that is not reading.
			publish(t, pub, "agent:marker", 0)
			receive(t, marker, 1)
			deadline := time.After(wait)
			for n := 0; ; n++ {
				select {
				case _, ok := <-s.C:
					if !ok {
						if n > 2 {
							t.Fatalf("read %d events from a buffer of 2", n)
						}
						return
					}
				case <-deadline:
					t.Fatal("slow follower was not dropped")
				}
			}
		}},
		{"a batch arrives in order on each stream", eventbus.Options{}, func(t *testing.T, pub, sub eventbus.Bus) {
			x := subscribe(t, sub, "agent:x", "")
			y := subscribe(t, sub, "agent:y", "")
			publishBatch(t, pub, "agent:x", 1, "agent:y", 2, "agent:x", 3, "agent:y", 4, "agent:x", 5)
			if got := receive(t, x, 3); fmt.Sprint(got) != "[1 3 5]" {
				t.Fatalf("agent x got %v, want [1 3 5]", got)
			}
			if got := receive(t, y, 2); fmt.Sprint(got) != "[2 4]" {
				t.Fatalf("agent y got %v, want [2 4]", got)
			}
		}},
		{"ending the context closes the subscription", eventbus.Options{}, func(t *testing.T, pub, sub eventbus.Bus) {
			ctx, cancel := context.WithCancel(context.Background())
			s, err := sub.Subscribe(ctx, "agent:c", "")
			if err != nil {
				t.Fatal(err)
			}
			cancel()
			select {
			case _, ok := <-s.C:
				if ok {
					t.Fatal("event on a cancelled subscription")
				}
			case <-time.After(wait):
				t.Fatal("subscription not closed after cancel")
			}
		}},
	}
	for _, f := range factories(t) {
		t.Run(f.name, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					a, b := f.open(t, c.opts)
					c.run(t, a, b) // published on one instance, followed on the other
				})
			}
		})
	}
}

func TestNewer(t *testing.T) {
	cases := []struct {
		a, b string
		want bool
	}{
		{"2-0", "1-5", true}, {"1-6", "1-5", true}, {"1-5", "1-5", false}, {"1-4", "1-5", false},
		{"10-0", "9-0", true}, {"1-0", "", true}, {"", "1-0", false}, {"junk", "1-0", false},
	}
	for _, c := range cases {
		if got := eventbus.Newer(c.a, c.b); got != c.want {
			t.Errorf("Newer(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

func TestValidID(t *testing.T) {
	cases := []struct {
		id   string
		want bool
	}{
		{"1700000000000-3", true}, {"0-0", true}, {"01-1", true}, {"1-01", true},
		{"9223372036854775807-9223372036854775807", true},
		{"", false}, {"x-1", false}, {"1-x", false}, {"1", false}, {"1-", false}, {"-1", false}, {"-", false},
		{"1--1", false}, {"+1-1", false}, {"1-+1", false}, {"-1-0", false}, {"1-1-1", false},
		{" 1-1", false}, {"1-1 ", false}, {"1-1\n", false}, {"1_0-1", false}, {"0x1-1", false},
		{"１-1", false}, // a full-width digit is not ASCII
		{"9223372036854775808-0", false}, {"0-9223372036854775808", false},
		{"000000000000000000001-0", false}, // more than 20 digits
	}
	for _, c := range cases {
		if got := eventbus.ValidID(c.id); got != c.want {
			t.Errorf("ValidID(%q) = %v, want %v", c.id, got, c.want)
		}
	}
}

// TestValidIDSubscribes: an id ValidID lets through is one every bus
// (Redis included) resumes from without error, so a client's
// Last-Event-ID is either refused up front (400) or served.
func TestValidIDSubscribes(t *testing.T) {
	ids := []string{"0-0", "01-1", "1-01", "1700000000000-3", "9223372036854775807-9223372036854775807"}
	for _, f := range factories(t) {
		t.Run(f.name, func(t *testing.T) {
			bus, _ := f.open(t, eventbus.Options{})
			if err := bus.Publish(context.Background(), "s", "ping", map[string]int{"n": 1}); err != nil {
				t.Fatalf("publish: %v", err)
			}
			for _, id := range ids {
				if !eventbus.ValidID(id) {
					t.Fatalf("%q is not valid", id)
				}
				ctx, cancel := context.WithCancel(context.Background())
				if _, err := bus.Subscribe(ctx, "s", id); err != nil {
					t.Errorf("subscribe after %q: %v", id, err)
				}
				cancel()
			}
		})
	}
}

func publish(t *testing.T, b eventbus.Bus, stream string, vals ...int) {
	t.Helper()
	for _, v := range vals {
		if err := b.Publish(context.Background(), stream, "test.value", map[string]int{"v": v}); err != nil {
			t.Fatalf("publish: %v", err)
		}
	}
}

// publishBatch publishes (stream, value) pairs in one batch.
func publishBatch(t *testing.T, b eventbus.Bus, pairs ...any) {
	t.Helper()
	var evs []core.Published
	for i := 0; i < len(pairs); i += 2 {
		evs = append(evs, core.Published{Stream: pairs[i].(string), Type: "test.value", Data: map[string]int{"v": pairs[i+1].(int)}})
	}
	if err := b.PublishBatch(context.Background(), evs); err != nil {
		t.Fatalf("publish batch: %v", err)
	}
}

// A Redis that lost the publish script (a restart) still gets the whole
// batch, once.
func TestPublishBatchAfterScriptFlush(t *testing.T) {
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	conn, err := queue.Connect(ctx, os.Getenv("SWITCHBOARD_TEST_REDIS_URL"), queue.ConnectOptions{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	b := make([]byte, 4)
	rand.Read(b)
	prefix := "evtest" + hex.EncodeToString(b) + ":"
	bus, err := eventbus.NewRedis(ctx, conn.Client(), prefix, eventbus.Options{}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		bus.Close()
		if keys, _ := conn.Client().Keys(ctx, prefix+"*").Result(); len(keys) > 0 {
			conn.Client().Del(ctx, keys...)
		}
	}()
	var _ core.Events = bus
	s := subscribe(t, bus, "agent:f", "")
	publishBatch(t, bus, "agent:f", 1) // the script is loaded now
	receive(t, s, 1)
	if err := conn.Client().ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	publishBatch(t, bus, "agent:f", 2, "agent:f", 3, "agent:f", 4)
	if got := receive(t, s, 3); fmt.Sprint(got) != "[2 3 4]" {
		t.Fatalf("after the script flush: %v, want [2 3 4]", got)
	}
	again := subscribe(t, bus, "agent:f", "0-0")
	if got := values(t, again.Replay); fmt.Sprint(got) != "[1 2 3 4]" {
		t.Fatalf("kept %v, want each event once: [1 2 3 4]", got)
	}
}

func subscribe(t *testing.T, b eventbus.Bus, stream, last string) *eventbus.Subscription {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	s, err := b.Subscribe(ctx, stream, last)
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	return s
}

func receiveEvents(t *testing.T, s *eventbus.Subscription, n int) []eventbus.Event {
	t.Helper()
	return receiveAfterEvents(t, s, "", n)
}

// receiveAfterEvents reads n live events, each newer than the one before,
// the first newer than last (the end of the replay).
func receiveAfterEvents(t *testing.T, s *eventbus.Subscription, last string, n int) []eventbus.Event {
	t.Helper()
	var out []eventbus.Event
	deadline := time.After(wait)
	for len(out) < n {
		select {
		case e, ok := <-s.C:
			if !ok {
				t.Fatalf("subscription closed after %d of %d events", len(out), n)
			}
			if !eventbus.Newer(e.ID, last) {
				t.Fatalf("event %s repeats or precedes %s", e.ID, last)
			}
			out = append(out, e)
			last = e.ID
		case <-deadline:
			t.Fatalf("got %d of %d events", len(out), n)
		}
	}
	return out
}

func receive(t *testing.T, s *eventbus.Subscription, n int) []int {
	t.Helper()
	return values(t, receiveEvents(t, s, n))
}

func receiveAfter(t *testing.T, s *eventbus.Subscription, last string, n int) []int {
	t.Helper()
	return values(t, receiveAfterEvents(t, s, last, n))
}

func values(t *testing.T, es []eventbus.Event) []int {
	t.Helper()
	out := []int{}
	for _, e := range es {
		var v struct{ V int }
		if err := json.Unmarshal(e.Data, &v); err != nil || e.Type != "test.value" {
			t.Fatalf("event %+v: %v", e, err)
		}
		out = append(out, v.V)
	}
	return out
}
