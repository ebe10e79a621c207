package ratelimit

import (
	"context"
	"errors"
	"strings"
	"time"
)

// LoginLimits are the login policy's rates (config limits.login).
type LoginLimits struct {
	// PerEmailAndAddress is the strict limit: attempts for one e-mail from
	// one client address. Past it the answer is 429 for that address only.
	PerEmailAndAddress Rate
	// PerAddress bounds the attempts from one client address whatever the
	// e-mail (password spraying).
	PerAddress Rate
	// PerEmail is the attempts for one e-mail from anywhere that go
	// undelayed; past it each attempt waits longer, up to MaxDelay. It
	// never refuses, so nobody can lock an agent out from elsewhere.
	PerEmail Rate
	MaxDelay time.Duration
}

// Logins counts login attempts before the password is checked, so
// parallel guesses cannot race past the limits.
type Logins struct {
	strict, address *Rule
	email           *Backoff
}

// Logins builds the policy.
func (l *Limiter) Logins(o LoginLimits) *Logins {
	return &Logins{
		strict:  l.Rule("login-email-address", o.PerEmailAndAddress),
		address: l.Rule("login-address", o.PerAddress),
		email:   l.Backoff("login-email", o.PerEmail, o.MaxDelay),
	}
}

// Attempt is a login attempt that Begin counted.
type Attempt struct {
	l           *Logins
	email, addr string
	// Delay is how long the attempt must wait before its password is
	// checked (the per-e-mail backoff).
	Delay time.Duration
}

// Begin counts an attempt for email from the client address addr. It
// returns a wait above 0 when a limit refuses the attempt (answer 429
// with Retry-After); nothing is counted then.
func (l *Logins) Begin(ctx context.Context, email, addr string) (Attempt, time.Duration, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	a := Attempt{l: l, email: email, addr: addr}
	if l == nil {
		return a, 0, nil
	}
	wait, err := Take(ctx, Check{l.strict, email + "\x00" + addr}, Check{l.address, addr})
	if err != nil || wait > 0 {
		return a, wait, err
	}
	if a.Delay, err = l.email.Take(ctx, email); err != nil {
		return a, 0, errors.Join(err, l.strict.Refund(ctx, email+"\x00"+addr), l.address.Refund(ctx, addr))
	}
	return a, 0, nil
}

// Succeeded records that the attempt logged in: the owner knows the
// password, so the (e-mail, address) count starts over and the attempt
// is given back to the other two.
func (a Attempt) Succeeded(ctx context.Context) error {
	if a.l == nil {
		return nil
	}
	return errors.Join(a.l.strict.Reset(ctx, a.email+"\x00"+a.addr),
		a.l.address.Refund(ctx, a.addr), a.l.email.Refund(ctx, a.email))
}
