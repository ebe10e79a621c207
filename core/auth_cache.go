package core

import (
	"sync"
	"time"
)

// AuthCacheTTL is how long an agent or visitor token's check is
// remembered: an agent's calls within it cost one read, not one each (a
// panel where twenty agents click Accept at once costs twenty reads a
// second, not twenty per request), and a visitor's messages none, not
// two each (the token and the customer). A logout or a change of the
// agent in this process takes effect at once; in another process, within
// AuthCacheTTL.
const AuthCacheTTL = time.Second

// authCacheMax bounds the entries: past it, expired ones are dropped, and
// a new one is not kept while it is still full.
const authCacheMax = 10000

// authCache remembers AgentByToken's answers (T is Agent) and
// VisitorByToken's (T is Visitor) by token hash. Only tokens that passed
// are kept, with their expiry, which every hit checks again.
type authCache[T any] struct {
	mu sync.Mutex
	m  map[string]authEntry[T]
}

type authEntry[T any] struct {
	v       T
	subject string    // the token's SubjectID: the agent's or the customer's id
	expires time.Time // the token's own expiry
	until   time.Time // when the entry must be read again
}

// get returns what a token hash authenticated, remembered at now.
func (c *authCache[T]) get(hash string, now time.Time) (T, time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[hash]
	if !ok || !now.Before(e.until) {
		var zero T
		return zero, time.Time{}, false
	}
	return e.v, e.expires, true
}

// put remembers what a token hash of subject authenticates, from now.
func (c *authCache[T]) put(hash, subject string, v T, expires, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]authEntry[T]{}
	}
	if len(c.m) >= authCacheMax {
		for h, e := range c.m {
			if !now.Before(e.until) {
				delete(c.m, h)
			}
		}
		if len(c.m) >= authCacheMax {
			return
		}
	}
	c.m[hash] = authEntry[T]{v: v, subject: subject, expires: expires, until: now.Add(AuthCacheTTL)}
}

// forgetToken drops a token hash.
func (c *authCache[T]) forgetToken(hash string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, hash)
}

// forgetSubject drops every token of an agent or a customer.
func (c *authCache[T]) forgetSubject(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for h, e := range c.m {
		if e.subject == id {
			delete(c.m, h)
		}
	}
}
