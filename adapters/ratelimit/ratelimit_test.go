package ratelimit_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/adapters/ratelimit"
	"github.com/switchboard-chat/switchboard/queue"
)

// redisCase is a Redis to run the limits on: the embedded one always, the
// real one when SWITCHBOARD_TEST_REDIS_URL names it.
type redisCase struct {
	name string
	url  string
}

func redises(t *testing.T) []redisCase {
	t.Helper()
	out := []redisCase{{name: "embedded"}}
	if u := os.Getenv("SWITCHBOARD_TEST_REDIS_URL"); u != "" {
		return append(out, redisCase{name: "redis", url: u})
	}
	t.Log("real-Redis variant skipped: set SWITCHBOARD_TEST_REDIS_URL to run it")
	return out
}

// connect opens rc and returns a fresh key prefix whose keys are deleted
// when the test ends.
func connect(t *testing.T, rc redisCase) (*queue.Conn, string) {
	t.Helper()
	ctx := context.Background()
	conn, err := queue.Connect(ctx, rc.url, queue.ConnectOptions{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	prefix := "rltest:" + time.Now().Format("150405.000000") + ":"
	t.Cleanup(func() {
		keys, _ := conn.Client().Keys(ctx, "*"+prefix+"*").Result()
		if len(keys) > 0 {
			conn.Client().Del(ctx, keys...)
		}
		conn.Close()
	})
	return conn, prefix
}

func each(t *testing.T, fn func(t *testing.T, rc redisCase)) {
	for _, rc := range redises(t) {
		t.Run(rc.name, func(t *testing.T) { fn(t, rc) })
	}
}

func TestRuleAllowsABurstThenOnePerInterval(t *testing.T) {
	each(t, func(t *testing.T, rc redisCase) {
		ctx := context.Background()
		conn, prefix := connect(t, rc)
		r := ratelimit.New(conn.Client(), prefix).Rule("sessions", ratelimit.Rate{Count: 3, Per: time.Minute})
		for i := range 3 {
			if wait, err := r.Take(ctx, "203.0.113.7"); err != nil || wait != 0 {
				t.Fatalf("event %d: wait %s, %v; want allowed", i+1, wait, err)
			}
		}
		wait, err := r.Take(ctx, "203.0.113.7")
		if err != nil || wait < 19*time.Second || wait > 20*time.Second {
			t.Fatalf("4th event: wait %s, %v; want about 20s (one interval of 3 per minute)", wait, err)
		}
		if wait, _ := r.Take(ctx, "198.51.100.1"); wait != 0 {
			t.Fatalf("another key waits %s", wait)
		}
		if err := r.Refund(ctx, "203.0.113.7"); err != nil {
			t.Fatal(err)
		}
		if wait, _ := r.Take(ctx, "203.0.113.7"); wait != 0 {
			t.Fatalf("after a refund: wait %s, want allowed", wait)
		}
		if err := r.Reset(ctx, "203.0.113.7"); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if wait, _ := r.Take(ctx, "203.0.113.7"); wait != 0 {
				t.Fatalf("after a reset, event %d waits %s", i+1, wait)
			}
		}
		keys, _ := conn.Client().Keys(ctx, "*"+prefix+"*").Result()
		if len(keys) == 0 {
			t.Fatal("no key stored under the prefix")
		}
		for _, k := range keys {
			if strings.Contains(k, "203.0.113.7") || strings.Contains(k, "198.51.100.1") {
				t.Fatalf("key %q holds the address in the clear", k)
			}
		}
	})
}

// TestRuleHoldsUnderParallelTakes is the raced limit: 40 parallel events
// against a limit of 10, through two limiters on two connections (two
// gateways), let exactly 10 through.
func TestRuleHoldsUnderParallelTakes(t *testing.T) {
	each(t, func(t *testing.T, rc redisCase) {
		ctx := context.Background()
		conn, prefix := connect(t, rc)
		second := conn
		if rc.url != "" {
			second, _ = connect(t, rc)
		}
		rate := ratelimit.Rate{Count: 10, Per: 15 * time.Minute}
		rules := []*ratelimit.Rule{
			ratelimit.New(conn.Client(), prefix).Rule("login", rate),
			ratelimit.New(second.Client(), prefix).Rule("login", rate),
		}
		var allowed, refused atomic.Int32
		var wg sync.WaitGroup
		for i := range 40 {
			wg.Go(func() {
				wait, err := rules[i%2].Take(ctx, "ada@example.com")
				switch {
				case err != nil:
					t.Error(err)
				case wait == 0:
					allowed.Add(1)
				default:
					refused.Add(1)
				}
			})
		}
		wg.Wait()
		if allowed.Load() != 10 || refused.Load() != 30 {
			t.Fatalf("allowed %d, refused %d of 40; want 10 and 30", allowed.Load(), refused.Load())
		}
	})
}

func TestTakeRefundsEarlierChecksWhenOneRefuses(t *testing.T) {
	each(t, func(t *testing.T, rc redisCase) {
		ctx := context.Background()
		conn, prefix := connect(t, rc)
		l := ratelimit.New(conn.Client(), prefix)
		visitor := l.Rule("messages-visitor", ratelimit.Rate{Count: 5, Per: time.Minute})
		address := l.Rule("messages-address", ratelimit.Rate{Count: 2, Per: time.Minute})
		for i := range 2 {
			if wait, err := ratelimit.Take(ctx, ratelimit.Check{visitor, "v1"}, ratelimit.Check{address, "a"}); err != nil || wait != 0 {
				t.Fatalf("event %d: %s, %v", i+1, wait, err)
			}
		}
		// The address is spent: three refused events must not use up v1.
		for range 3 {
			if wait, _ := ratelimit.Take(ctx, ratelimit.Check{visitor, "v1"}, ratelimit.Check{address, "a"}); wait == 0 {
				t.Fatal("the spent address let an event through")
			}
		}
		for i := range 3 {
			if wait, _ := visitor.Take(ctx, "v1"); wait != 0 {
				t.Fatalf("v1's event %d waits %s: refused events were counted", i+3, wait)
			}
		}
	})
}

func TestOffRulesAllowEverything(t *testing.T) {
	var l *ratelimit.Limiter
	if r := l.Rule("x", ratelimit.Rate{Count: 1, Per: time.Second}); r != nil {
		t.Fatal("a nil limiter made a rule")
	}
	var r *ratelimit.Rule
	if wait, err := r.Take(context.Background(), "k"); wait != 0 || err != nil {
		t.Fatalf("nil rule: %s, %v", wait, err)
	}
	if !(ratelimit.Rate{}).Off() || !(ratelimit.Rate{Count: 5}).Off() || (ratelimit.Rate{Count: 1, Per: time.Second}).Off() {
		t.Fatal("Off is wrong")
	}
}

func TestBackoffDoublesPastTheFreeEventsAndNeverRefuses(t *testing.T) {
	each(t, func(t *testing.T, rc redisCase) {
		ctx := context.Background()
		conn, prefix := connect(t, rc)
		b := ratelimit.New(conn.Client(), prefix).Backoff("login-email", ratelimit.Rate{Count: 3, Per: 15 * time.Minute}, 2*time.Second)
		want := []time.Duration{0, 0, 0, 250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 2 * time.Second, 2 * time.Second}
		for i, w := range want {
			d, err := b.Take(ctx, "ada@example.com")
			if err != nil || d != w {
				t.Fatalf("event %d: delay %s, %v; want %s", i+1, d, err, w)
			}
		}
		if d, _ := b.Take(ctx, "bob@example.com"); d != 0 {
			t.Fatalf("another e-mail is delayed %s", d)
		}
		// Past the burst (3 free + 4 steps) nothing more is counted: three
		// refunds leave 4 events, so the next is the 5th (500ms).
		for range 3 {
			if err := b.Refund(ctx, "ada@example.com"); err != nil {
				t.Fatal(err)
			}
		}
		if d, _ := b.Take(ctx, "ada@example.com"); d != 500*time.Millisecond {
			t.Fatalf("after refunds: delay %s, want 500ms", d)
		}
	})
}

func TestLogins(t *testing.T) {
	each(t, func(t *testing.T, rc redisCase) {
		ctx := context.Background()
		conn, prefix := connect(t, rc)
		l := ratelimit.New(conn.Client(), prefix).Logins(ratelimit.LoginLimits{
			PerEmailAndAddress: ratelimit.Rate{Count: 3, Per: 15 * time.Minute},
			PerAddress:         ratelimit.Rate{Count: 5, Per: 15 * time.Minute},
			PerEmail:           ratelimit.Rate{Count: 4, Per: 15 * time.Minute},
			MaxDelay:           time.Second,
		})
		begin := func(email, addr string) (ratelimit.Attempt, time.Duration) {
			t.Helper()
			a, wait, err := l.Begin(ctx, email, addr)
			if err != nil {
				t.Fatal(err)
			}
			return a, wait
		}
		for i := range 3 {
			if a, wait := begin("Ada@Example.com ", "203.0.113.7"); wait != 0 || a.Delay != 0 {
				t.Fatalf("attempt %d: wait %s, delay %s", i+1, wait, a.Delay)
			}
		}
		if _, wait := begin("ada@example.com", "203.0.113.7"); wait == 0 {
			t.Fatal("4th attempt from the same address for the same e-mail was allowed")
		}
		// From elsewhere the owner gets in: the 4th attempt on the e-mail is
		// still free, the 5th is only delayed.
		if _, wait := begin("ada@example.com", "198.51.100.1"); wait != 0 {
			t.Fatalf("another address is refused for %s", wait)
		}
		a, wait := begin("ada@example.com", "198.51.100.1")
		if wait != 0 || a.Delay != 250*time.Millisecond {
			t.Fatalf("5th attempt on the e-mail: wait %s, delay %s; want allowed after 250ms", wait, a.Delay)
		}
		if err := a.Succeeded(ctx); err != nil {
			t.Fatal(err)
		}
		// Spraying: one address, many e-mails, stops at PerAddress (5); the
		// refused (e-mail, address) attempt above counted nothing.
		for i := range 2 {
			if _, wait := begin("user"+string(rune('a'+i))+"@example.com", "203.0.113.7"); wait != 0 {
				t.Fatalf("spray %d refused early", i+1)
			}
		}
		if _, wait := begin("userz@example.com", "203.0.113.7"); wait == 0 {
			t.Fatal("the 6th attempt from one address was allowed")
		}
	})
}

func TestSlots(t *testing.T) {
	s := ratelimit.NewSlots(2)
	r1, ok1 := s.Acquire("tok")
	_, ok2 := s.Acquire("tok")
	_, ok3 := s.Acquire("tok")
	if !ok1 || !ok2 || ok3 {
		t.Fatalf("acquire: %v %v %v; want true true false", ok1, ok2, ok3)
	}
	if _, ok := s.Acquire("other"); !ok {
		t.Fatal("another key has no slot")
	}
	r1()
	r1() // a second release gives nothing back
	if _, ok := s.Acquire("tok"); !ok {
		t.Fatal("no slot after a release")
	}
	if _, ok := s.Acquire("tok"); ok {
		t.Fatal("a double release freed two slots")
	}
	if rel, ok := ratelimit.NewSlots(0).Acquire("x"); !ok || rel == nil {
		t.Fatal("unlimited slots refused")
	}
}
