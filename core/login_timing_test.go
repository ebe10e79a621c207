package core_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/switchboard-chat/switchboard/core"
	"github.com/switchboard-chat/switchboard/core/memstore"
)

// timingService is a Service whose passwords are hashed at cost, with
// one agent, known@example.com.
func timingService(tb testing.TB, cost int) *core.Service {
	tb.Helper()
	svc := core.NewService(core.Deps{Store: memstore.New(), Jobs: &fakeJobs{}, BcryptCost: cost}, core.DefaultSettings())
	if _, _, err := svc.EnsureAdmin(context.Background(), "known@example.com", "the-right-password"); err != nil {
		tb.Fatal(err)
	}
	return svc
}

// TestLoginTimingHidesWhichEmailsExist performs the probe: a wrong
// password for an e-mail that exists must take as long as any password
// for one that does not. It alternates the two, 20 samples each, and
// compares the fastest of each as a ratio: bcrypt is pure CPU, and a
// busy machine only ever adds time to a sample, so the fastest is the
// work itself. The stand-in hash used to have bcrypt's minimum cost,
// which made the ratio 0.25 at this cost (about 0.02 at the default, 11).
func TestLoginTimingHidesWhichEmailsExist(t *testing.T) {
	const cost = 6
	svc := timingService(t, cost)
	ctx := context.Background()
	sample := func(email string) time.Duration {
		start := time.Now()
		if _, _, err := svc.Login(ctx, email, "a-wrong-password"); err == nil {
			t.Fatal("a wrong password logged in")
		}
		return time.Since(start)
	}
	var known, unknown []time.Duration
	for i := range 40 {
		if i%2 == 0 {
			known = append(known, sample("known@example.com"))
		} else {
			unknown = append(unknown, sample("nobody-"+string(rune('a'+i%26))+"@example.com"))
		}
	}
	ratio := float64(slices.Min(unknown)) / float64(slices.Min(known))
	t.Logf("fastest login: known %s, unknown %s, ratio %.2f", slices.Min(known), slices.Min(unknown), ratio)
	if ratio < 0.7 || ratio > 1.4 {
		t.Fatalf("unknown/known login time ratio %.2f; want about 1 (the stand-in hash must cost what a real one does)", ratio)
	}
}

func TestStandInHashHasTheServiceCost(t *testing.T) {
	// The stand-in is private; what shows is that an unknown e-mail costs a
	// full bcrypt of the configured cost, which the timing test measures,
	// and that it never logs anyone in.
	svc := timingService(t, bcrypt.MinCost+1)
	for _, pw := range []string{"switchboard-dummy-password", "the-right-password", "x"} {
		if _, _, err := svc.Login(context.Background(), "nobody@example.com", pw); err == nil {
			t.Fatalf("an unknown e-mail logged in with %q", pw)
		}
	}
}

// BenchmarkLogin measures a wrong password for a known and for an unknown
// e-mail at the default cost (11):
//
//	go test ./core -run '^$' -bench BenchmarkLogin -benchtime 20x
//
// the two must be within a few percent of each other.
func BenchmarkLogin(b *testing.B) {
	svc := timingService(b, 0) // core's default cost
	ctx := context.Background()
	for _, c := range []struct{ name, email string }{{"known", "known@example.com"}, {"unknown", "nobody@example.com"}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, _, err := svc.Login(ctx, c.email, "a-wrong-password"); err == nil {
					b.Fatal("logged in")
				}
			}
		})
	}
}
